"""What the engine refuses, by kind; the API maps each kind to its HTTP status."""


class EngineError(Exception):
    """A command the queue rules refuse. The message is shown to staff as-is."""


class UnknownService(EngineError):
    """The service key is not offered by this branch."""


class NotFound(EngineError):
    """No such ticket, counter or equipment."""


class Forbidden(EngineError):
    """The rules leave this to someone else (a VIP ticket without a VIP card: the lobby manager)."""


class InvalidState(EngineError):
    """The ticket or counter is not in a state that allows the command (paused, nobody called...)."""


class ReplayError(Exception):
    """A stored event does not apply to the state the events before it built (a damaged log).

    Not an :class:`EngineError`: no request is at fault, the database is. ``branchq maint db
    check`` finds such an event and ``branchq maint db repair`` quarantines it
    (docs/maintenance.md)."""

    def __init__(self, seq: int, kind: str, reason: str) -> None:
        super().__init__(f"event {seq} ({kind}) does not replay: {reason}")
        self.seq = seq
        self.kind = kind
        self.reason = reason
