"""Where updates come from: long polling of our own, in place of python-telegram-bot's Updater, so
that nothing is lost at intake.

PTB's Updater puts a batch in the Application's queue and confirms it at once (its next
getUpdates carries the offset past it), before any handler has stored it; a crash in between
lost those messages for good, since Telegram forgets what was confirmed. Here:

1. a batch from getUpdates is stored raw in the inbox table (one transaction), and only then does
   the offset move past it (the next getUpdates confirms it);
2. the updates are handled from the table (also those a webhook request stored: `receive`, and
   bot/webhook_server.py), one at a time in Telegram's order, each in one
   database unit (`Database.unit`) together with its "handled" mark: a crash before the commit
   undoes what the handling wrote as well, and the update is handled again after the restart.
   An update is thus handled once across crashes; only what left the process meanwhile (an
   answered button press) may be repeated.

Errors are treated as PTB's polling loop treats them: a 429 waits what Telegram asks, a time-out
polls again at once, any other Telegram error (a 409 Conflict among them) goes to
`error_callback` (the Application's error handlers, where the TokenGuard hears of a 409) and
polls again after a growing pause (1 s, then x1.5 up to 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.services import Inbox
from storage import Database

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
BATCH = 100            # updates per getUpdates, and per read of the unhandled ones
MAX_PAUSE = 30.0       # the longest pause after repeated errors
HANDLE_TIMEOUT = 60.0  # one update's handling holds the database: one that hangs is undone and set aside
PER_CHAT_POLL = 0.5    # several workers: how often one looks for updates the others stored
_NO_CHAT = object()    # `_handle` of a given update, not of a chat's next one


class UpdateSource:
    def __init__(self, inbox: Inbox, db: Database) -> None:
        self.inbox = inbox
        self.db = db
        self.application: Application | None = None
        self.offset = 0       # what the next getUpdates confirms; 0 at a start: Telegram resends what
        #                       it still holds, and the inbox recognises what it already stored
        self.stored = 0       # counters, for the logs and the benchmark
        self.handled = 0
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.per_chat = False  # several workers share the inbox (webhook workers on PostgreSQL)

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not self._stopping.is_set()

    async def start(self, application: Application, *, poll_timeout: float = 10.0,
                    allowed_updates: Sequence[str] | None = ALLOWED_UPDATES,
                    error_callback: Callable[[TelegramError], None] | None = None, poll: bool = True) -> None:
        """Handle what the inbox holds; with `poll`, also fetch with getUpdates (long polling).
        Without it (webhook mode) the updates come through `receive`. Long polling never deletes
        a webhook: `bot.app.start` refuses to poll while one is set (`frontdesk webhook delete`)."""
        self.application = application
        # webhook workers on PostgreSQL share one inbox: each handles a chat at a time, under the
        # chat's lock (`_handle_chats`). Polling is one process, and SQLite too: as it always was.
        self.per_chat = not poll and self.db.engine == "postgres"
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks = [asyncio.create_task(self._handle_all(), name="frontdesk:intake:handle")]
        if poll:
            self._tasks.insert(0, asyncio.create_task(
                self._fetch(poll_timeout, allowed_updates, error_callback or _log_error), name="frontdesk:intake:fetch"))

    async def receive(self, update_id: int, raw: str) -> bool:
        """An update a webhook request brought: stored (committed) before this returns, so the
        request may be answered 200; then handled from the inbox like a polled one. An error
        raises (the request answers 5xx and Telegram sends it again). False for a replay."""
        new = await self.inbox.store([(update_id, raw)])
        self.stored += new
        self._wake.set()
        return bool(new)

    async def stop(self) -> None:
        """Stop polling (an open long poll is abandoned: what it would bring is not confirmed) and
        let the update in hand finish; what is stored and not handled waits for the next start."""
        self._stopping.set()
        self._wake.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- 1. store, then confirm ---------------------------------------------------------------------

    async def _fetch(self, poll_timeout: float, allowed_updates: Sequence[str] | None,
                     error_callback: Callable[[TelegramError], None]) -> None:
        assert self.application is not None
        bot = self.application.bot
        pause = 0.0
        while not self._stopping.is_set():
            if pause and await self._sleep(pause):
                return
            poll = asyncio.create_task(bot.get_updates(
                offset=self.offset or None, limit=BATCH, timeout=int(poll_timeout), allowed_updates=allowed_updates))
            if not await self._until_done_or_stopped(poll):
                return
            try:
                updates = poll.result()
            except RetryAfter as exc:
                pause = 0.5 + _seconds(exc.retry_after)
                continue
            except TimedOut:
                pause = 0.0
                continue
            except TelegramError as exc:
                error_callback(exc)
                pause = 1.0 if pause == 0 else min(MAX_PAUSE, pause * 1.5)
                continue
            except Exception:  # noqa: BLE001 - what Telegram sent could not be read: nothing confirmed
                log.critical("the updates Telegram sent could not be read; polling again", exc_info=True)
                pause = 1.0
                continue
            pause = 0.0
            if not updates:
                continue
            try:
                new = await self.inbox.store([(u.update_id, json.dumps(u.to_dict())) for u in updates])
            except Exception:  # noqa: BLE001 - not stored, so not confirmed: Telegram sends them again
                log.exception("could not store %d updates; they are not confirmed and come again", len(updates))
                pause = 1.0
                continue
            self.stored += new
            self.offset = updates[-1].update_id + 1   # only now: the next getUpdates confirms them
            self._wake.set()

    async def _until_done_or_stopped(self, work: asyncio.Task[Any]) -> bool:
        """Wait for `work`; False (and `work` cancelled) if the source is stopped first."""
        stopped = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if work.done():
            return True
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await work
        return False

    async def _sleep(self, seconds: float) -> bool:
        """Pause; True if the source was stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    # -- 2. handle from the table ---------------------------------------------------------------------

    async def _handle_all(self) -> None:
        if self.per_chat:
            await self._handle_chats()
            return
        while not self._stopping.is_set():
            self._wake.clear()   # before the read: a batch stored meanwhile wakes the next wait
            try:
                batch = await self.inbox.unhandled(BATCH)
                for update_id, raw in batch:
                    if self._stopping.is_set():
                        return
                    await self._handle(update_id, raw)
            except Exception:  # noqa: BLE001 - the database failed: try again shortly, never stop handling
                log.exception("handling stored updates failed; trying again")
                if await self._sleep(1.0):
                    return
                continue
            if not batch:
                await self._wake.wait()

    async def _handle_chats(self) -> None:
        """Several workers, one inbox: take the chats with updates waiting, oldest first, and
        handle each one's oldest update under the chat's lock (`_handle`); a chat another worker
        holds is skipped this round. Updates other workers stored (or a dead one left) are found
        by looking again every PER_CHAT_POLL seconds."""
        while not self._stopping.is_set():
            self._wake.clear()
            handled = 0
            try:
                for chat_id in await self.inbox.waiting_chats(BATCH):
                    if self._stopping.is_set():
                        return
                    handled += await self._handle(None, None, chat=chat_id)
            except Exception:  # noqa: BLE001 - the database failed: try again shortly, never stop handling
                log.exception("handling stored updates failed; trying again")
                if await self._sleep(1.0):
                    return
                continue
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), PER_CHAT_POLL)

    async def _handle(self, update_id: int | None, raw: str | None, chat: Any = _NO_CHAT) -> bool:
        """Handle one update in one unit; True if one was handled. One chat's updates in order:
        one process handles the inbox one update at a time in update_id order (Telegram's order),
        whether they came by polling or by webhook. With `chat` (several workers on PostgreSQL),
        the unit's first statement takes that chat's lock and its oldest unhandled update
        (storage/inbox.py `take_next`), so two workers never handle one chat's updates at once or
        out of order; False when another worker holds the chat."""
        application = self.application
        assert application is not None
        try:
            async with self.db.unit():
                if chat is not _NO_CHAT:
                    taken = await self.inbox.take_next(chat)
                    if taken is None:
                        return False
                    update_id, raw = taken
                update = Update.de_json(json.loads(raw), application.bot) if raw else None
                if update is not None:
                    # the handlers' errors go to the error handlers inside; the inbox handler
                    # (handlers/inbox.py) marks it handled, or stops a replay
                    # asyncio.timeout, not wait_for: the handling must run in this task (the unit's owner)
                    async with asyncio.timeout(HANDLE_TIMEOUT):
                        await application.process_update(update)
                assert update_id is not None
                await self.inbox.finish(update_id)
        except Exception:  # noqa: BLE001 - one update that cannot be handled must not block the rest
            log.exception("update %s could not be handled; set aside", update_id)
            if update_id is None:
                raise
            await self.inbox.finish(update_id)
        self.handled += 1
        return True


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def _log_error(error: TelegramError) -> None:
    log.error("polling for updates failed: %s", error)
