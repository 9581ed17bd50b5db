"""LED call display driver (Alpha Sign Communications Protocol over pyserial) and its twin."""

from .config import Role, SignAddress, SignConfig, Templates
from .errors import (
    LedSignError,
    SignConfigError,
    SignMessageError,
    SignRejectedError,
    SignTransportError,
)
from .protocol import Mode, Position, StreamDecoder, checksum, encode_write_text
from .sign import Call, LedSign
from .transport import SerialTransport
from .virtual import VirtualSign

__all__ = [
    "Call",
    "LedSign",
    "LedSignError",
    "Mode",
    "Position",
    "Role",
    "SerialTransport",
    "SignAddress",
    "SignConfig",
    "SignConfigError",
    "SignMessageError",
    "SignRejectedError",
    "SignTransportError",
    "StreamDecoder",
    "Templates",
    "VirtualSign",
    "checksum",
    "encode_write_text",
]
