"""What the engine refuses, by kind; the API maps each kind to its HTTP status."""


class EngineError(Exception):
    """A command the queue rules refuse. The message is shown to staff as-is."""


class UnknownService(EngineError):
    """The service key is not offered by this branch."""


class NotFound(EngineError):
    """No such ticket, counter or equipment."""


class InvalidState(EngineError):
    """The ticket or counter is not in a state that allows the command (paused, nobody called...)."""
