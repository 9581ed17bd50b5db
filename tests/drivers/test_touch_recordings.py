"""Recorded touch panels replayed through the driver: what the kiosk would receive."""

from __future__ import annotations

import logging

import pytest
from evdev import ecodes

from branchq.drivers.evdev_records import AbsRange
from branchq.drivers.touch import (
    LongPress,
    Protocol,
    Tap,
    TouchConfig,
    TouchDescription,
    TouchScreen,
    UnsupportedTouchDevice,
)

from .evdev_helpers import ev, evemu, evtest, syn

EP0430 = "ft5x06-EP0430M09.desc.evemu"


def ep0430_screen(**config: object) -> TouchScreen:
    desc = TouchDescription.from_capture(evemu(EP0430))
    return TouchScreen(desc, TouchConfig(width=1280, height=768, **config))  # type: ignore[arg-type]


def test_ft5x06_two_fingers_give_two_taps_where_they_touched() -> None:
    screen = ep0430_screen()
    assert screen.protocol is Protocol.MULTITOUCH_B
    gestures = screen.feed_all(evemu("ft5x06-EP0430M09.2-fingers-touch-release.evemu").events)
    # slot 0 lifted at (401, 410), slot 1 at (934, 416); the panel is 1280x768 raw = pixels
    assert gestures == [Tap(401, 410), Tap(934, 416)]


@pytest.mark.parametrize("recording", ["1-finger-drag-up-down", "2-finger-scroll-down"])
def test_ft5x06_drags_and_scrolls_are_not_taps(recording: str) -> None:
    screen = ep0430_screen()
    assert screen.feed_all(evemu(f"ft5x06-EP0430M09.{recording}.evemu").events) == []
    assert screen.tick(1e12) == []  # nothing left hanging: every finger was released


def test_ft5x06_events_scaled_to_official_7inch_screen() -> None:
    """Same kernel driver, the official display's absinfo (0..799 x 0..479), screen 800x480."""
    header = evtest("rpi7-generic-ft5x06.header.evtest.txt")[0]
    desc = TouchDescription.from_capture(header)
    screen = TouchScreen(desc, TouchConfig(width=800, height=480))
    events = [
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, 7),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_POSITION_X, 799),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_POSITION_Y, 0),
        ev(1.0, ecodes.EV_KEY, ecodes.BTN_TOUCH, 1),
        syn(1.0),
        ev(1.1, ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, -1),
        ev(1.1, ecodes.EV_KEY, ecodes.BTN_TOUCH, 0),
        syn(1.1),
    ]
    assert screen.feed_all(events) == [Tap(799, 0)]


def test_ft5406_memory_driver_max_800_still_lands_on_screen() -> None:
    desc = TouchDescription.from_capture(evtest("rpi7-ft5406-memory-driver.header.evtest.txt")[0])
    desc = TouchDescription(desc.name, {**desc.absinfo, ecodes.ABS_MT_TRACKING_ID: AbsRange(0, 65535)},
                            desc.keys, desc.props)
    screen = TouchScreen(desc, TouchConfig(width=800, height=480))
    events = [
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_SLOT, 0),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, 1),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_POSITION_X, 800),
        ev(1.0, ecodes.EV_ABS, ecodes.ABS_MT_POSITION_Y, 480),
        syn(1.0),
        ev(1.05, ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, -1),
        syn(1.05),
    ]
    assert screen.feed_all(events) == [Tap(799, 479)]


def test_spurious_ft5x06_contacts_without_position_are_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    header = evtest("rpi7-generic-ft5x06.header.evtest.txt")[0]
    screen = TouchScreen(TouchDescription.from_capture(header), TouchConfig(width=800, height=480))
    spurious = evtest("rpi7-generic-ft5x06.spurious.evtest.txt")[-1]
    with caplog.at_level(logging.INFO):
        assert screen.feed_all(spurious.events) == []
    assert "spurious" in caplog.text


