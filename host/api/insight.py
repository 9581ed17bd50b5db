"""Lobby intelligence for managers: staffing advice, day and month reports, the day chart."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from branchq.host.api.dates import DAY_PATTERN, MONTH_PATTERN, parse_day, parse_month
from branchq.host.api.deps import ServiceDep, Supervisor, SupervisorReader
from branchq.host.insight import charts, reports, staffing
from branchq.host.insight.staffing import Advice

router = APIRouter(prefix="/api/v1", tags=["insight"])

DayQuery = Annotated[str, Query(pattern=DAY_PATTERN, examples=["2026-11-13"],
                                description="business day, YYYY-MM-DD (2000-2999)")]
MonthQuery = Annotated[str, Query(pattern=MONTH_PATTERN, examples=["2026-11"],
                                  description="YYYY-MM (2000-2999)")]


@router.get("/staffing")
async def staffing_advice(
    service: ServiceDep, _: SupervisorReader,
    target: Annotated[float, Query(gt=0, lt=1, description="allowed share waiting too long")]
    = staffing.TARGET,
    threshold_s: Annotated[float, Query(ge=30, le=3600)] = staffing.THRESHOLD_S,
) -> list[Advice]:
    """Per service: "open one more counter" or "enough", from Erlang C on the arrival rate
    (recent, or history for the coming hour when higher) and the recent service time."""
    now = service.clock()
    history = await run_in_threadpool(staffing.history_rates, service.store, service.config, now)
    return await service.read_async(  # dataclasses: FastAPI serialises them as they are
        lambda engine: staffing.advise(engine, now, history, target, threshold_s))


async def _day_report(service: ServiceDep, day: str) -> dict[str, Any]:
    return await run_in_threadpool(reports.day_report, service.store, service.config,
                                  parse_day(day), service.clock())


@router.get("/reports/day")
async def day_report(service: ServiceDep, _: SupervisorReader, day: Annotated[DayQuery, Query(alias="date")]
                     ) -> dict[str, Any]:
    """Tickets by service and hour, waits (p50/p90, share over 3 min), service time per counter
    and teller, no-shows, green channel, VIP, transfers, satisfaction; appointments (show rate,
    punctuality, their waits against walk-ins')."""
    return await _day_report(service, day)


@router.get("/reports/day.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
async def day_report_csv(service: ServiceDep, _: Supervisor,
                         day: Annotated[DayQuery, Query(alias="date")]) -> Response:
    body = reports.day_csv(await _day_report(service, day))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="branchq-{day}.csv"'})


@router.get("/reports/day/chart.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def day_report_chart(service: ServiceDep, _: Supervisor,
                           day: Annotated[DayQuery, Query(alias="date")]) -> Response:
    report = await _day_report(service, day)
    return Response(await run_in_threadpool(charts.day_chart, report), media_type="image/png")


@router.get("/reports/month")
async def month_report(service: ServiceDep, _: Supervisor, month: MonthQuery) -> dict[str, Any]:
    """The month's totals (as in the day report) and one summary row per day."""
    return await run_in_threadpool(reports.month_report, service.store, service.config,
                                   parse_month(month), service.clock())
