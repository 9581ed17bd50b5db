"""The queue engine: pure Python, no I/O. See :mod:`branchq.host.engine.engine`."""

from branchq.host.engine.engine import QueueEngine, format_number
from branchq.host.engine.errors import (
    EngineError,
    Forbidden,
    InvalidState,
    NotFound,
    ReplayError,
    UnknownService,
)
from branchq.host.engine.estimator import WaitEstimator
from branchq.host.engine.events import Event
from branchq.host.engine.model import Priority, Ticket, TicketStatus

__all__ = [
    "EngineError", "Event", "Forbidden", "InvalidState", "NotFound", "Priority", "QueueEngine", "ReplayError",
    "Ticket", "TicketStatus", "UnknownService", "WaitEstimator", "format_number",
]
