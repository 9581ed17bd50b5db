"""What the engine asks of a wait estimator.

The model itself is lobby intelligence (``host/insight/estimate.py``); whoever builds an engine
hands it one (``host/service.py`` wires the real one), so the engine imports nothing of it and
the estimator is free to read the engine (docs/architecture.md §4).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from branchq.host.engine.engine import QueueEngine


class WaitEstimator(Protocol):
    def wait(self, engine: QueueEngine, service: str, ahead: int,
             since: datetime | None) -> int | None:
        """Seconds until a customer of ``service`` with ``ahead`` people before them is called;
        None when no open counter serves ``service``. ``since``: when that customer's ticket
        started waiting (None: a ticket about to be issued). Reads only the engine's state,
        never a clock, so that an estimate taken at issue replays the same."""
        ...
