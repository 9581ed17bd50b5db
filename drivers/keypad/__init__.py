"""Caller keypad driver (Modbus RTU over RS-485, pymodbus as master) and its virtual twin."""

from .bus import KeypadBus, KeypadStatus, KeyPress
from .config import KeypadBusConfig, KeypadConfig
from .errors import KeypadBusError, KeypadConfigError, KeypadError
from .events import CounterTracker, presses_between
from .registers import BRANCHQ_V1, MODELS, Key, KeypadModel, decode_display, encode_display
from .virtual import VirtualKeypadBus

__all__ = [
    "BRANCHQ_V1",
    "MODELS",
    "CounterTracker",
    "Key",
    "KeyPress",
    "KeypadBus",
    "KeypadBusConfig",
    "KeypadBusError",
    "KeypadConfig",
    "KeypadConfigError",
    "KeypadError",
    "KeypadModel",
    "KeypadStatus",
    "VirtualKeypadBus",
    "decode_display",
    "encode_display",
    "presses_between",
]
