"""How uvicorn serves the host: every server setting in one place, with the protocol bounds
that ASGI middleware cannot enforce because they act before a request reaches the app.

* **Request heads.** uvicorn's httptools protocol buffers a request line and headers of any
  size (eight 64 MiB headers took a host from 88 to 664 MB). :class:`BoundedHttpTools` refuses
  a head over :data:`MAX_HEAD_BYTES` or with more than :data:`MAX_HEADERS` fields with
  ``431`` and closes the connection, before more than that is held.
* **WebSocket messages.** Clients of the event stream send nothing it reads; a message over
  :data:`WS_MAX_BYTES` closes the connection (1009, message too big).
* **Slow consumers.** A WebSocket client that stopped reading leaves megabytes queued for it,
  in the transport and in the kernel; a close waits for them to drain, i.e. for ever.
  :class:`AbortingWebSockets` resets (TCP RST, nothing flushed) a connection whose client did
  not answer a keepalive ping within :data:`WS_PING_S`, or that ends while its client takes
  nothing in (the event stream gives up on such a client, host/api/events.py).
* **No compression.** The event stream's messages are a few hundred bytes; permessage-deflate
  would compress each again for every screen (CPU and a zlib state per connection), so it is off.
* **Logs.** uvicorn logs each WebSocket handshake with its URL; the query string is dropped
  from that line (a ``?token=`` must never reach a log).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

MAX_HEAD_BYTES = 16 * 1024  # request line and headers; the same as h11's default
MAX_HEADERS = 64
WS_MAX_BYTES = 4 * 1024
WS_PING_S = 10.0  # ping interval, and how long the pong may take (pongs need no app code)
GRACEFUL_SHUTDOWN_S = 5  # hall screens hold WebSockets all day: do not wait for them to leave


def uvicorn_options() -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` (any number of workers)."""
    return {
        "http": BoundedHttpTools,
        "ws": AbortingWebSockets,
        "ws_max_size": WS_MAX_BYTES,
        "ws_ping_interval": WS_PING_S,
        "ws_ping_timeout": WS_PING_S,
        # Events are small JSON sent to every screen: compressing each one again for every
        # connection cost 7% of a region host's CPU, and each connection's zlib state memory.
        "ws_per_message_deflate": False,
        "log_config": None,  # the host's own logging setup (host/cli.py)
        "access_log": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
    }


class _TooManyHeaders(Exception):
    """Raised from the parser callback; httptools stops parsing the request."""


_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"connection: close\r\n"
    b"content-length: %d\r\n\r\n%s"
)


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head (see the module docstring).

    Bytes are counted as they arrive, before the parser buffers them: a chunk that would pass
    the limit is parsed only up to it, and if the head is still not complete there the
    request is refused.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._head_bytes = 0
        self._in_head = True
        self._header_count = 0
        self._too_many = False
        super().connection_made(transport)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        if self._in_head and self._head_bytes + len(data) > MAX_HEAD_BYTES:
            room = MAX_HEAD_BYTES - self._head_bytes
            self._head_bytes = MAX_HEAD_BYTES
            super().data_received(data[:room])
            if self._in_head:
                self._refuse(f"the request head is over {MAX_HEAD_BYTES} bytes")
                return
            data = data[room:]
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                return  # refused, or upgraded to a WebSocket
        elif self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            self._too_many = True
            raise _TooManyHeaders
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head, self._head_bytes, self._header_count = True, 0, 0
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self._too_many:
            self._refuse(f"a request may have at most {MAX_HEADERS} header fields")
        else:
            super().send_400_response(msg)

    def _refuse(self, detail: str) -> None:
        self.logger.warning("refused a request: %s", detail)
        body = json.dumps({"error": "headers_too_large", "detail": detail}).encode()
        self.transport.write(_HEAD_TOO_LARGE % (len(body), body))
        self.transport.close()


class _WithoutQuery(logging.Filter):
    """Drops the query string from uvicorn's ``"WebSocket /path?query"`` log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                a.partition("?")[0] if isinstance(a, str) and a.startswith("/") else a
                for a in record.args)
        return True


_ws_log = logging.getLogger("uvicorn.error.websocket")
_ws_log.addFilter(_WithoutQuery())


class AbortingWebSockets(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol that never keeps a connection open for a client that
    stopped reading (see the module docstring), and logs handshakes without query strings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = _ws_log

    async def run_asgi(self) -> None:
        await super().run_asgi()
        if not self.writable.is_set():  # the write buffer is over its high-water mark
            self._reset()

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self._reset()  # no pong: the client is gone or stuck; nothing more will reach it

    def _reset(self) -> None:
        """Drop the connection with a TCP reset: a plain close would keep the socket (and the
        kernel's send queue) until the client read everything."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
