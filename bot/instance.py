"""One bot per database and per token.

Two copies of the bot on one database would send every alert and answer twice; two copies with
one token (a second host) fight over getUpdates, and each sees half of what people write.

- The database: whatever runs the bot's main loop takes an OS lock on a file beside the database
  (`<db>.lock`, which also says who holds it). A second process cannot take it and stops at once,
  naming the holder. The OS drops the lock when its holder exits or crashes, so it is never stale
  (the file stays; only the lock on it counts).
- The token: Telegram answers getUpdates with 409 Conflict while another copy polls with the same
  token. The first conflict is logged as such and the admins are told; if conflicts go on for
  CONFLICT_GRACE_MINUTES this copy stops (a conflict that passes, e.g. the old copy's last poll
  during a restart, stops nothing).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import IO, Any

import portalocker
from telegram.error import Conflict, TelegramError

from bot.clock import Clock
from storage.dialect import is_url

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """Another process holds the database's lock; the message names it."""


def holder() -> str:
    """Who this process is, as the lock file (and the admins) read it."""
    started = datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")
    return f"pid {os.getpid()} on host {socket.gethostname()}, started {started}"


class DatabaseLock:
    """The OS lock on `<db>.lock`. `acquire` is idempotent for its holder."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.path = db_path + ".lock"
        self.me = ""
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        # PostgreSQL: several workers on one database is the point (issue #16), not a mistake
        if self._file is not None or self.db_path == ":memory:" or is_url(self.db_path):
            return
        # "a+" creates the file without emptying it: the holder's line must survive our attempt
        lock_file = open(self.path, "a+", encoding="utf-8", opener=lambda path, flags: os.open(path, flags, 0o600))
        try:
            portalocker.lock(lock_file, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.LockException:
            try:
                lock_file.seek(0)
                who = lock_file.read().strip() or "a process that has not said who it is yet"
            except OSError:  # Windows: a locked file cannot be read
                who = "another process"
            lock_file.close()
            raise AlreadyRunning(
                f"another frontdesk is already running on {self.db_path}: {who} (it holds {self.path}). "
                "Stop it first, or give this one its own FRONTDESK_DB."
            ) from None
        self.me = holder()
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(self.me + "\n")
        lock_file.flush()
        self._file = lock_file

    def release(self) -> None:
        if self._file is None:
            return
        try:
            self._file.seek(0)
            self._file.truncate()
            portalocker.unlock(self._file)
        finally:
            self._file.close()
            self._file = None


class ConflictWatch:
    """Pure: is a run of 409s a passing one or a lasting one? A run starts at a conflict after
    more than `grace` seconds without one, and lasts while conflicts keep coming; it is lasting
    once it is `grace` seconds old."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.first: float | None = None
        self.last: float | None = None

    def seen(self, now: float) -> str:
        """"started", "goes_on" or "lasting" (time to stop)."""
        started = self.first is None or self.last is None or now - self.last > self.grace
        if started:
            self.first = now
        self.last = now
        assert self.first is not None
        if now - self.first >= self.grace:
            return "lasting"
        return "started" if started else "goes_on"


def _me() -> str:
    return f"pid {os.getpid()} on host {socket.gethostname()}"


TellAdmins = Callable[..., Awaitable[list[int]]]
Delivered = Callable[[list[int]], Awaitable[bool]]


class TokenGuard:
    """What a failed getUpdates means. `on_polling_error` is called by the error handler (where
    python-telegram-bot sends polling errors); it is a plain function and must not raise."""

    def __init__(self, clock: Clock, grace_seconds: float, tell_admins: TellAdmins, delivered: Delivered) -> None:
        self.clock = clock
        self.watch = ConflictWatch(grace_seconds)
        self.tell_admins = tell_admins
        self.delivered = delivered
        self.stop: Callable[[], Any] | None = None   # set by whoever runs the main loop
        self.gave_up = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def on_polling_error(self, error: TelegramError) -> None:
        if not isinstance(error, Conflict):
            log.error("polling for updates failed: %s", error, exc_info=error)
            return
        if self.gave_up:
            return
        verdict = self.watch.seen(self.clock.now())
        minutes = self.watch.grace / 60
        if verdict == "goes_on":
            log.warning("another instance is using this token: still, for %.0f s",
                        self.clock.now() - (self.watch.first or 0))
            return
        if verdict == "started":
            log.error("another instance is using this token (Telegram: %s). This copy (%s) stops if it goes on "
                      "for %g minutes.", error.message, _me(), minutes)
            self._spawn(self._notice("another_instance", minutes=minutes))
            return
        self.gave_up = True
        log.critical("another instance is using this token, for %g minutes now: this copy (%s) stops.",
                     minutes, _me())
        self._spawn(self._give_up(first=self.watch.first == self.watch.last, minutes=minutes))

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notice(self, template: str, **context: Any) -> list[int]:
        try:
            return await self.tell_admins(template, host=socket.gethostname(), pid=os.getpid(), **context)
        except Exception:  # the log line above still says it
            log.exception("could not tell the admins about the other instance")
            return []

    async def _give_up(self, first: bool, minutes: float) -> None:
        """Tell the admins (and give the message a few seconds to leave), then stop."""
        try:
            sent = await self._notice("another_instance_stopped", minutes=minutes, at_once=first)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while sent and loop.time() < deadline and not await self.delivered(sent):
                await asyncio.sleep(0.1)
        finally:
            if self.stop is not None:
                stopped = self.stop()
                if inspect.isawaitable(stopped):
                    await stopped
