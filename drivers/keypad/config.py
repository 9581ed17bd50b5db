"""Typed, validated configuration of the RS-485 keypad bus."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self

from pydantic import Field, model_validator

from ..platform.config import StrictModel
from .errors import KeypadConfigError
from .registers import MODELS, Key, KeypadModel


class KeypadConfig(StrictModel):
    """One keypad: its Modbus unit id (1..247), the counter it sits at, its model name."""

    unit: int
    counter: int
    model: str = "branchq-v1"


class KeypadBusConfig(StrictModel):
    """The bus and the keypads on it.

    ``timeout`` (seconds) bounds each request: a silent keypad costs one timeout per poll, so keep
    it short (0.1-0.3 s at 19200 baud). ``offline_after`` consecutive failed polls mark a keypad
    offline. A keypad unseen for more than ``stale_after`` seconds is re-baselined when it comes
    back: presses made while it was unreachable are old and are not delivered. A counter jump of
    more than ``max_presses_per_poll`` is taken as a keypad reset, not as presses.
    """

    port: str
    keypads: tuple[KeypadConfig, ...]
    baudrate: int = 19200
    bytesize: int = 8
    parity: str = "E"
    stopbits: int = 1
    timeout: float = 0.2
    offline_after: int = 2
    stale_after: float = 10.0
    max_presses_per_poll: int = 50
    models: Mapping[str, KeypadModel] = Field(default_factory=lambda: dict(MODELS))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = list(self._problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def model_of(self, keypad: KeypadConfig) -> KeypadModel:
        return self.models[keypad.model]

    def keypad(self, unit: int) -> KeypadConfig:
        for keypad in self.keypads:
            if keypad.unit == unit:
                return keypad
        raise KeypadConfigError(f"no keypad with unit id {unit} on this bus")

    def _problems(self) -> Iterator[str]:
        if not self.port:
            yield "port is empty"
        if self.baudrate not in (2400, 4800, 9600, 19200, 38400, 57600, 115200):
            yield f"baudrate {self.baudrate} is not a standard Modbus rate"
        if self.bytesize not in (7, 8) or self.parity not in ("N", "E", "O"):
            yield "bytesize must be 7 or 8 and parity N, E or O"
        if self.stopbits not in (1, 2):
            yield "stopbits must be 1 or 2"
        if not 0.01 <= self.timeout <= 5:
            yield f"timeout {self.timeout} s outside 0.01..5"
        if self.offline_after < 1 or self.max_presses_per_poll < 1 or self.stale_after <= 0:
            yield "offline_after, max_presses_per_poll and stale_after must be positive"
        if not self.keypads:
            yield "no keypads configured"
        for model in self.models.values():
            yield from model.problems()
        units = [k.unit for k in self.keypads]
        counters = [k.counter for k in self.keypads]
        if len(set(units)) != len(units):
            yield "a unit id is used twice"
        if len(set(counters)) != len(counters):
            yield "two keypads for the same counter"
        for keypad in self.keypads:
            if not 1 <= keypad.unit <= 247:
                yield f"unit {keypad.unit}: Modbus unit ids are 1..247"
            if keypad.counter < 1:
                yield f"unit {keypad.unit}: counter must be >= 1"
            if keypad.model not in self.models:
                yield f"unit {keypad.unit}: unknown model {keypad.model!r}"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> KeypadBusConfig:
        """Build from a parsed TOML/JSON table; unknown keys are rejected.

        ``models`` may add keypad models: ``{name: {register fields..., key_codes: {code: key}}}``.
        """
        values = dict(raw)
        try:
            models = dict(MODELS)
            for name, spec in raw.get("models", {}).items():
                spec = dict(spec)
                if "key_codes" in spec:
                    spec["key_codes"] = {int(c): Key(k) for c, k in spec["key_codes"].items()}
                models[name] = KeypadModel(name=name, **spec)
            values["models"] = models
        except (TypeError, ValueError, AttributeError) as err:
            raise KeypadConfigError(f"invalid keypad model: {err}") from err
        return cls.from_section(values, KeypadConfigError, "keypad bus config")