def test_resistive_egalax_single_touch_tap() -> None:
    header, tap = evtest("egalax-usb-single-touch.kivy3302.evtest.txt")
    screen = TouchScreen(TouchDescription.from_capture(header), TouchConfig(width=800, height=480))
    assert screen.protocol is Protocol.SINGLE
    # down at raw 1892,352 .. up at 1897,356 of 0..2047
    assert screen.feed_all(tap.events) == [Tap(round(1897 / 2047 * 799), round(356 / 2047 * 479))]


def test_resistive_ads7846_held_finger_is_one_long_press() -> None:
    (capture,) = evtest("ads7846-flutterpi212.evtest.txt")
    screen = TouchScreen(TouchDescription.from_capture(capture), TouchConfig(width=480, height=320))
    assert screen.feed_all(capture.events) == []  # 40 ms in: nothing yet
    last = capture.events[-1].timestamp()
    assert screen.tick(last + 0.3) == []
    (press,) = screen.tick(last + 1.0)
    assert isinstance(press, LongPress)
    assert screen.tick(last + 5.0) == []  # never repeated
    release = [ev(last + 6, ecodes.EV_KEY, ecodes.BTN_TOUCH, 0), syn(last + 6)]
    assert screen.feed_all(release) == []  # and no tap after a long press


def test_egalax_coordinates_on_other_axes_reported_then_fixed_by_config(
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture = evemu("egalax-usb-touchcontroller.desc.evemu", "egalax-usb-touchcontroller.events.evemu")
    desc = TouchDescription.from_capture(capture)
    with caplog.at_level(logging.WARNING):
        assert TouchScreen(desc, TouchConfig(width=800, height=480)).feed_all(capture.events) == []
    assert "ABS_Z, ABS_RX" in caplog.text and "x_axis/y_axis" in caplog.text
    fixed = TouchScreen(desc, TouchConfig(width=800, height=480, x_axis="ABS_Z", y_axis="ABS_RX"))
    gestures = fixed.feed_all(capture.events)
    assert len(gestures) == 1 and isinstance(gestures[0], Tap)  # the second touch is a long drag


def test_egalax_pcap_multitouch_tap() -> None:
    capture = evemu("egalax-pcap-mt.desc.evemu", "egalax-pcap-mt.tap.evemu")
    screen = TouchScreen(TouchDescription.from_capture(capture), TouchConfig(width=800, height=480))
    assert screen.feed_all(capture.events) == [
        Tap(round(22496 / 32767 * 799), round(18032 / 32767 * 479))
    ]


def test_protocol_a_device_is_refused_with_a_way_out() -> None:
    capture = evemu("ntrig-usb-mt-protocolA.desc.evemu", "ntrig-usb-mt-protocolA.1-finger-drag-NW-SE.evemu")
    desc = TouchDescription.from_capture(capture)
    with pytest.raises(UnsupportedTouchDevice, match='protocol A.*protocol = "single"'):
        TouchScreen(desc, TouchConfig(width=800, height=480))
    screen = TouchScreen(desc, TouchConfig(width=800, height=480, protocol="single"))
    assert screen.feed_all(capture.events) == []  # a diagonal drag, decoded without crashing


def test_device_without_touch_key_is_refused() -> None:
    (header,) = evtest("egalax-virtual-single-btnleft.sfmlpi24.header.evtest.txt")
    desc = TouchDescription.from_capture(header)
    with pytest.raises(UnsupportedTouchDevice, match="BTN_TOUCH"):
        TouchScreen(desc, TouchConfig(width=800, height=480))
    TouchScreen(desc, TouchConfig(width=800, height=480, touch_key="BTN_LEFT"))


def test_weida_resting_finger_frames_do_not_crash() -> None:
    header, frames = evtest("weida-usb-mt.fruitbox11.evtest.txt")
    desc = TouchDescription(header.name, {**header.absinfo,
                                          ecodes.ABS_MT_TRACKING_ID: AbsRange(0, 65535)},
                            frozenset(header.keys), frozenset(header.props))
    screen = TouchScreen(desc, TouchConfig(width=1024, height=600))
    assert screen.feed_all(frames.events) == []  # positions without a tracking id: no contact
