"""``branchq maint config check [FILE]``: validate the branch and kiosk config, line by line.

Validation is the services' own (``branchq.host.config.parse_config``,
``branchq.kiosk.config.parse_kiosk_config`` with each driver's validator), so a file that passes
here is one the services accept. This module only adds where: the line of the offending key, found
in the TOML text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from branchq.kiosk.maint.options import (
    BRANCH_CONFIG_PATH,
    KIOSK_CONFIG_PATH,
    check_command,
    default_kiosk_config,
    json_option,
)
from branchq.kiosk.maint.report import Level, Report, plural, reporting
from branchq.kiosk.maint.toml_text import PathPart, line_with, locate

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from branchq.kiosk.config import KioskConfig


@click.group()
def config() -> None:
    """Configuration files.

    \b
    Example:
      branchq maint config check /etc/branchq/kiosk.toml
    """


def _validation_errors(err: BaseException) -> list[ErrorDetails]:
    """The structured errors of the pydantic ValidationError behind ``err``, if any."""
    from pydantic import ValidationError

    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ValidationError):
            return cause.errors()
        cause = cause.__cause__
    return []


_MESSAGE_PATH = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): ")


def _path_from_text(message: str) -> list[PathPart]:
    """``services[1].fallback: ...`` -> ["services", 1, "fallback"] (cross-field checks)."""
    match = _MESSAGE_PATH.match(message)
    if not match:
        return []
    return [int(p) if p.isdigit() else p for p in re.findall(r"[a-z_]+|\d+", match[1])]


def _format_path(path: list[PathPart]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _quoted(message: str) -> list[str]:
    return [a or b for a, b in re.findall(r"'([^']+)'|\"([^\"]+)\"", message)]


def _guess_line(text: str, section: str | None, message: str) -> int | None:
    """For messages without a key path (dataclass validators): a quoted value or a key named
    in the message, looked up in the section; else the section's header."""
    if match := re.search(r"at line (\d+)", message):
        return int(match[1])
    if section is None:
        return None
    for token in _quoted(message):
        if found := line_with(text, section, token):
            return found
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message))
    lines = text.splitlines()
    for name in sorted(words, key=message.find):
        number = locate(text, [section, name])
        if number and lines[number - 1].lstrip().startswith(name):
            return number
    for token in _quoted(message):  # an unknown section: its own header
        if found := locate(text, [token]):
            return found
    return locate(text, [section])


def _add(report: Report, path: str, text: str, line: int | None, message: str) -> None:
    where = f"{path} line {line}" if line else path
    shown = text.splitlines()[line - 1].strip() if line else ""
    action = (f"the line reads `{shown}`; correct it, then run {check_command(path)}" if shown
              else f"correct the file, then run {check_command(path)}")
    report.add(where, Level.FAULT, message, action, line=line)


