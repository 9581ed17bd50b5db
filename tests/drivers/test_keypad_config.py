"""Keypad models and bus config are checked at start-up; framing reaches pyserial."""

from __future__ import annotations

from typing import Any

import pytest

from branchq.drivers.keypad import (
    BRANCHQ_V1,
    Key,
    KeypadBus,
    KeypadBusConfig,
    KeypadConfig,
    KeypadConfigError,
    KeypadModel,
    decode_display,
    encode_display,
)

from .keypad_helpers import bus_config


def test_display_text_is_two_ascii_characters_per_register_high_byte_first() -> None:
    assert encode_display("A023", 4) == [0x4130, 0x3233, 0x2020, 0x2020]
    assert decode_display([0x4130, 0x3233, 0x2020, 0x2020]) == "A023"


@pytest.mark.parametrize("text", ["A0234567890", "甲023", "A\n23"])
def test_text_a_keypad_cannot_show_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        encode_display(text, 4)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"keypads": ()}, "no keypads"),
        ({"keypads": (KeypadConfig(unit=0, counter=1),)}, "1..247"),
        ({"keypads": (KeypadConfig(unit=1, counter=1), KeypadConfig(unit=1, counter=2))}, "twice"),
        ({"keypads": (KeypadConfig(unit=1, counter=1), KeypadConfig(unit=2, counter=1))}, "same counter"),
        ({"keypads": (KeypadConfig(unit=1, counter=1, model="acme-9"),)}, "unknown model"),
        ({"baudrate": 12345}, "baudrate"),
        ({"timeout": 0}, "timeout"),
        ({"models": {"x": KeypadModel("x", event_counter=0, last_key=40)}}, "16 registers"),
    ],
)
def test_invalid_config_is_refused_with_a_clear_reason(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(KeypadConfigError, match=message):
        bus_config("/dev/ttyUSB1", **overrides)


def test_config_from_a_toml_table_with_a_custom_model() -> None:
    config = KeypadBusConfig.from_mapping(
        {
            "port": "/dev/branchq/keypads",
            "keypads": [{"unit": 1, "counter": 1}, {"unit": 9, "counter": 2, "model": "acme"}],
            "models": {
                "acme": {
                    "event_counter": 16,
                    "last_key": 17,
                    "model_id": 0,
                    "firmware": 1,
                    "display": 32,
                    "key_codes": {"10": "call_next", "11": "done"},
                }
            },
        }
    )
    acme = config.model_of(config.keypad(9))
    assert acme.poll_span == (16, 2)
    assert acme.key(10) is Key.CALL_NEXT
    assert config.model_of(config.keypad(1)) == BRANCHQ_V1


@pytest.mark.parametrize(
    "raw",
    [
        {"port": "/dev/x", "keypads": [{"unit": 1, "counter": 1}], "polling": 1},
        {"port": "/dev/x", "keypads": [{"unit": 1, "counter": 1, "colour": "red"}]},
        {"port": "/dev/x", "keypads": [{"unit": 1, "counter": 1}],
         "models": {"m": {"key_codes": {"1": "explode"}}}},
    ],
)
def test_unknown_keys_and_values_are_rejected(raw: dict[str, Any]) -> None:
    with pytest.raises(KeypadConfigError):
        KeypadBusConfig.from_mapping(raw)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"parity": "E"}, (19200, 8, "E", 1)),  # Modbus RTU's default framing
        ({"baudrate": 9600, "parity": "N", "stopbits": 2}, (9600, 8, "N", 2)),
    ],
)
def test_framing_reaches_pyserial(
    monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    opened: list[dict[str, Any]] = []

    def fake_serial_for_url(url: str, **kwargs: Any) -> Any:
        opened.append({"url": url, **kwargs})
        raise OSError("no hardware here")

    monkeypatch.setattr("pymodbus.client.serial.serial.serial_for_url", fake_serial_for_url)
    bus = KeypadBus(bus_config("/dev/branchq/keypads", **overrides))
    assert bus.poll() == []  # the port cannot open: reported, not raised
    kwargs = opened[0]
    got = (kwargs["baudrate"], kwargs["bytesize"], kwargs["parity"], kwargs["stopbits"])
    assert got == expected and kwargs["url"] == "/dev/branchq/keypads"
    assert kwargs["timeout"] == 0.2
    assert all(not s.online and "cannot open" in (s.last_error or "") for s in bus.status())
