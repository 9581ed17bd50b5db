"""Branch configuration: the TOML file a bank's IT writes once per branch.

Loaded and validated at start-up; unknown keys are refused and every error names the key that is
wrong, so a typo in ``/etc/branchq/branch.toml`` stops the service with a message instead of
silently running with a default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from branchq.drivers.platform.config import StrictModel

DEFAULT_PATH = Path("/etc/branchq/branch.toml")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message says where."""


class BranchInfo(StrictModel):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")] = "main"
    name_zh: Annotated[str, Field(min_length=1, max_length=60)]
    name_en: Annotated[str, Field(min_length=1, max_length=60)]
    timezone: str = "Asia/Shanghai"
    # Base of the status URL printed as a QR code on each ticket (the host's LAN address).
    public_url: str = "http://127.0.0.1:8000"
    aging_limit_s: Annotated[int, Field(ge=60, le=4 * 3600)] = 1200
    no_show_grace_s: Annotated[int, Field(ge=0, le=4 * 3600)] = 900
    default_service_time_s: Annotated[int, Field(ge=10, le=3600)] = 240
    # Kiosks' offline numbers are leased from here up, so online numbering starts at 001.
    offline_numbers_from: Annotated[int, Field(ge=2, le=9000)] = 500
    # Opening hours in branch time; kiosks show a closed screen and refuse tickets outside them.
    opens_at: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "00:00"
    closes_at: Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")] = "24:00"
    open_days: Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(min_length=1)] = [
        1, 2, 3, 4, 5, 6, 7]  # ISO weekdays, Monday = 1
    # Days the branch is closed whatever the weekday (public holidays), in branch time.
    holidays: Annotated[list[date], Field(max_length=400)] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)") from err
        return value

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    @property
    def hours(self) -> str:
        return f"{self.opens_at}-{self.closes_at}"

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        if not self.open_on(local.date()):
            return False
        return self.opens_at <= local.strftime("%H:%M") < self.closes_at

    def open_on(self, day: date) -> bool:
        """The branch opens at all on ``day`` (an open weekday, not a holiday)."""
        return day.isoweekday() in self.open_days and day not in self.holidays

    def opening_span(self, day: date) -> tuple[datetime, datetime]:
        """When the branch opens and closes on ``day``, as aware times in branch time."""
        def at(hhmm: str) -> datetime:
            hours, minutes = (int(part) for part in hhmm.split(":"))
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
            return midnight + timedelta(hours=hours, minutes=minutes)
        return at(self.opens_at), at(self.closes_at)


class ServiceConfig(StrictModel):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    prefix: Annotated[str, Field(pattern=r"^[A-Z]$")] = ""
    name_zh: Annotated[str, Field(min_length=1, max_length=40)]
    name_en: Annotated[str, Field(min_length=1, max_length=40)]
    kind: Literal["counter", "self_service"] = "counter"
    # self_service only: the counter service a customer gets when every ATM is out of service.
    fallback: str | None = None
    guidance_zh: str = ""
    guidance_en: str = ""

    @model_validator(mode="after")
    def _kind_fields(self) -> ServiceConfig:
        if self.kind == "counter" and not self.prefix:
            raise ValueError("a counter service needs a prefix letter")
        if self.kind == "self_service" and not self.fallback:
            raise ValueError("a self_service choice needs a fallback counter service")
        return self


