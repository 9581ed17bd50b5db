"""Random event streams never crash the touch driver and never put a tap off the screen."""

from __future__ import annotations

from evdev import ecodes
from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.drivers.evdev_records import EvdevSourceClosed, EventPipe
from branchq.drivers.touch import TouchConfig, TouchScreen
from branchq.drivers.touch.virtual import ADS7846, RPI7_FT5X06

from .evdev_helpers import ev

CODES = st.sampled_from(
    [
        (ecodes.EV_SYN, ecodes.SYN_REPORT),
        (ecodes.EV_SYN, ecodes.SYN_REPORT),
        (ecodes.EV_SYN, ecodes.SYN_DROPPED),
        (ecodes.EV_SYN, ecodes.SYN_MT_REPORT),
        (ecodes.EV_KEY, ecodes.BTN_TOUCH),
        (ecodes.EV_ABS, ecodes.ABS_X),
        (ecodes.EV_ABS, ecodes.ABS_Y),
        (ecodes.EV_ABS, ecodes.ABS_PRESSURE),
        (ecodes.EV_ABS, ecodes.ABS_MT_SLOT),
        (ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID),
        (ecodes.EV_ABS, ecodes.ABS_MT_POSITION_X),
        (ecodes.EV_ABS, ecodes.ABS_MT_POSITION_Y),
        (ecodes.EV_MSC, ecodes.MSC_TIMESTAMP),
    ]
)
VALUES = st.one_of(st.integers(-2, 12), st.integers(-(2**31), 2**31 - 1), st.integers(0, 5000))
STREAM = st.lists(st.tuples(CODES, VALUES, st.floats(0, 2)), max_size=200)
SETUP = st.tuples(
    st.sampled_from([RPI7_FT5X06, ADS7846]),
    st.sampled_from([0, 90, 180, 270]),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(stream=STREAM, setup=SETUP)
def test_random_streams_stay_on_screen(stream, setup) -> None:
    desc, rotate, swap, invert = setup
    screen = TouchScreen(
        desc, TouchConfig(width=800, height=480, rotate=rotate, swap_axes=swap, invert_y=invert)
    )
    t = 1000.0
    gestures = []
    for (etype, code), value, dt in stream:
        t += dt
        gestures += screen.feed(ev(t, etype, code, value))
        gestures += screen.tick(t)
    gestures += screen.tick(t + 10)
    for g in gestures:
        assert 0 <= g.x < 800 and 0 <= g.y < 480


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_through_a_pipe_never_crash(data: bytes) -> None:
    pipe = EventPipe()
    source = pipe.source()
    screen = TouchScreen(RPI7_FT5X06, TouchConfig(width=800, height=480))
    pipe.write_raw(data)
    pipe.close()
    try:
        for _ in range(50):
            for g in screen.feed_all(source.read(0.01)):
                assert 0 <= g.x < 800 and 0 <= g.y < 480
    except EvdevSourceClosed:
        pass
    finally:
        source.close()
