"""TOML as text: where a key is (line numbers for messages) and rewriting keys of one table.

``tomllib`` gives values without positions and Python has no round-trip TOML writer, so this
module reads the text itself, just enough for config files like ours: ``[table]`` and
``[[array]]`` headers, ``key = value`` lines, values (arrays, inline tables) spanning lines.
Comments and everything not touched are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PathPart = str | int

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*("[^"]*"|[A-Za-z0-9_-]+)\s*=')


@dataclass(frozen=True)
class Section:
    """A table: its dotted name, its index among ``[[name]]`` tables, and its line span."""

    name: str
    index: int | None
    header: int | None  # 0-based line of the header; None for the root table
    start: int  # first line of the body
    end: int  # one past the last line


def sections(lines: Sequence[str]) -> list[Section]:
    heads: list[tuple[str, int | None, int | None]] = [("", None, None)]
    counts: dict[str, int] = {}
    depth = 0
    for number, line in enumerate(lines):
        match = _HEADER.match(line) if depth == 0 else None
        if match:
            name = match[2].replace('"', "").replace(" ", "")
            index = None
            if match[1] == "[[":
                index = counts.get(name, 0)
                counts[name] = index + 1
            heads.append((name, index, number))
        else:
            depth = max(0, depth + _depth_change(line))
    out = []
    for i, (name, index, header) in enumerate(heads):
        start = 0 if header is None else header + 1
        end = heads[i + 1][2] if i + 1 < len(heads) else len(lines)
        out.append(Section(name, index, header, start, end or 0))
    return out


def _strip_comment(line: str) -> str:
    """The line without a trailing comment (a ``#`` outside a string)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _depth_change(line: str) -> int:
    code = re.sub(r'"[^"]*"|\'[^\']*\'', "", _strip_comment(line))
    return code.count("[") + code.count("{") - code.count("]") - code.count("}")


def key_span(lines: Sequence[str], section: Section, key: str) -> tuple[int, int] | None:
    """Lines ``[first, last)`` of ``key = value`` in ``section`` (a value may span lines)."""
    number = section.start
    while number < section.end:
        match = _KEY.match(lines[number])
        if match:
            depth = _depth_change(lines[number].split("=", 1)[1])
            last = number + 1
            while depth > 0 and last < section.end:
                depth += _depth_change(lines[last])
                last += 1
            if match[1].strip('"') == key:
                return number, last
            number = last
        else:
            number += 1
    return None


def _element_lines(lines: Sequence[str], first: int, last: int) -> list[int]:
    """The line where each element of the array value on lines ``first..last`` starts."""
    text = "\n".join(_strip_comment(line) for line in lines[first:last])
    text_start = text.index("=") + 1
    starts: list[int] = []
    depth = 0
    expecting = False
    quote = ""
    for offset in range(text_start, len(text)):
        ch = text[offset]
        if quote:
            quote = "" if ch == quote else quote
            continue
        if expecting and not ch.isspace() and ch not in "]":
            starts.append(first + text.count("\n", 0, offset))
            expecting = False
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            expecting = depth == 1 and ch == "["
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 1:
            expecting = True
    return starts


def locate(text: str, path: Sequence[PathPart]) -> int | None:
    """The 1-based line that best matches ``path`` (e.g. ``("services", 2, "prefix")``).

    Table headers are matched first (``[[services]]`` by index), then the key inside the table,
    then array elements and keys inside an inline value; a part that cannot be found is skipped,
    so the answer is the closest line known (a table's header when its key is missing).
    """
    lines = text.splitlines()
    table = _find_table(lines, list(path))
    if table is None:
        return None
    section, rest = table
    best = section.header
    span: tuple[int, int] | None = None
    for part in rest:
        if span is None:
            if isinstance(part, str) and (found := key_span(lines, section, part)):
                span, best = found, found[0]
            continue
        if isinstance(part, int):
            starts = _element_lines(lines, *span)
            if part < len(starts):
                best = starts[part]
                span = (best, span[1])
            continue
        for number in range(span[0], span[1]):
            if re.search(rf"(^|[{{,\s]){re.escape(part)}\s*=", lines[number]):
                best = number
                break
    return None if best is None else best + 1


def _find_table(lines: Sequence[str], path: list[PathPart]) -> tuple[Section, list[PathPart]] | None:
    """The deepest table matching a prefix of ``path``, and the rest of the path."""
    best: tuple[Section, list[PathPart]] | None = None
    for section in sections(lines):
        name = section.name.split(".") if section.name else []
        prefix = list(name) + ([section.index] if section.index is not None else [])
        if path[: len(prefix)] == prefix and (best is None or len(prefix) > _size(best)):
            best = (section, path[len(prefix):])
    return best


def _size(found: tuple[Section, list[PathPart]]) -> int:
    section = found[0]
    return len(section.name.split(".")) + (section.index is not None) if section.name else 0


def line_with(text: str, table: str, needle: str) -> int | None:
    """The first line of ``[table]`` containing ``needle`` as a word (1-based), or None."""
    lines = text.splitlines()
    for section in sections(lines):
        if section.name != table:
            continue
        for number in range(section.start, section.end):
            if re.search(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", _strip_comment(lines[number])):
                return number + 1
    return None


def replace_keys(text: str, table: str, remove: Sequence[str], add: Sequence[str]) -> str:
    """Drop ``remove`` keys from ``[table]`` and put the ``add`` lines at its top."""
    lines = text.splitlines()
    section = next((s for s in sections(lines) if s.name == table), None)
    if section is None:
        raise ValueError(f"no [{table}] table")
    drop: set[int] = set()
    for key in remove:
        span = key_span(lines, section, key)
        if span:
            drop.update(range(*span))
    kept = [line for number, line in enumerate(lines) if number not in drop]
    insert_at = section.start - sum(1 for n in drop if n < section.start)
    kept[insert_at:insert_at] = list(add)
    return "\n".join(kept) + ("\n" if text.endswith("\n") else "")
