"""Sign configuration is checked at start-up, and the framing reaches pyserial as configured."""

from __future__ import annotations

from typing import Any

import pytest
import serial
from pydantic import ValidationError

from branchq.drivers.ledsign import LedSign, Role, SignAddress, SignConfig, SignConfigError, Templates
from branchq.drivers.ledsign import transport as transport_module

from .ledsign_helpers import line_config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"baudrate": 9601}, "baudrate"),
        ({"parity": "X"}, "parity"),
        ({"bytesize": 6}, "bytesize"),
        ({"port": ""}, "port"),
        ({"signs": ()}, "no signs"),
        ({"signs": (SignAddress(address="00", role=Role.HALL),)}, "broadcast"),
        ({"signs": (SignAddress(address="1G", role=Role.HALL),)}, "2 hex digits"),
        ({"signs": (SignAddress(address="02", role=Role.COUNTER),)}, "needs counter"),
        ({"signs": (SignAddress(address="02", role=Role.HALL),) * 2}, "twice"),
        ({"signs": (SignAddress(address="02", role=Role.HALL, cjk=True),)}, "8 data bits"),
        ({"label": "?"}, "label"),
        ({"templates": Templates(english="{ticket} -> {window}")}, "placeholders"),
        ({"templates": Templates(english="{ticket} → {counter}")}, "ASCII"),
    ],
)
def test_invalid_config_is_refused_with_a_clear_reason(
    overrides: dict[str, Any], message: str
) -> None:
    port = overrides.pop("port", "/dev/ttyUSB0")
    with pytest.raises(SignConfigError, match=message):
        line_config(port, **overrides)


def test_config_from_a_toml_table() -> None:
    config = SignConfig.from_mapping(
        {
            "port": "/dev/branchq/ledsign",
            "baudrate": 19200,
            "signs": [
                {"address": "01", "role": "hall", "lines": 4},
                {"address": "03", "role": "counter", "counter": 3},
            ],
            "templates": {"english": "{ticket} to counter {counter}"},
        }
    )
    assert config.counter_sign(3) == SignAddress(address="03", role=Role.COUNTER, counter=3)
    assert config.hall_signs()[0].lines == 4


@pytest.mark.parametrize(
    "raw",
    [
        {"port": "/dev/x", "signs": [], "baud": 9600},
        {"port": "/dev/x", "signs": [{"address": "01", "role": "wall"}]},
        {"port": "/dev/x", "signs": [{"address": "01", "role": "hall", "colour": 1}]},
    ],
)
def test_unknown_keys_and_values_are_rejected(raw: dict[str, Any]) -> None:
    with pytest.raises(SignConfigError):
        SignConfig.from_mapping(raw)


class FakeSerial:
    """Stands in for serial.Serial: ptys ignore baud and parity, so we check what is asked for."""

    opened: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        FakeSerial.opened.append(kwargs)

    def reset_input_buffer(self) -> None: ...

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None: ...

    def read(self, size: int) -> bytes:
        return b""

    def close(self) -> None: ...


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, (9600, serial.SEVENBITS, serial.PARITY_EVEN, serial.STOPBITS_ONE)),
        (
            {"baudrate": 19200, "bytesize": 8, "parity": "N"},
            (19200, serial.EIGHTBITS, serial.PARITY_NONE, serial.STOPBITS_ONE),
        ),
    ],
)
def test_framing_reaches_pyserial(
    monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    FakeSerial.opened.clear()
    monkeypatch.setattr(transport_module.serial, "Serial", FakeSerial)
    config = line_config("/dev/branchq/ledsign", ack=False, **overrides)
    LedSign(config).show_call("A023", 3)
    (kwargs,) = FakeSerial.opened  # opened once, reused for both packets
    got = (kwargs["baudrate"], kwargs["bytesize"], kwargs["parity"], kwargs["stopbits"])
    assert got == expected
    assert kwargs["port"] == "/dev/branchq/ledsign"
    assert kwargs["write_timeout"] > 0  # a stuck adapter never blocks the kiosk forever


def test_a_changed_copy_is_validated_again() -> None:
    """``replaced`` (a port from the command line, the simulator's 8N1) checks the whole config,
    as loading does: a copy cannot carry a value the file could not."""
    config = line_config("/dev/ttyUSB0")
    assert config.replaced(port="/dev/ttyUSB1").port == "/dev/ttyUSB1"
    with pytest.raises(ValidationError, match="baudrate 9601"):
        config.replaced(baudrate=9601)
