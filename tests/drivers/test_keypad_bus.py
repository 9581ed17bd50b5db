"""A teller's key presses through a real pty to pymodbus's own server: once, never replayed."""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymodbus.framer import FramerRTU
from pymodbus.pdu import DecodePDU

from branchq.drivers.keypad import (
    Key,
    KeypadBus,
    KeypadBusError,
    KeypadConfig,
    KeyPress,
    VirtualKeypadBus,
)

from .keypad_helpers import (
    bus_config,
    bus_fixture,  # noqa: F401  (pytest fixture "bus")
    fixture_lines,
    keypads_fixture,  # noqa: F401  (pytest fixture "keypads")
)


def online(bus: KeypadBus) -> dict[int, bool]:
    return {s.unit: s.online for s in bus.status()}


def test_a_press_is_delivered_once(keypads: VirtualKeypadBus, bus: KeypadBus) -> None:
    keypads.press(2, Key.CALL_NEXT)
    assert bus.poll() == [KeyPress(unit=2, counter=12, key=Key.CALL_NEXT, sequence=1)]
    assert bus.poll() == []
    assert bus.poll() == []


def test_presses_on_several_keypads_in_one_poll(keypads: VirtualKeypadBus, bus: KeypadBus) -> None:
    keypads.press(1, Key.DONE)
    keypads.press(3, Key.SATISFACTION_3)
    assert [(p.counter, p.key) for p in bus.poll()] == [(11, Key.DONE), (13, Key.SATISFACTION_3)]


def test_press_made_before_the_kiosk_started_is_not_replayed(keypads: VirtualKeypadBus) -> None:
    keypads.press(1, Key.CALL_NEXT)
    bus = KeypadBus(bus_config(keypads.port))
    assert bus.poll() == []  # baseline
    keypads.press(1, Key.RECALL)
    assert [p.key for p in bus.poll()] == [Key.RECALL]
    bus.close()


def test_counter_wraps_from_65535_to_0(keypads: VirtualKeypadBus) -> None:
    keypads.set_counter(1, 65535)
    bus = KeypadBus(bus_config(keypads.port))
    bus.poll()
    keypads.press(1, Key.NO_SHOW)
    assert bus.poll() == [KeyPress(unit=1, counter=11, key=Key.NO_SHOW, sequence=0)]
    assert bus.poll() == []
    bus.close()


def test_presses_between_polls_report_how_many_were_missed(
    keypads: VirtualKeypadBus, bus: KeypadBus
) -> None:
    keypads.press(3, Key.CALL_NEXT)
    keypads.press(3, Key.TRANSFER, times=2)
    (press,) = bus.poll()
    assert (press.key, press.missed, press.sequence) == (Key.TRANSFER, 2, 3)


def test_silent_keypad_goes_offline_and_the_others_still_work(
    keypads: VirtualKeypadBus, bus: KeypadBus, caplog: pytest.LogCaptureFixture
) -> None:
    keypads.set_silent(2)
    keypads.press(1, Key.CALL_NEXT)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="branchq.drivers.keypad"):
        assert [p.unit for p in bus.poll()] == [1]
    assert time.monotonic() - started < 0.6  # one short timeout, not a hang
    assert online(bus) == {1: True, 2: False, 3: True}
    status = {s.unit: s for s in bus.status()}[2]
    assert status.failures == 1 and "No response" in (status.last_error or "")
    assert "keypad 2" in caplog.text


def test_press_during_a_short_outage_arrives_when_the_keypad_is_back(
    keypads: VirtualKeypadBus, bus: KeypadBus
) -> None:
    keypads.set_silent(2)
    bus.poll()
    keypads.press(2, Key.DONE)  # pressed while the cable was loose
    bus.poll()
    keypads.set_silent(2, False)
    assert [p.key for p in bus.poll()] == [Key.DONE]
    assert online(bus)[2]


def test_after_a_long_outage_old_presses_are_not_replayed(keypads: VirtualKeypadBus) -> None:
    now = [1000.0]
    bus = KeypadBus(bus_config(keypads.port, stale_after=10.0), clock=lambda: now[0])
    bus.poll()
    keypads.set_silent(2)
    bus.poll()
    keypads.press(2, Key.CALL_NEXT)
    now[0] += 60  # a minute later someone plugs the keypad back in
    keypads.set_silent(2, False)
    assert bus.poll() == []
    keypads.press(2, Key.RECALL)
    assert [p.key for p in bus.poll()] == [Key.RECALL]
    bus.close()


def test_keypad_reboot_is_not_taken_for_thousands_of_presses(
    keypads: VirtualKeypadBus, bus: KeypadBus, caplog: pytest.LogCaptureFixture
) -> None:
    keypads.set_counter(3, 4000)
    bus.poll()  # would be 4000 presses: more than a poll can hold, taken as a jump
    keypads.reboot(3)
    with caplog.at_level(logging.WARNING, logger="branchq.drivers.keypad"):
        assert bus.poll() == []
    assert "jumped" in caplog.text
    keypads.press(3, Key.CALL_NEXT)
    assert [p.sequence for p in bus.poll()] == [1]


