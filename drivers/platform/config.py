"""The base of every configuration section, on the kiosk and on the host alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails


class StrictModel(BaseModel):
    """A configuration section: unknown keys refused (a typo must not pass silently), frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def replaced(self, **changes: Any) -> Self:
        """A copy with ``changes``, validated as a whole again (``model_copy`` would not check)."""
        return self.model_validate({**dict(self), **changes})

    @classmethod
    def from_section(cls, data: Mapping[str, Any], error: type[Exception], what: str) -> Self:
        """Validate a parsed TOML table; every problem in one ``error``, each named by its key:
        ``invalid <what>: baudrate: Input should be 9600 or 19200; ...``.

        The ValidationError stays the error's cause, so ``branchq maint config check`` can point
        at the line of each key.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            raise error(f"invalid {what}: " + "; ".join(map(_problem, err.errors()))) from err


def _problem(error: ErrorDetails) -> str:
    """``key.sub: message``; checks across keys raise ValueError, whose text is the message."""
    message = ("unknown key (check the spelling)" if error["type"] == "extra_forbidden"
               else error["msg"].removeprefix("Value error, "))
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {message}" if where else message
