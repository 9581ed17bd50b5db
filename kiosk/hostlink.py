"""The kiosk's link to the host: the REST calls it makes, with the errors it must tell apart.

``HostUnreachable`` means "we do not know what the host did" (connection refused, timeout, 5xx):
the kiosk may go offline and must retry with the same client reference. ``HostRefused`` means the
host answered and said no (4xx): retrying will not help.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger("branchq.kiosk.host")


class HostError(Exception):
    """Base of the link's errors."""


class HostUnreachable(HostError):
    """No answer, or the host failed. ``maybe_applied`` is False only when the connection was
    never made, so the host certainly did not act on the request."""

    def __init__(self, message: str, maybe_applied: bool = True) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied


class HostRefused(HostError):
    """The host answered with a 4xx; ``status`` and ``detail`` say why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"host refused ({status}): {detail}")
        self.status = status
        self.detail = detail


class HostLink:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, json: Any = None) -> Any:
        try:
            response = await self._client.request(method, path, json=json)
        except httpx.ConnectError as err:
            raise HostUnreachable(f"{method} {path}: cannot connect: {err}", False) from err
        except httpx.HTTPError as err:
            raise HostUnreachable(f"{method} {path}: {type(err).__name__}: {err}") from err
        if response.status_code >= 500:
            raise HostUnreachable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail", response.text))
            except ValueError:
                detail = response.text
            raise HostRefused(response.status_code, detail)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def branch(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/api/v1/branch")
        return result

    async def queues(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/api/v1/queues")
        return result

    async def notices(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/api/v1/notices")
        return result

    async def issue(self, service: str, priority: str, client_ref: str,
                    vip_card: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"service": service, "priority": priority,
                                "client_ref": client_ref, "await_print": True}
        if vip_card:
            body["vip_card"] = vip_card
        result: dict[str, Any] = await self._call("POST", "/api/v1/tickets", body)
        return result

    async def printed(self, ticket_id: str) -> None:
        await self._call("POST", f"/api/v1/tickets/{ticket_id}/printed")

    async def void(self, ticket_id: str, reason: str) -> None:
        await self._call("POST", f"/api/v1/tickets/{ticket_id}/void", {"reason": reason[:100]})

    async def lease(self, kiosk: str, service: str, count: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "/api/v1/leases", {"kiosk": kiosk, "service": service, "count": count})
        return result

    async def offline_ticket(self, kiosk: str, service: str, number: int, priority: str,
                             issued_at: str, client_ref: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/api/v1/tickets/offline", {
            "kiosk": kiosk, "service": service, "number": number, "priority": priority,
            "issued_at": issued_at, "client_ref": client_ref})
        return result

    async def heartbeat(self, kiosk: str, devices: list[dict[str, str]],
                        numbers_left: dict[str, int]) -> None:
        await self._call("POST", "/api/v1/devices/heartbeat", {
            "kiosk": kiosk, "devices": devices, "offline_numbers_left": numbers_left})

    async def is_vip_card(self, digest: str) -> bool:
        result = await self._call("POST", "/api/v1/vip-cards/check", {"digest": digest})
        return bool(result["vip"])

    async def counters(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/api/v1/counters")
        return result

    async def counter_action(self, counter: int, action: str, body: Any = None) -> Any:
        return await self._call("POST", f"/api/v1/counters/{counter}/{action}", body)