def check_branch(report: Report, path: str) -> None:
    from branchq.host.config import ConfigError, parse_config

    text = _read(report, path)
    if text is None:
        return
    try:
        branch = parse_config(text, path)
    except ConfigError as err:
        errors = _validation_errors(err)
        if not errors:
            message = str(err).removeprefix(f"{path}: ")
            _add(report, path, text, _guess_line(text, None, message), message)
        for error in errors:
            loc: list[PathPart] = list(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (check the spelling)"
            path_parts = loc or _path_from_text(message)
            if loc:
                message = f"{_format_path(loc)}: {message}"
            _add(report, path, text, locate(text, path_parts) if path_parts else None, message)
        return
    report.add(path, Level.OK, f"branch config valid ({branch.branch.id}: "
                               f"{plural(len(branch.services), 'service')}, "
                               f"{plural(len(branch.counters), 'counter')})")


def check_kiosk(report: Report, path: str) -> None:
    from branchq.kiosk.config import KioskConfigError, parse_kiosk_config

    text = _read(report, path)
    if text is None:
        return
    try:
        kiosk = parse_kiosk_config(text, path)
    except KioskConfigError as err:
        message = str(err).removeprefix(f"{path}: ")
        section = re.match(r"\[(\w+)\]", message)
        errors = _validation_errors(err)
        line = None
        if errors and section:
            line = locate(text, [section[1], *errors[0]["loc"]])
        if line is None:
            line = _guess_line(text, section[1] if section else None, message)
        _add(report, path, text, line, message)
        return
    _check_files(report, path, kiosk)
    if not report.faults:
        report.add(path, Level.OK, f"kiosk config valid (kiosk {kiosk.kiosk.id}, screen "
                                   f"{kiosk.screen.width}x{kiosk.screen.height})")


def _check_files(report: Report, path: str, kiosk: KioskConfig) -> None:
    """Files the config names that the kiosk needs at start."""
    settings = kiosk.kiosk
    secrets = [(settings.token_file, "token_file", "branchq host token create --role kiosk "
                f"--name {settings.id}")]
    if settings.keypad_token_file:
        secrets.append((settings.keypad_token_file, "keypad_token_file",
                        "branchq host token create --role keypad-gateway"))
    if settings.card_key_file:
        secrets.append((settings.card_key_file, "card_key_file",
                        "the branch's VIP card key from the bank's IT"))
    text = Path(path).read_text(encoding="utf-8")
    for file, key, source in secrets:
        if not file.is_file():
            _add(report, path, text, locate(text, ["kiosk", key]),
                 f"[kiosk] {key}: {file} does not exist (create it from `{source}`, owner "
                 "branchq, mode 600)")
    if not settings.state_dir.is_dir():
        _add(report, path, text, locate(text, ["kiosk", "state_dir"]),
             f"[kiosk] state_dir: {settings.state_dir} does not exist (create it: "
             f"sudo install -d -o branchq {settings.state_dir})")
    if not kiosk.screen.font_path.is_file():
        _add(report, path, text, locate(text, ["screen", "font_path"]),
             f"[screen] font_path: {kiosk.screen.font_path} not found "
             "(sudo apt-get install fonts-wqy-microhei)")


def _read(report: Report, path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        report.add(path, Level.FAULT, f"cannot read: {err}",
                   "check the path and that you may read it (sudo)")
        return None


def _is_branch_config(path: str) -> bool:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "branch" in Path(path).name
    return re.search(r"^\s*\[branch\]", text, re.MULTILINE) is not None


@config.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--kiosk-config", "kiosk_config", type=click.Path(dir_okay=False),
              envvar="BRANCHQ_KIOSK_CONFIG", help="Kiosk TOML to check. Env: BRANCHQ_KIOSK_CONFIG.")
@click.option("--config", "branch_config", type=click.Path(dir_okay=False),
              envvar="BRANCHQ_CONFIG", help="Branch TOML to check. Env: BRANCHQ_CONFIG.")
@json_option
def check(file: str | None, kiosk_config: str | None, branch_config: str | None,
          as_json: bool) -> None:
    """Validate FILE (branch or kiosk config, told apart by a [branch] table), or the installed
    files, and name the line of each mistake.

    \b
    Examples:
      branchq maint config check                      # the files in /etc/branchq
      branchq maint config check /etc/branchq/kiosk.toml
    """
    with reporting("Configuration check", as_json) as report:
        if file:
            branch, kiosk = (file, None) if _is_branch_config(file) else (None, file)
        else:
            branch = branch_config or (BRANCH_CONFIG_PATH if Path(BRANCH_CONFIG_PATH).exists()
                                       else None)
            found = default_kiosk_config()
            kiosk = kiosk_config or (found if Path(found).exists() else None)
        if branch is None and kiosk is None:
            report.add("Config", Level.FAULT,
                       f"no config file found ({BRANCH_CONFIG_PATH}, {KIOSK_CONFIG_PATH})",
                       "name the file: branchq maint config check PATH")
        if branch:
            check_branch(report, branch)
        if kiosk:
            check_kiosk(report, kiosk)