def test_absent_keypad_is_reported_offline(keypads: VirtualKeypadBus) -> None:
    config = bus_config(keypads.port)
    config = bus_config(keypads.port, keypads=(*config.keypads, KeypadConfig(unit=7, counter=17)))
    bus = KeypadBus(config)
    bus.poll()
    assert online(bus) == {1: True, 2: True, 3: True, 7: False}
    bus.close()


NOISE = [
    b"\xff\x00\xfe",
    fixture_lines("bus-sniff-foreign-master.modbustools45.hex")[3][1],  # no valid frame at all
    fixture_lines("bus-sniff-foreign-master.modbustools45.hex")[5][1],  # frame + cut-off reply
    fixture_lines("leading-zero-truncated.pymodbus485.hex")[1][1],  # CRC byte missing
    fixture_lines("half-duplex-echo.emodbus326.hex")[1][1],  # another slave's exchange
]


@pytest.mark.parametrize("noise", NOISE, ids=["junk", "fragments", "cut", "truncated", "echo"])
def test_garbled_reply_is_dropped_and_the_press_still_arrives_once(
    keypads: VirtualKeypadBus, bus: KeypadBus, noise: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    keypads.press(1, Key.PAUSE_RESUME)
    keypads.garble_next_reply(noise)
    with caplog.at_level(logging.DEBUG, logger="branchq.wire.keypad"):
        first = bus.poll()
    assert noise.hex(" ") in caplog.text  # the wire log shows what was on the line
    second = bus.poll()
    assert [p.key for p in first + second] == [Key.PAUSE_RESUME]
    assert bus.poll() == []
    assert all(online(bus).values())


def test_show_number_round_trip(keypads: VirtualKeypadBus, bus: KeypadBus) -> None:
    bus.show_number(2, "A023")
    assert keypads.display_text(2) == "A023"
    bus.show_number(2, "VIP-0012")
    assert keypads.display_text(2) == "VIP-0012"
    bus.show_number(2, "")
    assert keypads.display_text(2) == ""


def test_show_number_failures_raise_the_drivers_error(
    keypads: VirtualKeypadBus, bus: KeypadBus
) -> None:
    with pytest.raises(KeypadBusError):
        bus.show_number(1, "TOO-LONG-9")
    with pytest.raises(KeypadBusError):
        bus.show_number(9, "A001")
    keypads.set_silent(1)
    with pytest.raises(KeypadBusError):
        bus.show_number(1, "A001")


def test_bus_recovers_after_the_adapter_is_unplugged(
    keypads: VirtualKeypadBus, bus: KeypadBus
) -> None:
    keypads.unplug()
    assert bus.poll() == []
    assert not any(online(bus).values())
    assert bus.poll() == []  # the path is gone: reported again, never raised
    keypads.press(1, Key.CALL_NEXT)  # pressed while the adapter was out
    keypads.replug()
    assert bus.poll() == []  # reopened and re-baselined: no replay
    assert all(online(bus).values())
    keypads.press(1, Key.DONE)
    assert [p.key for p in bus.poll()] == [Key.DONE]


def decode_replies(name: str) -> list[object]:
    """Every recorded reply of a fixture through the RTU framer the master uses."""
    framer = FramerRTU(DecodePDU(is_server=False))
    pdus = []
    for direction, data in fixture_lines(name):
        if direction == "<":
            used, pdu = framer.handleFrame(data, 0, 0)
            assert used == len(data)  # consumed: nothing left to poison the next reply
            pdus.append(pdu)
    return pdus


def test_recorded_good_replies_decode_in_the_masters_framer() -> None:
    sensor, exception = decode_replies("sensor-and-exception.emodbus391.hex")
    assert sensor.registers == [0x00DC]  # type: ignore[attr-defined]
    assert exception.isError()  # type: ignore[attr-defined]
    trace = decode_replies("rs485-device-trace.epics-modbus39.hex")
    assert len(trace[1].registers) == 42  # type: ignore[attr-defined]


def test_recorded_bad_bytes_are_dropped_by_the_masters_framer() -> None:
    _glued, fragments, cut = decode_replies("bus-sniff-foreign-master.modbustools45.hex")
    (truncated,) = decode_replies("leading-zero-truncated.pymodbus485.hex")
    assert fragments is None and cut is None and truncated is None


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(noise=st.binary(min_size=1, max_size=64))
def test_random_line_noise_never_crashes_and_never_duplicates(
    keypads: VirtualKeypadBus, bus: KeypadBus, noise: bytes
) -> None:
    keypads.press(3, Key.CALL_NEXT)
    keypads.garble_next_reply(noise)
    delivered = bus.poll() + bus.poll() + bus.poll()
    assert [(p.unit, p.key, p.missed) for p in delivered] == [(3, Key.CALL_NEXT, 0)]
