"""The base of every configuration section, on the kiosk and on the host alike."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A configuration section: unknown keys refused (a typo must not pass silently), frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
