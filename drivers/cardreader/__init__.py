"""Card reader / QR scanner driver (evdev keyboard wedge).

The device is grabbed; keys are decoded (US layout, shift, ALT+keypad codes); Enter ends a read.
A magstripe swipe yields ``CardRead(kind="card", digest=HMAC-SHA256(branch key, PAN))``; anything
else ``CardRead(kind="text", text=...)``. The card number never leaves the driver, nor is logged.
"""

from .errors import CardDataError, CardReaderConfigError, CardReaderDeviceError, CardReaderError
from .reader import CardRead, CardReader, CardReaderConfig, find_card_reader

__all__ = [
    "CardDataError",
    "CardRead",
    "CardReader",
    "CardReaderConfig",
    "CardReaderConfigError",
    "CardReaderDeviceError",
    "CardReaderError",
    "find_card_reader",
]
