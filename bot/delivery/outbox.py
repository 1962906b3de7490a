"""The delivery engine: the only way a message leaves the bot.

Services queue messages in the outbox table inside their own transaction (`post`), so a
crash after "ticket stored" still sends the alert after a restart. The engine sends what is
due, most urgent lane first, within Telegram's flood limits: a 429 cools only that chat (and
a chat that must wait never holds up the others), a network error or 5xx retries with
capped back-off (alerts and emergencies for as long as they are needed, the rest a bounded
number of times), a 403 or "chat not found" marks the chat unreachable and tells the
sender's logic, and a group that became a supergroup is followed to its new id. One message
per chat is in flight at a time, so a chat reads its messages in the order they were queued
within a lane.

Each row is sent at most once: a pass reads what is due, and each row is claimed in the database
(a compare-and-set, storage/outbox.py `claim`) right before its send starts, so a copy of a row
read before somebody else sent it can never go out again. Two cases leave the outcome unknown: a
send that timed out (Telegram may have delivered it) and a row still claimed when the engine
starts (the process died mid-send). Only those are sent again, and each is counted in the row's
`unknown_outcomes` and in `stats["unknown_outcomes"]`: the only way a chat hears a message twice.

Several workers on PostgreSQL: only the leader sends (bot/delivery/leader.py); the others queue.
Each claim records the leader's epoch and each mark after a send is written only by the epoch that
claimed the row, so a worker that was replaced while a send was in flight changes nothing: the new
leader released that row when it took over, and sends it again (an unknown outcome, counted).

The order (storage/outbox.py `due`): emergencies, then answers to people who just wrote, then
alerts, then the other lanes; within a lane the tickets take turns.

Texts are Telegram HTML (bot/delivery/render.py) and always fit: a long one is queued as several
messages, a list is shown a page at a time with ⬅️ ➡️, an edit is cut short (bot/delivery/fit.py).
A sensitive answer asked for in a group goes to the asker's private chat (`privately`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.clock import Clock
from bot.core import FloodControl
from bot.delivery import buttons as button_data, fit, links
from bot.delivery.leader import Leadership
from bot.delivery.render import Button, Renderer
from storage import Database, Tx, leader as leader_repo, outbox as repo

log = logging.getLogger(__name__)


class Lane(IntEnum):
    """Priority lanes: a lower number is sent first."""

    EMERGENCY = 0
    ALERT = 1
    REPLY = 2
    UPDATE = 3
    CHECKIN = 4
    BULK = 5


MAX_ATTEMPTS = 8  # a message that is not an alert or an emergency: about four minutes of tries
BATCH = 30  # rows looked at per pass: an emergency waits at most one pass behind a wave
# Lanes whose messages outlast any outage (for as long as `still_needed` says they matter), and
# the longest pause between their tries: after an outage they go out within that.
UNBOUNDED = {Lane.EMERGENCY: 30.0, Lane.ALERT: 60.0}
# What a 400 says when the chat itself is out of reach for good (a 403 always is)
GONE = ("chat not found", "user not found", "peer_id_invalid", "not enough rights", "have no rights")
EDIT_WAIT = 1.0  # seconds an edit waits for the message it edits to be delivered first


def backoff(attempts: int, cap: float = 300.0) -> float:
    """Seconds before retry number `attempts` (1, 2, 4 ... capped at `cap`, 5 minutes by default)."""
    return float(min(cap, 2 ** max(0, attempts - 1)))


def retry_in(lane: int, attempts: int) -> float | None:
    """After a transient failure (network, time-out, 5xx): seconds until the next try, or None
    to give up. Alerts and emergencies never give up here (they are dropped when no longer
    needed); the other lanes keep the bounded tries."""
    if lane in UNBOUNDED:
        return backoff(attempts, UNBOUNDED[Lane(lane)])
    return None if attempts >= MAX_ATTEMPTS else backoff(attempts)


def unreachable_reason(error: str) -> str:
    """Why Telegram refuses a chat for good, as a code templates name: blocked, deactivated,
    kicked, no_rights (a group where the bot may not write), not_found, or other."""
    error = error.lower()
    for code, words in (("blocked", "blocked"), ("deactivated", "deactivated"), ("kicked", "kicked"),
                        ("kicked", "not a member"), ("no_rights", "rights"), ("not_found", "not found"),
                        ("not_found", "peer_id_invalid")):
        if words in error:
            return code
    return "other"


OnUndeliverable = Callable[[dict[str, Any], str], Awaitable[None]]
Queue = Callable[[int], Awaitable["int | None"]]   # queue an answer in a chat; its last row's id
RowHook = Callable[[dict[str, Any]], Awaitable[Any]]
OnMigrated = Callable[[int, int], Awaitable[None]]


class _EditTooSoon(Exception):
    """The message to edit is still waiting to be delivered: try the edit after it."""

    def __init__(self, at: float) -> None:
        self.at = at


class _NothingToEdit(Exception):
    """The message to edit was never delivered (cancelled first): there is nothing to correct."""


class Outbox:
    def __init__(
        self, db: Database, renderer: Renderer, clock: Clock, flood: FloodControl | None = None,
        poll_interval: float = 0.5, leader: Leadership | None = None,
    ) -> None:
        self.db = db
        # only the leader sends (bot/delivery/leader.py); on SQLite the one process always leads
        self.leader = leader or Leadership(db, clock)
        self.leader.on_lead = self._took_over
        self.leader.on_lost = self.kick
        self.renderer = renderer
        self.clock = clock
        self.flood = flood or FloodControl()
        self.poll_interval = poll_interval
        self.bot: Bot | None = None
        # what the services hear (set in bot/app.py): a message given up, a message delivered,
        # whether one is still worth sending, and a group that moved to a new id
        self.on_undeliverable: OnUndeliverable | None = None
        self.on_delivered: RowHook | None = None
        self.still_needed: RowHook | None = None
        self.on_chat_migrated: OnMigrated | None = None
        self.paused = False  # tests: hold delivery to simulate a crash before sending
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._pause = 0.0   # the overall window is full: seconds until the next send may start
        self.stats = {"sent": 0, "unknown_outcomes": 0, "overall_429s": 0, "chat_429s": 0, "lost_claims": 0,
                      "fenced_marks": 0}

    # -- queueing (inside the caller's transaction) ---------------------------------------

    async def post(
        self, tx: Tx, chat_id: int, lang: str | None, template: str, *, lane: Lane, purpose: str,
        buttons: list[list[Button]] | None = None, ticket_id: int | None = None, dedupe: str | None = None,
        keyboard: dict[str, Any] | None = None, **context: Any,
    ) -> int | None:
        """Render a template and queue it; `buttons` make an inline keyboard, `keyboard` is
        any other reply_markup (e.g. the share-my-phone button). A text too long for one message
        is queued as several, cut at line breaks; the buttons go on the last part, whose row id is
        returned (so an edit of "the message" edits the part with the buttons)."""
        text = self.renderer.html(lang, template, **context)
        markup = self.renderer.inline(lang, buttons) if buttons else keyboard
        return await self._queue(tx, chat_id, text, markup, lane=lane, purpose=purpose, ticket_id=ticket_id,
                                 dedupe=dedupe)

    async def _queue(
        self, tx: Tx, chat_id: int, text: str, markup: dict[str, Any] | None, *, lane: Lane, purpose: str,
        ticket_id: int | None = None, dedupe: str | None = None,
    ) -> int | None:
        parts = fit.split(text)
        last = None
        for number, part in enumerate(parts, 1):
            final = number == len(parts)
            last = await repo.enqueue(
                tx, chat_id=chat_id, text=part, reply_markup=markup if final else None, priority=int(lane),
                purpose=purpose if final else "part", ticket_id=ticket_id, dedupe_key=dedupe if number == 1 else None,
                now=self.clock.now(),
            )
            if last is None:  # queued before under this dedupe key
                return None
        return last

    async def say(self, tx: Tx, chat_id: int, lang: str | None, template: str, **context: Any) -> int | None:
        """An answer in the conversation: the reply lane, in the reader's language. Every service's
        plain reply goes through here (still the outbox, so a chat reads its messages in order)."""
        return await self.post(tx, chat_id, lang, template, lane=Lane.REPLY, purpose="reply", **context)

    async def edit(
        self, tx: Tx, chat_id: int, lang: str | None, template: str, *, lane: Lane, purpose: str,
        ref_id: int | None = None, message_id: int | None = None, buttons: list[list[Button]] | None = None,
        ticket_id: int | None = None, **context: Any,
    ) -> int | None:
        """Change a message the bot sent; an edit cannot become two messages, so a text too long
        is cut short at a line break."""
        text = fit.truncate(self.renderer.html(lang, template, **context))
        markup = self.renderer.inline(lang, buttons) if buttons else None
        return await repo.enqueue(
            tx, chat_id=chat_id, text=text, reply_markup=markup, method="edit", ref_id=ref_id,
            target_message_id=message_id, priority=int(lane), purpose=purpose, ticket_id=ticket_id,
            now=self.clock.now(),
        )

    async def supersede(
        self, tx: Tx, row: dict[str, Any], lang: str | None, template: str, *, lane: Lane, purpose: str,
        ticket_id: int | None = None, **context: Any,
    ) -> None:
        """A queued message is out of date (an alert whose ticket was claimed): a message still
        waiting is cancelled, and an edit is queued all the same. If the message was in flight and
        is delivered after all, the edit corrects it; if it never is, the edit is dropped. A
        delivery that lands late can therefore never leave a stale button behind."""
        if row["status"] == "pending":
            await repo.cancel(tx, row["id"])
        elif row["status"] != "sent" or not row["message_id"]:
            return
        await self.edit(tx, row["chat_id"], lang, template, lane=lane, purpose=purpose, ref_id=row["id"],
                        ticket_id=ticket_id, **context)

    async def media(
        self, tx: Tx, chat_id: int, kind: str, file_id: str, *, lane: Lane, purpose: str,
        caption: str | None = None, ticket_id: int | None = None, dedupe: str | None = None,
    ) -> int | None:
        return await repo.enqueue(
            tx, chat_id=chat_id, text=caption, method=kind, file_id=file_id, priority=int(lane),
            purpose=purpose, ticket_id=ticket_id, dedupe_key=dedupe, now=self.clock.now(),
        )

    async def upload(
        self, tx: Tx, chat_id: int, kind: str, data: bytes, filename: str, *, lane: Lane, purpose: str,
        caption: str | None = None, buttons: list[list[Button]] | None = None, lang: str | None = None,
    ) -> int | None:
        """A file the bot made (kind "photo" for a chart, "document" for a spreadsheet), uploaded
        when its turn comes; `caption` is HTML, at most 1,024 characters as the reader sees it."""
        markup = self.renderer.inline(lang, buttons) if buttons else None
        row = await repo.enqueue(
            tx, chat_id=chat_id, text=caption, method=kind, file_id=None, reply_markup=markup, priority=int(lane),
            purpose=purpose, now=self.clock.now(),
        )
        if row is not None:
            await repo.attach(tx, row, filename, data)
        return row

    async def paged(
        self, tx: Tx, chat_id: int, lang: str | None, template: str, items: Sequence[Any], *, listing: str,
        name: str = "items", page: int = 0, message_id: int | None = None, most: int = 10, arg: str = "",
        purpose: str = "reply", item_buttons: Callable[[Sequence[Any]], list[list[Button]]] | None = None,
        **context: Any,
    ) -> int | None:
        """A list a person browses, one page at a time with ⬅️ ➡️ (button data PAGE: the listing,
        the page, `arg`). A page holds at most `most` items and as many as fit one message. The
        template gets the page's items as `name`, and `first` (the index of the first of them),
        `total`, `page` (0-based) and `pages`. With `message_id` the page replaces that message
        (a press on ⬅️ ➡️); otherwise it is a new message. `item_buttons` makes the rows of buttons
        for the items of the page shown (above ⬅️ ➡️)."""
        def render(start: int, end: int, page: int, pages: int) -> str:
            return self.renderer.html(lang, template, **{name: items[start:end]}, first=start, total=len(items),
                                      page=page, pages=pages, **context)

        bounds = fit.paginate(len(items), lambda start, end: fit.size(render(start, end, 999, 999)) <= fit.LIMIT,
                              most)
        page = min(max(page, 0), len(bounds) - 1)
        text = render(*bounds[page], page, len(bounds))
        rows = item_buttons(items[slice(*bounds[page])]) if item_buttons else []
        nav: list[Button] = []
        if page > 0:
            nav.append(("page_prev", button_data.PAGE.data(listing, page - 1, arg)))
        if page < len(bounds) - 1:
            nav.append(("page_next", button_data.PAGE.data(listing, page + 1, arg)))
        rows = rows + [nav] if nav else rows
        markup = self.renderer.inline(lang, rows) if rows else None
        if message_id is None:
            return await self._queue(tx, chat_id, text, markup, lane=Lane.REPLY, purpose=purpose)
        return await repo.enqueue(
            tx, chat_id=chat_id, text=fit.truncate(text), reply_markup=markup, method="edit",
            target_message_id=message_id, priority=int(Lane.REPLY), purpose=purpose, now=self.clock.now(),
        )

    async def privately(self, tx: Tx, asked_in: int, user_id: int, lang: str | None, queue: Queue,
                        name: str | None = None) -> None:
        """A sensitive answer (phones, addresses, invite codes): `queue` puts it in a chat, and that
        chat is always the asker's private one. Asked in a group, the group hears only once the
        answer is delivered ("I sent it to you privately"), or, when Telegram refuses it (the asker
        never opened a private chat with the bot, or blocked it), that they must open one first;
        never the answer itself."""
        last = await queue(user_id)
        if asked_in == user_id or last is None:  # a private chat's id is the user's id
            return
        for outcome, template in (("sent", "sent_privately"), ("undelivered", "open_private_chat")):
            text = self.renderer.html(lang, template, who=name, link=links.chat_link(self.bot_username))
            await repo.add_followup(tx, last, outcome, chat_id=asked_in, text=text, priority=int(Lane.REPLY),
                                    purpose="reply")

    @property
    def bot_username(self) -> str | None:
        """The bot's @username, for t.me links: known once the Application has started."""
        return self.bot.username if self.bot is not None else None

    def kick(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    # -- running ------------------------------------------------------------------------------

    def start(self, bot: Bot) -> None:
        self.bot = bot
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        for task in list(self._in_flight.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.leader.stop()

    async def _took_over(self, epoch: int, abandoned: int) -> None:
        """This worker leads from `epoch` on; `abandoned` rows were claimed and never marked by
        the previous leader (or this process's previous run)."""
        if abandoned:
            self.stats["unknown_outcomes"] += abandoned
            log.warning("outbox: %d messages were being sent when the previous sender stopped; whether Telegram "
                        "got them is unknown: they go again (counted in outbox.unknown_outcomes)", abandoned)
        self.kick()

    async def _run(self) -> None:
        try:
            await self.leader.start()
        except Exception:
            log.exception("outbox could not take part in choosing the sender; trying again")
        while True:
            try:
                # a follower never sends: it queues, and the leader sends
                started = 0 if self.paused or not self.leader.leading else await self.pump()
            except Exception:  # a broken pass must not stop delivery for good
                log.exception("outbox pass failed")
                started = 0
            if started == 0 or self._in_flight:
                self._wake.clear()
                # asyncio.timeout, not wait_for: on Python 3.11, wait_for can swallow the stop's
                # cancel when the wake-up lands at the same moment, and the loop never ends
                # (a stop that hung about once in six test runs)
                wait = min(self.poll_interval, self._pause) if self._pause > 0 else self.poll_interval
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()

    async def pump(self) -> int:
        """Start sending what is due now; returns how many sends were started. Chats that may
        not send now (one in flight, at their limit, cooling after a 429) are left out of the
        query itself: the next due row of a chat that can send is never behind them. A pass never
        waits with the rows it read: when the overall window is full it stops, and the next pass
        reads again (so an emergency queued meanwhile is first), and every row is claimed in the
        database before its send starts."""
        self._pause = 0.0
        # an engine whose leadership never started (driven pass by pass by hand: tests, tools)
        # claims without an epoch, by the compare-and-set alone, as before several workers
        epoch = self.leader.epoch
        if epoch is None and self.leader.started:
            return 0
        if self.flood.overall_wait(emergency=True) > 0:
            self._pause = self.flood.overall_wait(emergency=True)
            return 0
        busy = set(self._in_flight) | self.flood.waiting_chats()
        async with self.db.transaction() as tx:
            rows = await repo.due(tx, self.clock.now(), BATCH, skip_chats=busy)
        started = 0
        blocked: set[int] = set()
        for row in rows:
            chat_id = row["chat_id"]
            if chat_id in self._in_flight or chat_id in blocked or self.flood.chat_wait(chat_id) > 0:
                blocked.add(chat_id)  # later rows of this chat wait their turn
                continue
            wait = self.flood.overall_wait(emergency=row["priority"] == Lane.EMERGENCY)
            if wait > 0:   # rows are in lane order: none after this one may start either
                self._pause = wait
                break
            async with self.db.transaction() as tx:
                # the claim carries the epoch, and counts only while that epoch still leads
                deposed = epoch is not None and not await leader_repo.holds(tx, epoch)
                claimed = not deposed and await repo.claim(tx, row["id"], self.clock.now(), epoch)
            if deposed:
                self.leader.step_down(f"epoch {epoch} was taken over")
                break
            if not claimed:   # sent, cancelled or taken since this pass read it
                self.stats["lost_claims"] += 1
                continue
            self.flood.record(chat_id)
            row["claim_epoch"] = epoch
            self._in_flight[chat_id] = asyncio.create_task(self._deliver(row))
            started += 1
        return started

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until nothing is left to send: no row pending (due now or later, after a retry's
        back-off) and nothing in flight. Past `timeout` seconds, a TimeoutError says how many rows
        are still pending and when the next is due."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            async with self.db.transaction() as tx:
                count, next_at = await repo.pending(tx)
            if not count and not self._in_flight:
                return
            if loop.time() >= deadline:
                break
            self.kick()
            await asyncio.sleep(0.02)
        due_in = f", the next due in {next_at - self.clock.now():.1f}s" if next_at is not None else ""
        raise TimeoutError(f"outbox did not drain in {timeout:g}s: {count} pending{due_in}, "
                           f"{len(self._in_flight)} in flight")

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until nothing is due now and nothing is in flight; rows waiting for a later retry
        (a back-off, a 429's retry_after on the clock) stay pending. For tests that hold a row in
        its back-off on purpose; `drain()` is the one that means "all sent"."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            async with self.db.transaction() as tx:
                rows = await repo.due(tx, self.clock.now(), 1)
            if not rows and not self._in_flight:
                return
            self.kick()
            await asyncio.sleep(0.02)
        raise TimeoutError(f"outbox did not settle in {timeout:g}s")

    # -- one message ----------------------------------------------------------------------

    async def _deliver(self, row: dict[str, Any]) -> None:
        chat_id = row["chat_id"]
        called = False
        try:
            if not await self._wanted(row):
                return
            called = True
            try:
                message_id = await self._call(row)
            finally:
                self.flood.answered_now()
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            if self.flood.too_many(chat_id, seconds):   # the overall limit: the bulk lanes pause
                self.stats["overall_429s"] += 1
            else:
                self.stats["chat_429s"] += 1
            await self._reschedule(row, seconds, f"429 retry after {seconds:g}s", count=False)
        except Forbidden as exc:
            await self._give_up(row, "unreachable", f"403 {exc.message}")
        except ChatMigrated as exc:
            await self._release(row)
            await self.follow_migration(chat_id, int(exc.new_chat_id))
        except _EditTooSoon as wait:
            await self._reschedule(row, max(EDIT_WAIT, wait.at - self.clock.now()), "waits for its message",
                                   count=False)
        except _NothingToEdit:
            await self._drop(row, "the message to edit was never delivered")
        except BadRequest as exc:  # before NetworkError: PTB's BadRequest is one
            if "not modified" in exc.message.lower():
                await self._sent(row, None)
            elif any(words in exc.message.lower() for words in GONE):
                await self._give_up(row, "unreachable", f"400 {exc.message}")
            else:
                await self._give_up(row, "failed", f"400 {exc.message}")
        except (NetworkError, TelegramError) as exc:  # time-outs, 5xx, a connection refused
            # a time-out after the request went out: Telegram may have delivered it
            unknown = isinstance(exc, TimedOut) and called and "pool timeout" not in str(exc).lower()
            if unknown:
                self.stats["unknown_outcomes"] += 1
            wait = retry_in(row["priority"], row["attempts"] + 1)
            if wait is None:
                await self._give_up(row, "failed", f"gave up: {exc}")
            elif await self._wanted(row):
                await self._reschedule(row, wait, str(exc), unknown=unknown)
            else:
                await self._release(row)
        except Exception as exc:  # a bug in one message must not stop the others
            log.exception("outbox row %s failed", row["id"])
            await self._give_up(row, "failed", repr(exc))
        else:
            await self._sent(row, message_id)
        finally:
            if not called:   # no request went out: its place in the window is free again
                self.flood.answered_now(sent=False)
                await self._release(row)
            self._in_flight.pop(chat_id, None)
            self.kick()

    async def _wanted(self, row: dict[str, Any]) -> bool:
        """Still worth sending? Not if it was cancelled since this pass read it; not if the
        services say nobody needs it any more (an alert whose ticket was claimed): then it is
        dropped, which is not a failure."""
        async with self.db.transaction() as tx:
            current = await repo.get(tx, row["id"])
        if current is None or current["status"] != "pending":
            return False
        if self.still_needed is not None and not await self.still_needed(row):
            await self._drop(row, "no longer needed")
            return False
        return True

    async def follow_migration(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: everything still to be sent (the refused message too)
        goes to the new id, and the services update the ids they keep."""
        log.warning("chat %s is now %s: following it", old_chat_id, new_chat_id)
        async with self.db.transaction() as tx:
            await repo.move_chat(tx, old_chat_id, new_chat_id)
        if self.on_chat_migrated is not None:
            try:
                await self.on_chat_migrated(old_chat_id, new_chat_id)
            except Exception:
                log.exception("migration hook failed for %s -> %s", old_chat_id, new_chat_id)

    async def _call(self, row: dict[str, Any]) -> int | None:
        assert self.bot is not None
        markup = _markup(json.loads(row["reply_markup"])) if row["reply_markup"] else None
        method = row["method"]
        if method == "send":
            message = await self._html(row, lambda mode: self.bot.send_message(  # type: ignore[union-attr]
                row["chat_id"], row["text"], parse_mode=mode, reply_markup=markup))
            return message.message_id
        if method == "edit":
            target = row["target_message_id"]
            if target is None and row["ref_id"] is not None:
                async with self.db.transaction() as tx:
                    ref = await repo.get(tx, row["ref_id"])
                if ref is not None and ref["status"] == "pending" and not ref["message_id"]:
                    raise _EditTooSoon(ref["next_attempt_at"])
                target = ref["message_id"] if ref else None
                if target is None:
                    raise _NothingToEdit()
            if target is None:
                raise BadRequest("message to edit was never sent")
            await self._html(row, lambda mode: self.bot.edit_message_text(  # type: ignore[union-attr]
                row["text"], chat_id=row["chat_id"], message_id=target, parse_mode=mode, reply_markup=markup))
            return target
        sender = {
            "photo": self.bot.send_photo, "voice": self.bot.send_voice,
            "video": self.bot.send_video, "document": self.bot.send_document,
        }[method]
        media: str | InputFile | None = row["file_id"]
        if media is not None:   # a resident's photo passed on: its caption is their words, as written
            message = await sender(row["chat_id"], media, caption=row["text"], reply_markup=markup)
            return message.message_id
        # a file the bot made: its bytes wait in uploads
        async with self.db.transaction() as tx:
            found = await repo.attachment(tx, row["id"])
        if found is None:
            raise _NothingToEdit()   # sent or given up meanwhile: nothing left to upload
        upload = InputFile(found[1], filename=found[0])
        message = await self._html(row, lambda mode: sender(  # type: ignore[operator]
            row["chat_id"], upload, caption=row["text"], parse_mode=mode if row["text"] else None,
            reply_markup=markup))
        return message.message_id

    @staticmethod
    async def _html(row: dict[str, Any], call: Callable[[str | None], Awaitable[Any]]) -> Any:
        """Send as HTML; a text Telegram cannot read as HTML (queued as plain text by an older
        version, or a template's broken tag) goes as written rather than not at all."""
        try:
            return await call(ParseMode.HTML)
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.warning("outbox row %s is not valid HTML (%s): sent as plain text", row["id"], exc.message)
            return await call(None)

    async def _release(self, row: dict[str, Any]) -> None:
        """The send never started (not wanted, or a bug before it): the claim is let go."""
        with contextlib.suppress(Exception):
            async with self.db.transaction() as tx:
                await repo.release(tx, row["id"], row.get("claim_epoch"))

    def _fenced(self, row: dict[str, Any]) -> None:
        """A mark refused: another worker took over sending since this one claimed the row (it
        sends the row again, counted as an unknown outcome). This worker stops sending."""
        self.stats["fenced_marks"] += 1
        log.warning("outbox row %s: epoch %s was taken over; its outcome is the new leader's to settle",
                    row["id"], row.get("claim_epoch"))
        if self.leader.epoch == row.get("claim_epoch"):
            self.leader.step_down("a mark was refused")

    async def _sent(self, row: dict[str, Any], message_id: int | None) -> None:
        async with self.db.transaction() as tx:
            if not await repo.mark_sent(tx, row["id"], message_id, self.clock.now(), row.get("claim_epoch")):
                self._fenced(row)
                return
            await repo.release_followups(tx, row["id"], "sent", self.clock.now())
        self.stats["sent"] += 1
        if self.on_delivered is not None:
            try:
                await self.on_delivered(row)
            except Exception:
                log.exception("delivered hook failed for outbox row %s", row["id"])

    async def _drop(self, row: dict[str, Any], why: str) -> None:
        async with self.db.transaction() as tx:
            if not await repo.mark_final(tx, row["id"], "cancelled", why, row.get("claim_epoch")):
                self._fenced(row)

    async def _reschedule(self, row: dict[str, Any], seconds: float, error: str, count: bool = True,
                          unknown: bool = False) -> None:
        log.warning("outbox row %s to %s delayed %.1fs: %s", row["id"], row["chat_id"], seconds, error)
        async with self.db.transaction() as tx:
            if not await repo.reschedule(tx, row["id"], self.clock.now() + seconds, error, count_attempt=count,
                                         unknown=unknown, epoch=row.get("claim_epoch")):
                self._fenced(row)

    async def _give_up(self, row: dict[str, Any], status: str, error: str) -> None:
        log.warning("outbox row %s to %s %s: %s", row["id"], row["chat_id"], status, error)
        async with self.db.transaction() as tx:
            if not await repo.mark_final(tx, row["id"], status, error, row.get("claim_epoch")):
                self._fenced(row)
                return
            await repo.release_followups(tx, row["id"], "undelivered", self.clock.now())
            if status == "unreachable":
                await repo.mark_unreachable(tx, row["chat_id"], error, self.clock.now())
        if self.on_undeliverable is not None:
            try:
                await self.on_undeliverable({**row, "last_error": error}, status)
            except Exception:
                log.exception("undeliverable hook failed for outbox row %s", row["id"])


def _markup(data: dict[str, Any]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if data.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    return None


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
