"""The queue engine: pure Python, no I/O. See :mod:`host.engine.engine`."""

from host.engine.engine import QueueEngine, format_number
from host.engine.errors import EngineError, InvalidState, NotFound, ReplayError, UnknownService
from host.engine.events import Event
from host.engine.model import Priority, Ticket, TicketStatus

__all__ = [
    "EngineError", "Event", "InvalidState", "NotFound", "Priority", "QueueEngine", "ReplayError",
    "Ticket", "TicketStatus", "UnknownService", "format_number",
]
