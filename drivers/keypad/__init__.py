"""Caller keypad driver (Modbus RTU over RS-485, pymodbus as master) and its virtual twin.

The bus and the twin are imported on first use: they import pymodbus, which reading the kiosk's
configuration (``[keypads]``) does not need; the Modbus stack loads when the bus is opened.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import KeypadBusConfig, KeypadConfig
from .errors import KeypadBusError, KeypadConfigError, KeypadError
from .events import CounterTracker, presses_between
from .registers import BRANCHQ_V1, MODELS, Key, KeypadModel, decode_display, encode_display

if TYPE_CHECKING:
    from .bus import KeypadBus, KeypadStatus, KeyPress
    from .virtual import VirtualKeypadBus

_PYMODBUS_MODULES = {"KeypadBus": "bus", "KeypadStatus": "bus", "KeyPress": "bus",
                     "VirtualKeypadBus": "virtual"}


def __getattr__(name: str) -> Any:
    module = _PYMODBUS_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

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
