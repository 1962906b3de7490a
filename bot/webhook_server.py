"""`frontdesk run --webhook`: Telegram's webhook and /healthz as one ASGI app (Starlette), served
by uvicorn; needs the optional extra: pip install ".[webhook]".

POST <path of WEBHOOK_URL>: Telegram's update. Refused unless the secret header matches (401
none, 403 wrong), the body is at most MAX_BODY (413) and is an update (400); another method on
the path is 405. 200 only once the update is committed to the inbox; a failed write answers 500
and Telegram sends it again (the inbox recognises a replay by update_id). Handling happens after
the answer, from the inbox, exactly as for a polled update (bot/updates.py).

GET /healthz: the desk's health as JSON (bot/core/health.py), 200 or 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.webhook import MAX_BODY, SECRET_HEADER, CannotListen, Refusal, check_secret, read_update

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


class _TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    """The body, read no further than MAX_BODY (a Content-Length can lie or be missing)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def make_app(services: "Services", path: str, secret: str) -> Starlette:
    async def telegram(request: Request) -> Response:
        refused = check_secret(request.headers.get(SECRET_HEADER), secret)
        if refused is None:
            try:
                read = read_update(await _body(request))
            except _TooLarge:
                read = Refusal(413, "too large")
            refused = read if isinstance(read, Refusal) else None
        if refused is not None:
            log.warning("webhook request refused: %s (%s)", refused.status, refused.reason)
            return PlainTextResponse(refused.reason, status_code=refused.status)
        assert not isinstance(read, Refusal)
        update_id, raw = read
        try:
            await services.source.receive(update_id, raw)
        except Exception:  # noqa: BLE001 - not stored: a 5xx, and Telegram sends it again
            log.exception("webhook: update %s could not be stored; answered 500 (Telegram retries)", update_id)
            return PlainTextResponse("not stored, send it again", status_code=500)
        return Response(status_code=200)

    async def healthz(request: Request) -> Response:
        health = await services.health.check()
        return JSONResponse(health.as_json(services.clock.now()), status_code=200 if health.ok else 503)

    return Starlette(routes=[Route(path, telegram, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])])


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `bot.app.serve` owns SIGTERM/SIGINT and stops the
    web server first, then the bot (what was stored is handled after the next start)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebhookServer:
    """The ASGI app on host:port (port 0: a free one, for the tests)."""

    def __init__(self, services: "Services", path: str, secret: str, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.app = make_app(services, path, secret)
        self.path = path
        self.host, self.port = host, port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self.port), family=family)
        except OSError as exc:
            raise CannotListen(f"cannot listen on {self.host}:{self.port} (WEBHOOK_LISTEN, WEBHOOK_PORT): "
                               f"{os.strerror(exc.errno) if exc.errno else exc}") from None
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="off", access_log=False, log_level="warning",
                                timeout_graceful_shutdown=10)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="frontdesk:webhook")
        while not self._server.started:
            if self._task.done():
                self._task.result()   # it failed to start: say why
                raise RuntimeError("the webhook server stopped at start")
            await asyncio.sleep(0.01)
        log.info("webhook: serving %s on %s:%s", self.path, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None