class CounterConfig(StrictModel):
    number: Annotated[int, Field(ge=1, le=999)]
    name_zh: str = ""
    name_en: str = ""
    services: Annotated[list[str], Field(min_length=1)]
    vip: bool = False
    # The counter's rota breaks (lunch) in branch time, "HH:MM-HH:MM": its teller finishes the
    # customer at the counter and is away until the end. Wait estimates count the counter closed
    # then (docs/insight.md, "Wait estimate"); pausing is still the teller's own command.
    breaks: list[Annotated[str, Field(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")]] = []

    @field_validator("breaks")
    @classmethod
    def _ordered_breaks(cls, value: list[str]) -> list[str]:
        spans = sorted(tuple(b.split("-")) for b in value)
        for i, (start, end) in enumerate(spans):
            if start >= end:
                raise ValueError(f"break {start}-{end} ends before it starts")
            if i and start < spans[i - 1][1]:
                raise ValueError(f"break {start}-{end} overlaps {'-'.join(spans[i - 1])}")
        return value

    def break_spans(self) -> list[tuple[time, time]]:
        """The breaks as (start, end) times of day, in order."""
        spans = (text.split("-") for text in sorted(self.breaks))
        return [(time.fromisoformat(start), time.fromisoformat(end)) for start, end in spans]


class EquipmentConfig(StrictModel):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
    kind: Literal["atm", "self_service", "kiosk", "display"] = "atm"
    name_zh: str = ""
    name_en: str = ""


class AppointmentServiceConfig(StrictModel):
    key: str
    capacity: Annotated[int, Field(ge=1, le=50, description="bookings per slot")]


class AppointmentsConfig(StrictModel):
    """Booked visits (docs/web.md, "Appointments and remote tickets")."""

    slot_minutes: Literal[5, 10, 15, 20, 30, 60] = 15
    # Checked in later than this after the slot began: an ordinary walk-in ticket instead.
    grace_late_s: Annotated[int, Field(ge=0, le=3600)] = 600
    # Check-in opens this long before the slot (the ticket then waits for the slot).
    early_window_s: Annotated[int, Field(ge=0, le=4 * 3600)] = 3600
    # Services that take bookings, with the bookings each slot holds; others take none.
    services: list[AppointmentServiceConfig] = []

    def capacity(self, service: str) -> int:
        return next((s.capacity for s in self.services if s.key == service), 0)


class RemoteTicketsConfig(StrictModel):
    """Numbers taken from the bank's app before the customer arrives."""

    # At most this many remote tickets per service wait unconfirmed, so walk-ins are not swamped.
    cap_per_service: Annotated[int, Field(ge=0, le=100)] = 5
    # A remote ticket passed over because its customer had not confirmed arrival becomes a
    # no-show this long after it was first passed over.
    confirm_grace_s: Annotated[int, Field(ge=60, le=4 * 3600)] = 600


class NudgeConfig(StrictModel):
    """When a customer's turn is near: the status page's notification and the
    ``ticket.near_turn`` webhook both fire once this few people are ahead (docs/web.md)."""

    ahead: Annotated[int, Field(ge=1, le=20)] = 3


WEBHOOK_EVENTS = ("ticket.near_turn", "ticket.called")


class WebhookConfig(StrictModel):
    """One receiver of outbound webhooks, e.g. an SMS or WeChat gateway (docs/web.md,
    "Webhooks"). The signing secret must be usable, so it is not hashed: it is read at start
    from an environment variable or a file, never written in branch.toml, never logged."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
    url: Annotated[str, Field(pattern=r"^https?://[^\s/?#]+(/\S*)?$", max_length=500)]
    secret_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")] | None = None
    secret_file: Path | None = None
    events: Annotated[list[Literal["ticket.near_turn", "ticket.called"]], Field(min_length=1)]
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 8
    # Retry n waits a random time up to min(retry_max_s, retry_base_s * 2**(n-1)) (full jitter).
    retry_base_s: Annotated[float, Field(ge=0.05, le=3600)] = 5.0
    retry_max_s: Annotated[float, Field(ge=0.05, le=86400)] = 900.0
    _secret: bytes = PrivateAttr(b"")

    @model_validator(mode="after")
    def _read_secret(self) -> WebhookConfig:
        if (self.secret_env is None) == (self.secret_file is None):
            raise ValueError("give exactly one of secret_env and secret_file")
        if self.secret_env is not None:
            value, where = os.environ.get(self.secret_env, ""), f"${self.secret_env}"
        else:
            assert self.secret_file is not None
            where = str(self.secret_file)
            try:
                value = self.secret_file.read_text(encoding="utf-8").strip()
            except OSError as err:
                raise ValueError(f"secret_file: cannot read {where}: {err.strerror}") from err
        if len(value) < 16:
            raise ValueError(f"the signing secret in {where} is missing or under 16 characters")
        self._secret = value.encode("utf-8")
        return self

    @property
    def secret(self) -> bytes:
        return self._secret


class BranchConfig(StrictModel):
    branch: BranchInfo
    services: Annotated[list[ServiceConfig], Field(min_length=1)]
    counters: Annotated[list[CounterConfig], Field(min_length=1)]
    equipment: list[EquipmentConfig] = []
    appointments: AppointmentsConfig = AppointmentsConfig()
    remote_tickets: RemoteTicketsConfig = RemoteTicketsConfig()
    nudge: NudgeConfig = NudgeConfig()
    webhooks: Annotated[list[WebhookConfig], Field(max_length=8)] = []

    @model_validator(mode="after")
    def _cross_references(self) -> BranchConfig:
        keys = [s.key for s in self.services]
        _unique("services", "key", keys)
        _unique("services", "prefix", [s.prefix for s in self.services if s.kind == "counter"])
        _unique("counters", "number", [c.number for c in self.counters])
        _unique("equipment", "id", [e.id for e in self.equipment])
        _unique("webhooks", "name", [w.name for w in self.webhooks])
        by_key = {s.key: s for s in self.services}
        for i, svc in enumerate(self.services):
            if svc.kind == "self_service":
                target = by_key.get(svc.fallback or "")
                if target is None or target.kind != "counter":
                    raise ValueError(
                        f"services[{i}].fallback: {svc.fallback!r} is not a counter service"
                    )
        for i, counter in enumerate(self.counters):
            for j, key in enumerate(counter.services):
                if key not in by_key or by_key[key].kind != "counter":
                    raise ValueError(
                        f"counters[{i}].services[{j}]: {key!r} is not a counter service"
                    )
        served = {k for c in self.counters for k in c.services}
        for i, svc in enumerate(self.services):
            if svc.kind == "counter" and svc.key not in served:
                raise ValueError(f"services[{i}]: no counter serves {svc.key!r}")
        booked = [s.key for s in self.appointments.services]
        _unique("appointments.services", "key", booked)
        for i, key in enumerate(booked):
            if key not in by_key or by_key[key].kind != "counter":
                raise ValueError(f"appointments.services[{i}].key: {key!r} is not a counter service")
        return self

    def service(self, key: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.key == key), None)


def _unique(section: str, field: str, values: Sequence[object]) -> None:
    seen: set[object] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ValueError(f"{section}[{i}].{field}: {value!r} appears twice")
        seen.add(value)


def example_config_text() -> str:
    """The bundled example branch used by the demo and the tests."""
    return resources.files("branchq.host").joinpath("example-branch.toml").read_text(encoding="utf-8")


def parse_config(text: str, source: str = "branch.toml") -> BranchConfig:
    """Parse and validate TOML text; raise ConfigError naming the key and the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from err
    try:
        return BranchConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{source}: " + "; ".join(_describe(e) for e in err.errors())) from err


def _describe(error: ErrorDetails) -> str:
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling)"
    return f"{path}: {message}" if path else message


def load_config(path: str | Path | None) -> BranchConfig:
    """Load the branch config from ``path``, or the bundled example when ``path`` is None."""
    if path is None:
        return parse_config(example_config_text(), "bundled example branch")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{file}: cannot read: {err.strerror}") from err
    return parse_config(text, str(file))


def load_branch_dir(directory: str | Path) -> dict[str, BranchConfig]:
    """Every branch of a region host: one branch TOML per ``*.toml`` file of ``directory``,
    each validated like ``branch.toml`` (the error names the file), by ``[branch] id``."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a directory of branch TOML files")
    configs: dict[str, BranchConfig] = {}
    files: dict[str, Path] = {}
    for file in sorted(folder.glob("*.toml")):
        config = load_config(file)
        branch = config.branch.id
        if branch in files:
            raise ConfigError(f"{file}: [branch] id {branch!r} is also the id in {files[branch]}")
        configs[branch], files[branch] = config, file
    if not configs:
        raise ConfigError(f"{folder}: no branch files (*.toml) in it")
    return configs
