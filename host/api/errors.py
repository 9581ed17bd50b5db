"""Every error leaves the API as JSON ``{error, detail}`` with the right 4xx (or 503 and 507 for
storage faults, 500 with an error id for a bug)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from branchq.host.engine import EngineError, Forbidden, InvalidState, NotFound, UnknownService
from branchq.host.engine.appointments import BadRequest, RemoteCapReached, SlotFull, WrongCode
from branchq.host.service import CommandFailed
from branchq.host.storage import (
    StorageError,
    StorageFull,
    StorageMissing,
    StorageReadOnly,
    StorageRefused,
)

log = logging.getLogger("branchq.api")

_ENGINE_STATUS: list[tuple[type[EngineError], int, str]] = [
    (WrongCode, 404, "wrong_code"),
    (SlotFull, 409, "slot_full"),
    (RemoteCapReached, 409, "remote_cap_reached"),
    (BadRequest, 422, "invalid_request"),
    (UnknownService, 422, "unknown_service"),
    (NotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (InvalidState, 409, "conflict"),
]


def error_response(status: int, error: str, detail: object) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 409: "conflict", 413: "too_large", 422: "invalid_request",
                 429: "too_many_requests"}
        response = error_response(exc.status_code, names.get(exc.status_code, "error"), exc.detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        return error_response(422, "invalid_request", detail)

    @app.exception_handler(EngineError)
    async def _engine(_: Request, exc: EngineError) -> JSONResponse:
        for kind, status, name in _ENGINE_STATUS:
            if isinstance(exc, kind):
                return error_response(status, name, str(exc))
        return error_response(409, "conflict", str(exc))

    @app.exception_handler(StorageRefused)
    async def _refused(_: Request, exc: StorageRefused) -> JSONResponse:
        log.error("the database refused a write: %s", exc)
        return error_response(422, "refused_by_database",
                              "the database refused this data; correct the request")

    @app.exception_handler(StorageError)
    async def _storage(_: Request, exc: StorageError) -> JSONResponse:
        status, error, detail = _STORAGE_FAULTS.get(type(exc), _STORAGE_FAULTS[StorageError])
        log.error("not stored (%s): %s", error, exc)
        response = error_response(status, error, detail)
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(CommandFailed)
    async def _failed(_: Request, exc: CommandFailed) -> JSONResponse:
        return error_response(500, "internal_error",
                              f"内部错误，未保存任何内容；请把编号 {exc.error_id} 告诉技术人员 / "
                              f"Internal error: nothing was stored. Please give the technician "
                              f"the error id {exc.error_id}")


# What each storage fault tells the caller: nothing was stored, and whether a retry may help.
_STORAGE_FAULTS: dict[type[StorageError], tuple[int, str, str]] = {
    StorageError: (503, "storage_unavailable", "the database is not reachable; retry"),
    StorageFull: (507, "storage_full",
                  "磁盘已满，未保存；请联系技术人员 / The disk is full: nothing was stored. "
                  "Please call the technician (docs/maintenance.md)"),
    StorageReadOnly: (503, "storage_read_only",
                      "数据库只读，未保存；请联系技术人员 / The database is read-only: nothing was "
                      "stored. Please call the technician (docs/maintenance.md)"),
    StorageMissing: (503, "storage_missing",
                     "数据库文件不见了，未保存；请联系技术人员 / The database file is missing: "
                     "nothing was stored. Please call the technician (docs/maintenance.md)"),
}
