"""Who sends: one worker at a time (Telegram's limits are per bot).

On PostgreSQL every worker runs a `Leadership`; the one that holds the sender's advisory lock
(storage/postgres.py `PgSenderLock`, on a connection of its own) leads. Taking over adds one to
the epoch (storage/leader.py) and, in the same transaction, releases the rows an older epoch
claimed and never marked: their outcome is unknown, so they alone go again, counted. Every claim
and every mark after a send carries the epoch, so an old leader that is still running (its lock's
connection broke, the process did not) changes nothing once another has taken over. Followers
try the lock every `retry` seconds (2 by default): a dead leader's lock goes with its session, so
another leads within about that. A leader checks its lock's connection as often, and steps down
when it fails to answer.

On SQLite the one process holds the lock from the start: it takes the next epoch at each start,
which releases what the previous run left in flight (as before the epochs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from storage import Database, leader as repo

log = logging.getLogger(__name__)

RETRY = 2.0   # seconds between a follower's tries of the lock, and a leader's checks of it


def worker_id() -> str:
    """host:pid, how /healthz and the epoch's row name a worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    def __init__(self, db: Database, clock: Clock, retry: float = RETRY, me: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.retry = retry
        self.me = me or worker_id()
        self.epoch: int | None = None       # ours while we lead
        self.on_lead: Callable[[int, int], Awaitable[Any]] | None = None   # (epoch, rows released)
        self.on_lost: Callable[[], Any] | None = None
        # called after each check while leading (the broadcasts' runners: a Send pressed on a
        # follower, or a leader that died mid-broadcast, goes on within `retry` seconds)
        self.while_leading: Callable[[], Awaitable[Any]] | None = None
        self.takeovers = 0
        self.checks = 0        # steps done (a test waits for the first)
        self.started = False
        self._lock: Any = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    def leading(self) -> bool:
        return self.epoch is not None

    async def start(self) -> None:
        """Try at once (a lone worker, or SQLite, leads before the first send), then keep trying."""
        self._lock = self.db.sender_lock()
        self.started = True
        await self.step()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="frontdesk:leader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.epoch = None
        self.started = False
        if self._lock is not None:
            with contextlib.suppress(Exception):
                await self._lock.release()

    async def step(self) -> None:
        """One check: a leader whose lock no longer answers steps down; a follower tries the lock."""
        try:
            await self._step()
        finally:
            self.checks += 1

    async def _step(self) -> None:
        if self.leading:
            if not await self._lock.alive():
                self.step_down("its lock's connection failed")
            elif self.db.broken():
                # the lock is fine but this worker can no longer write what it sends: let another lead
                self.step_down("its database connection is closed")
                with contextlib.suppress(Exception):
                    await self._lock.release()
            return
        if self.db.broken():
            return   # could not send anyway
        try:
            got = await self._lock.try_acquire()
        except Exception:  # noqa: BLE001 - the database is away: a follower tries again later
            log.warning("could not try the sender's lock", exc_info=True)
            return
        if not got:
            return
        try:
            async with self.db.transaction() as tx:
                epoch, released = await repo.take_over(tx, self.me, self.clock.now())
        except Exception:
            log.exception("took the sender's lock but could not take over the epoch; letting it go")
            with contextlib.suppress(Exception):
                await self._lock.release()
            return
        self.epoch = epoch
        self.takeovers += 1
        log.warning("%s leads sending (epoch %d)%s", self.me, epoch,
                    f"; {released} messages the previous leader had in flight go again (their outcome is unknown)"
                    if released else "")
        self._changed.set()
        if self.on_lead is not None:
            await self.on_lead(epoch, released)

    def step_down(self, why: str) -> None:
        if self.epoch is None:
            return
        log.error("%s stops sending (epoch %d): %s", self.me, self.epoch, why)
        self.epoch = None
        self._changed.set()
        if self.on_lost is not None:
            self.on_lost()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            try:
                await self.step()
                if self.leading and self.while_leading is not None:
                    await self.while_leading()
            except Exception:  # noqa: BLE001 - never stop trying
                log.exception("sender leadership check failed")

    async def describe(self) -> dict[str, Any] | None:
        """The leader as the database knows it (any worker asks): its id, epoch and since when,
        and whether that is this worker."""
        async with self.db.transaction() as tx:
            row = await repo.current(tx)
        if row is None or not row["holder"]:
            return None
        return {"worker": row["holder"], "epoch": int(row["epoch"]), "since": row["since"],
                "this_worker": self.epoch is not None and self.epoch == int(row["epoch"])}
