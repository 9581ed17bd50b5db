"""Touch events through a real os.pipe() as packed input_event records, from the virtual panel."""

from __future__ import annotations

import logging
import os
import struct

import pytest
from evdev import ecodes

from branchq.drivers.evdev_records import (
    RECORD_32,
    RECORD_64,
    EvdevSourceError,
    PipeEventSource,
    pack_events,
    unpack_records,
)
from branchq.drivers.touch import (
    LongPress,
    Tap,
    TouchConfig,
    TouchDescription,
    TouchDeviceError,
    TouchScreen,
)
from branchq.drivers.touch.virtual import ADS7846, RPI7_FT5X06, VirtualTouchscreen

from .evdev_helpers import as_tuples, ev, evemu, syn


def drain(screen: TouchScreen, source: PipeEventSource) -> list:
    """Everything the driver makes of what is in the pipe now."""
    out: list = []
    while batch := source.read(0.05):
        out += screen.feed_all(batch)
    return out


@pytest.fixture
def rpi7() -> tuple[VirtualTouchscreen, TouchScreen, PipeEventSource]:
    panel = VirtualTouchscreen(RPI7_FT5X06, start=1000.0)
    screen = TouchScreen(RPI7_FT5X06, TouchConfig(width=800, height=480))
    return panel, screen, panel.source()


def test_record_layout_is_24_bytes_little_endian() -> None:
    events = evemu("ft5x06-EP0430M09.2-fingers-touch-release.evemu").events
    data = pack_events(events)
    assert RECORD_64.size == 24 and len(data) == 24 * len(events)
    assert struct.unpack_from("<qqHHi", data, 24 * 1) == (0, 1, 3, 0x35, 404)
    assert as_tuples(unpack_records(data)) == as_tuples(events)
    assert as_tuples(unpack_records(pack_events(events, RECORD_32), RECORD_32)) == as_tuples(events)
    with pytest.raises(EvdevSourceError, match="whole number"):
        unpack_records(data[:-1])


def test_recording_through_a_real_pipe_in_odd_chunks() -> None:
    """A pipe has no record boundaries: the reader reassembles records split across writes."""
    capture = evemu("ft5x06-EP0430M09.2-fingers-touch-release.evemu")
    desc = TouchDescription.from_capture(evemu("ft5x06-EP0430M09.desc.evemu"))
    screen = TouchScreen(desc, TouchConfig(width=1280, height=768))
    read_fd, write_fd = os.pipe()
    source = PipeEventSource(read_fd)
    data = pack_events(capture.events)
    gestures = []
    for start in range(0, len(data), 37):  # 37 is coprime with the 24-byte record
        os.write(write_fd, data[start : start + 37])
        gestures += screen.feed_all(source.read(0.05))
    os.close(write_fd)
    assert gestures == [Tap(401, 410), Tap(934, 416)]
    with pytest.raises(EvdevSourceError):
        source.read(0.05)
    source.close()


def test_virtual_panel_tap_and_two_fingers(rpi7) -> None:
    panel, screen, source = rpi7
    panel.tap(100, 200)
    panel.down(10, 10, finger=0)
    panel.down(700, 400, finger=1)
    panel.advance(0.1)
    panel.up(finger=1)
    panel.up(finger=0)
    assert drain(screen, source) == [Tap(100, 200), Tap(700, 400), Tap(10, 10)]


def test_finger_that_stays_is_one_long_press_fired_by_poll(rpi7) -> None:
    panel, screen, source = rpi7
    panel.down(400, 240)
    assert screen.poll(source, 0.05) == []
    panel.advance(1.0)
    panel.move(402, 241)  # a resting finger jitters a little
    panel.advance(3.0)
    panel.move(401, 241)
    panel.up()
    gestures = drain(screen, source)
    assert gestures == [LongPress(400, 240)]  # where it rested when the time was up


def test_long_press_fires_while_the_panel_is_silent() -> None:
    panel = VirtualTouchscreen(RPI7_FT5X06)  # real-time clock: the tick follows the wall clock
    screen = TouchScreen(RPI7_FT5X06, TouchConfig(width=800, height=480, long_press_s=0.15))
    source = panel.source()
    panel.down(50, 60)
    gestures = screen.poll(source, 0.01)
    for _ in range(40):
        if gestures:
            break
        gestures += screen.poll(source, 0.01)
    assert gestures == [LongPress(50, 60)]


def test_bounce_on_the_same_spot_is_one_tap(rpi7) -> None:
    panel, screen, source = rpi7
    panel.down(300, 300)
    panel.advance(0.05)
    panel.up()
    panel.advance(0.03)  # resistive bounce: lifts and lands again 30 ms later
    panel.down(303, 301)
    panel.advance(0.05)
    panel.up()
    panel.advance(0.5)
    panel.tap(300, 300)  # a deliberate second tap, later
    assert drain(screen, source) == [Tap(300, 300), Tap(300, 300)]


