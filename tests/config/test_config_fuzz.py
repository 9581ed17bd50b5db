"""Configuration loading never fails with anything but its own clear error, whatever the file."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.host.config import ConfigError, example_config_text, parse_config
from branchq.kiosk.config import KioskConfigError, example_kiosk_config_text, parse_kiosk_config

BRANCH = example_config_text()
KIOSK = example_kiosk_config_text()
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False), st.text(max_size=20))


def _mutate(text: str, line: int, value: str) -> str:
    lines = text.splitlines()
    i = line % len(lines)
    if "=" in lines[i]:
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {value}"
    else:
        lines.insert(i, value)
    return "\n".join(lines)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '""'
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
    return repr(value)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 500), scalars)
def test_a_changed_value_in_branch_toml_is_accepted_or_named(line: int, value: object) -> None:
    try:
        parse_config(_mutate(BRANCH, line, _toml(value)))
    except ConfigError as err:
        assert str(err)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 500), scalars)
def test_a_changed_value_in_kiosk_toml_is_accepted_or_named(line: int, value: object) -> None:
    try:
        parse_kiosk_config(_mutate(KIOSK, line, _toml(value)))
    except KioskConfigError as err:
        assert str(err)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_loaders(text: str) -> None:
    for parse, error in ((parse_config, ConfigError), (parse_kiosk_config, KioskConfigError)):
        try:
            parse(text)
        except error:
            pass


def test_the_examples_themselves_are_valid_toml() -> None:
    tomllib.loads(BRANCH)
    tomllib.loads(KIOSK)
