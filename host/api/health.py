"""Liveness for load balancers and technicians, and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from branchq.host.api import views
from branchq.host.api.deps import Monitor, ServiceDep
from branchq.host.engine import QueueEngine
from branchq.host.storage import StorageError

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(service: ServiceDep) -> JSONResponse:
    """200 when the database answers and takes writes; 503 otherwise, saying why: ``database``
    is ``ok``, ``unreachable``, ``full``, ``read_only`` or ``missing`` (the SQLite file was
    deleted). No credential, no queue data."""
    fault = service.storage_fault()
    try:
        seq = service.store.last_seq()
    except SQLAlchemyError:
        seq = None
        fault = fault or StorageError("the database does not answer")
    if fault is not None:
        return JSONResponse({"status": "degraded", "database": fault.kind, "detail": str(fault),
                             "last_seq": seq}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "last_seq": seq})


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(service: ServiceDep, _: Monitor) -> str:
    """Prometheus text format: queue lengths, waits, tickets issued, counters, subscribers."""
    now = service.clock()

    def collect(engine: QueueEngine) -> list[str]:
        lines = [
            "# HELP branchq_waiting Tickets waiting per service.",
            "# TYPE branchq_waiting gauge",
        ]
        queues = views.queues_public(engine, now)
        lines += [f'branchq_waiting{{service="{q.service}"}} {q.waiting}' for q in queues]
        lines += ["# HELP branchq_longest_wait_seconds Longest current wait per service.",
                  "# TYPE branchq_longest_wait_seconds gauge"]
        lines += [f'branchq_longest_wait_seconds{{service="{q.service}"}} {q.longest_wait_s}'
                  for q in queues]
        lines += ["# HELP branchq_tickets_issued_today Tickets issued this business day.",
                  "# TYPE branchq_tickets_issued_today gauge"]
        lines += [f'branchq_tickets_issued_today{{service="{k}"}} {s.issued_today}'
                  for k, s in engine.stats.items()]
        lines += ["# HELP branchq_counter_open Whether a counter is open (not paused).",
                  "# TYPE branchq_counter_open gauge"]
        lines += [f'branchq_counter_open{{counter="{c.number}"}} {0 if c.paused else 1}'
                  for c in engine.counters.values()]
        lines += ["# HELP branchq_event_seq Sequence number of the last event.",
                  "# TYPE branchq_event_seq counter", f"branchq_event_seq {engine.seq}",
                  "# HELP branchq_event_subscribers Connected event stream clients.",
                  "# TYPE branchq_event_subscribers gauge",
                  f"branchq_event_subscribers {service.hub.subscriber_count}"]
        return lines

    return "\n".join(service.read(collect)) + "\n"