def test_single_touch_resistive_through_pipe() -> None:
    panel = VirtualTouchscreen(ADS7846, start=50.0)
    screen = TouchScreen(ADS7846, TouchConfig(width=480, height=320, swap_axes=True, invert_x=True))
    source = panel.source()
    panel.tap(337, 3878)  # the MHS35's top-left corner
    (tap,) = drain(screen, source)
    assert tap.x < 40 and tap.y < 40


def test_syn_dropped_cancels_the_touch_in_progress(rpi7, caplog: pytest.LogCaptureFixture) -> None:
    panel, screen, source = rpi7
    panel.down(100, 100)
    with caplog.at_level(logging.WARNING):
        panel.syn_dropped()
        panel.move(500, 100)  # dropped frame: discarded up to its SYN_REPORT
        panel.up()  # the finger lifts: no tap for the cancelled touch
    assert drain(screen, source) == []
    assert "SYN_DROPPED" in caplog.text
    panel.tap(200, 220)  # recovery: the next touch works
    assert drain(screen, source) == [Tap(200, 220)]


def test_finger_held_through_syn_dropped_is_ignored_until_it_lifts(rpi7) -> None:
    panel, screen, source = rpi7
    panel.down(100, 100)
    panel.syn_dropped()
    panel.move(101, 100)  # discarded with the dropped frame
    panel.move(102, 100)
    panel.advance(2.0)
    panel.move(103, 100)
    panel.up()
    panel.tap(600, 50)
    assert drain(screen, source) == [Tap(600, 50)]


def test_garbage_and_vanishing_panel_end_in_a_clear_error(rpi7, caplog) -> None:
    panel, screen, source = rpi7
    panel.tap(10, 20)
    panel.send_raw(b"\x01" * 30)  # one bogus record and 6 stray bytes
    panel.vanish()
    gestures: list = []
    with caplog.at_level(logging.ERROR), pytest.raises(TouchDeviceError, match="end of file"):
        for _ in range(10):
            gestures += screen.poll(source, 0.05)
    assert gestures == [Tap(10, 20)]
    assert "6 bytes dropped" in caplog.text


def test_out_of_range_slot_is_ignored(rpi7) -> None:
    panel, screen, source = rpi7
    bogus = [ev(1000, ecodes.EV_ABS, ecodes.ABS_MT_SLOT, 99),
             ev(1000, ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, 5), syn(1000)]
    assert screen.feed_all(bogus) == []
    panel.tap(5, 5)
    assert drain(screen, source) == []  # slot 0 was never selected again: still unknown


class FakeDeviceState:
    """What a real device answers to EVIOCGABS(ABS_MT_SLOT) and EVIOCGKEY after a drop."""

    def __init__(self, slot: int, keys: set[int]) -> None:
        self.slot, self.keys = slot, keys

    def current_slot(self) -> int:
        return self.slot

    def key_down(self, key: int) -> bool:
        return key in self.keys


def test_syn_dropped_rereads_the_current_slot_from_the_device() -> None:
    """Events lost while the kernel switched to slot 1: the re-read slot routes the next touch."""
    screen = TouchScreen(RPI7_FT5X06, TouchConfig(width=800, height=480),
                         FakeDeviceState(slot=1, keys=set()))
    events = [
        ev(1.0, ecodes.EV_SYN, ecodes.SYN_DROPPED, 0),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_SLOT, 1),  # lost with the dropped frame
        syn(1.0),
        ev(1.1, ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, 40),  # goes to slot 1
        ev(1.1, ecodes.EV_ABS, ecodes.ABS_MT_POSITION_X, 100),
        ev(1.1, ecodes.EV_ABS, ecodes.ABS_MT_POSITION_Y, 50),
        syn(1.1),
        ev(1.2, ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, -1),
        syn(1.2),
    ]
    assert screen.feed_all(events) == [Tap(100, 50)]


def test_single_touch_released_during_the_drop_works_at_once() -> None:
    screen = TouchScreen(ADS7846, TouchConfig(width=4096, height=4096),
                         FakeDeviceState(slot=0, keys=set()))
    events = [
        ev(1.0, ecodes.EV_KEY, ecodes.BTN_TOUCH, 1),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_X, 10),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_Y, 10),
        syn(1.0),
        ev(1.1, ecodes.EV_SYN, ecodes.SYN_DROPPED, 0),
        syn(1.1),  # the BTN_TOUCH 0 was lost; the device says the key is up
        ev(2.0, ecodes.EV_KEY, ecodes.BTN_TOUCH, 1),
        ev(2.0, ecodes.EV_ABS, ecodes.ABS_X, 2000),
        syn(2.0),
        ev(2.1, ecodes.EV_KEY, ecodes.BTN_TOUCH, 0),
        syn(2.1),
    ]
    assert screen.feed_all(events) == [Tap(2000, 10)]


def test_no_touch_device_is_a_clear_error(tmp_path) -> None:
    from branchq.drivers.touch import find_touch_device

    config = TouchConfig(width=800, height=480, device=str(tmp_path / "branchq-touch"))
    if list(__import__("evdev").list_devices()):
        pytest.skip("this machine has input devices")
    with pytest.raises(TouchDeviceError, match="no touch screen.*udev/README.md"):
        find_touch_device(config)
