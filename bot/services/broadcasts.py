"""Announcements (/broadcast): preview, Send / Cancel, sending through the bulk lane with live
progress, and the summary.

The state lives in the `broadcasts` table (storage/broadcasts.py): a broadcast being sent is a row
with status 'sending' and a cursor over the residents already queued. A runner task per broadcast
takes steps a fraction of a second apart: it queues the next batch of recipients while few are
waiting in the outbox (so the outbox stays small and an emergency queued meanwhile is read first),
edits the admin's message with the progress every `broadcast_progress_seconds`, and writes the
summary at the end. The runner holds nothing the database does not: after a restart `resume`
starts it again from the cursor, and the dedupe key per (broadcast, chat) makes a batch queued
twice harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any

from markupsafe import Markup

from bot.config import LANGUAGES
from bot.core import broadcast as rules
from bot.delivery import Lane, buttons, fit
from bot.services.base import Answer, Service
from bot.services.kit import Kit
from bot.services.people import Person
from bot.services.teams import ADMIN_GROUP
from storage import Tx, broadcasts as repo, outbox as outbox_repo, settings as settings_repo, users as users_repo

log = logging.getLogger(__name__)

# the optional questions an announcement ends (bot/services/closing.py asks them)
AFTERTHOUGHTS = ("rating", "rating_comment")
STEP_SECONDS = 0.5   # between a runner's steps (queue a batch, count, edit the progress)


class Broadcasts(Service):
    def __init__(self, kit: Kit) -> None:
        super().__init__(kit)
        self.renderer = kit.outbox.renderer
        self.step_seconds = STEP_SECONDS
        self.monotonic = time.monotonic
        self._runners: dict[int, asyncio.Task[None]] = {}
        self._stopped = False   # closing: the leader's last checks start nothing new
        self._samples: dict[int, deque[tuple[float, int]]] = {}
        self._next_progress: dict[int, float] = {}

    @property
    def batch(self) -> int:
        return self.settings.broadcast_batch

    # -- what residents read -------------------------------------------------------------------

    def message(self, lang: str | None, text: str, photo: bool) -> str:
        """The announcement as a resident reads it: a header in their language, then the admin's
        words as typed (escaped, lines kept). A photo's caption is plain text (sent as written)."""
        if photo:
            return self.renderer.text(lang, "broadcast_caption", body=Markup(text))
        return self.renderer.html(lang, "broadcast_message", body=Markup.escape(text))

    def longest(self, text: str, photo: bool) -> int:
        """The size Telegram counts, in the language whose header is longest."""
        shown = (self.message(lang, text, photo) for lang in LANGUAGES)
        return max(rules.utf16(each if photo else fit.visible(each)) for each in shown)

    # -- preview ---------------------------------------------------------------------------------

    async def preview(self, person: Person, chat_id: int, raw: str | None, photo_file_id: str | None = None) -> None:
        """/broadcast all|GRID|BUILDING TEXT: the message as residents will read it, and how many it
        will reach, with Send / Cancel. Bad input gets its answer and nothing is stored."""
        word, text = rules.parse(raw)
        async with self.db.transaction() as tx:
            async def answer(chat: int) -> int | None:
                return await self._preview(tx, person, chat, word, text, photo_file_id)

            if person.is_admin and chat_id != person.telegram_id and not await self._staff_chat(tx, chat_id):
                # typed in a residents' group: the draft, its count and Send are the admin's alone
                await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, answer, person.first_name)
            else:
                await answer(chat_id)
        self.outbox.kick()

    async def _staff_chat(self, tx: Tx, chat_id: int) -> bool:
        return chat_id in self.settings.admin_ids or await settings_repo.get(tx, ADMIN_GROUP) == str(chat_id)

    async def _preview(self, tx: Tx, person: Person, chat_id: int, word: str | None, text: str,
                       photo_file_id: str | None) -> int | None:
        """The preview (or why there is none) in `chat_id`; its last outbox row."""
        say = self.outbox.say
        if not person.is_admin:
            return await say(tx, chat_id, person.lang, "admin_only")
        if word is None:
            return await say(tx, chat_id, person.lang, "usage_broadcast")
        audience, target = await self._audience(tx, word)
        if audience is None:
            return await say(tx, chat_id, person.lang, "broadcast_unknown_audience", word=word,
                             grids=await repo.grids(tx))
        if not text:
            return await say(tx, chat_id, person.lang, "broadcast_empty", audience=audience, target=target)
        limit = rules.CAPTION_LIMIT if photo_file_id else rules.TEXT_LIMIT
        size = self.longest(text, bool(photo_file_id))
        if size > limit:
            return await say(tx, chat_id, person.lang, "broadcast_too_long", size=size, limit=limit,
                             photo=bool(photo_file_id))
        count, unreachable = await repo.audience_size(tx, audience, target)
        if count == 0:
            return await say(tx, chat_id, person.lang, "broadcast_nobody", audience=audience, target=target)
        now = self.clock.now()
        broadcast_id = await repo.create(tx, created_by=person.telegram_id, chat_id=chat_id, lang=person.lang,
                                         audience=audience, target=target, text=text, photo_file_id=photo_file_id,
                                         now=now)
        shown = self.message(person.lang, text, bool(photo_file_id))
        if photo_file_id:
            await self.outbox.media(tx, chat_id, "photo", photo_file_id, lane=Lane.REPLY, purpose="reply",
                                    caption=shown)
        else:   # one message, as residents get it (never split: it fits, as Telegram counts)
            await outbox_repo.enqueue(tx, chat_id=chat_id, text=shown, priority=int(Lane.REPLY), purpose="reply",
                                      now=now)
        confirm = await self.outbox.post(
            tx, chat_id, person.lang, "broadcast_confirm", lane=Lane.REPLY, purpose="reply",
            buttons=[[("broadcast_send", buttons.BROADCAST_SEND.data(broadcast_id)),
                      ("broadcast_cancel", buttons.BROADCAST_CANCEL.data(broadcast_id))]],
            audience=audience, target=target, reach=count - unreachable, unreachable=unreachable,
        )
        await repo.update(tx, broadcast_id, {"confirm_outbox_id": confirm})
        return confirm

    async def _audience(self, tx: Tx, word: str) -> tuple[str | None, str | None]:
        if rules.is_all(word):
            return "all", None
        grid = await repo.find_grid(tx, word)
        if grid is not None:
            return "grid", grid
        building = await repo.find_building(tx, word)
        if building is not None:
            return "building", building
        return None, None

    # -- the buttons -----------------------------------------------------------------------------

    async def press(self, person: Person, kind: str, broadcast_id: int) -> Answer:
        """Send, Cancel or Stop, checked against who pressed and what the database says now: a
        stale press (Send twice, Cancel after Send) is told what happened instead."""
        async with self.db.transaction() as tx:
            found = await repo.get(tx, broadcast_id)
            if not person.is_admin:
                return Answer("admin_only", alert=True)
            if found is None:
                return Answer("toast_broadcast_unknown", alert=True)
            if found["created_by"] != person.telegram_id:
                return Answer("toast_broadcast_not_yours", alert=True)
            if kind == buttons.BROADCAST_SEND.name:
                answer = await self._send(tx, found)
            elif kind == buttons.BROADCAST_CANCEL.name:
                answer = await self._cancel(tx, found)
            else:
                answer = await self._stop(tx, found)
        self.outbox.kick()
        return answer

    async def _send(self, tx: Tx, found: dict[str, Any]) -> Answer:
        now = self.clock.now()
        if found["status"] == "preview" and now - found["created_at"] > rules.PREVIEW_SECONDS:
            if await repo.move(tx, found["id"], "preview", "cancelled", {"finished_at": now}):
                await self.outbox.edit(tx, found["chat_id"], found["lang"], "broadcast_expired", lane=Lane.REPLY,
                                       purpose="reply", ref_id=found["confirm_outbox_id"],
                                       audience=found["audience"], target=found["target"],
                                       hours=rules.PREVIEW_SECONDS // 3600)
            return Answer("toast_broadcast_expired", {"hours": rules.PREVIEW_SECONDS // 3600}, alert=True)
        total, unreachable = await repo.audience_size(tx, found["audience"], found["target"])
        if not await repo.move(tx, found["id"], "preview", "sending", {"sent_at": self.clock.now(), "total": total}):
            return Answer("toast_broadcast_already", {"status": found["status"]}, alert=True)
        sending = {**found, "status": "sending", "total": total}
        await self._show_progress(tx, sending, rules.progress({}, total, 0), None)
        broadcast_id = found["id"]

        async def go() -> None:
            self.start(broadcast_id)

        await self.db.after_commit(go)   # the runner reads what this transaction wrote
        return Answer("toast_broadcast_sending", {"reach": total - unreachable})

    async def _cancel(self, tx: Tx, found: dict[str, Any]) -> Answer:
        if not await repo.move(tx, found["id"], "preview", "cancelled", {"finished_at": self.clock.now()}):
            return Answer("toast_broadcast_already", {"status": found["status"]}, alert=True)
        await self.outbox.edit(tx, found["chat_id"], found["lang"], "broadcast_cancelled", lane=Lane.REPLY,
                               purpose="reply", ref_id=found["confirm_outbox_id"], audience=found["audience"],
                               target=found["target"])
        return Answer("toast_broadcast_cancelled")

    async def _stop(self, tx: Tx, found: dict[str, Any]) -> Answer:
        if not await repo.move(tx, found["id"], "sending", "stopped", {"finished_at": self.clock.now()}):
            return Answer("toast_broadcast_already", {"status": found["status"]}, alert=True)
        await repo.cancel_pending(tx, found["id"])
        await self._summary(tx, {**found, "status": "stopped", "finished_at": self.clock.now()})
        return Answer("toast_broadcast_stopped")

    # -- sending -------------------------------------------------------------------------------

    def leads(self) -> bool:
        """Whether this worker runs broadcasts: only the one that sends (bot/delivery/leader.py), so
        the admin's progress is edited by one worker; on SQLite the one process always leads, and an
        outbox whose leadership never started (driven by hand in tests) counts as leading."""
        leader = self.outbox.leader
        return not self._stopped and (leader.leading or not leader.started)

    def start(self, broadcast_id: int) -> None:
        """Run the broadcast's steps until it is done (once: a runner already going is left be). A
        worker that does not lead leaves it to the leader, which resumes it within its next check."""
        if not self.leads():
            return
        running = self._runners.get(broadcast_id)
        if running is None or running.done():
            self._runners[broadcast_id] = asyncio.create_task(self._run(broadcast_id), name=f"broadcast {broadcast_id}")

    async def resume(self) -> None:
        """At start-up, every tick and every leadership check of the leader: every broadcast still
        being sent has its runner, on the leader only."""
        if not self.leads():
            return
        async with self.db.transaction() as tx:
            ids = await repo.sending(tx)
        for broadcast_id in ids:
            self.start(broadcast_id)

    async def stop(self) -> None:
        self._stopped = True
        for task in list(self._runners.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._runners.clear()

    async def _run(self, broadcast_id: int) -> None:
        while True:
            if not self.leads():   # another worker leads now: it resumes from the database
                log.warning("broadcast %s: this worker stopped leading; the new leader goes on", broadcast_id)
                break
            try:
                going = await self.step(broadcast_id)
            except Exception:   # the next step tries again: the state is in the database
                log.exception("broadcast %s: a step failed", broadcast_id)
                going = True
            if not going:
                break
            await asyncio.sleep(self.step_seconds)
        self._samples.pop(broadcast_id, None)
        self._next_progress.pop(broadcast_id, None)

    async def step(self, broadcast_id: int) -> bool:
        """One step of a broadcast being sent, in one transaction: queue the next batch if few are
        waiting, then the progress (every few seconds) or, when every message has its outcome, the
        summary. False once the broadcast is no longer being sent."""
        now = self.monotonic()
        async with self.db.transaction() as tx:
            found = await repo.get(tx, broadcast_id)
            if found is None or found["status"] != "sending":
                return False
            counts = await repo.counts(tx, broadcast_id)
            if not found["queued_all"] and counts.get("pending", 0) < 2 * self.batch:
                found = await self._queue_batch(tx, found)
                counts = await repo.counts(tx, broadcast_id)
            done = found["queued_all"] and not counts.get("pending", 0)
            shown = rules.progress(counts, found["total"], found["skipped"])
            samples = self._samples.setdefault(broadcast_id, deque(maxlen=200))
            samples.append((now, shown.done))
            if done:
                finished = self.clock.now()
                await repo.move(tx, broadcast_id, "sending", "done", {"finished_at": finished})
                await self._summary(tx, {**found, "status": "done", "finished_at": finished}, counts)
            elif now >= self._next_progress.get(broadcast_id, 0.0):
                # one edit at a time: the next waits until the last one is out (a slow chat never piles them up)
                if await repo.outbox_status(tx, found["progress_outbox_id"]) != "pending":
                    await self._show_progress(tx, found, shown, rules.seconds_left(samples, shown.left))
                    self._next_progress[broadcast_id] = now + self.settings.broadcast_progress_seconds
        self.outbox.kick()
        return not done

    async def _queue_batch(self, tx: Tx, found: dict[str, Any]) -> dict[str, Any]:
        """The next `broadcast_batch` residents of the audience after the cursor, in the bulk lane;
        those known to be unreachable are counted, not queued."""
        people = await repo.recipients(tx, found["audience"], found["target"], found["cursor"], self.batch)
        photo = found["photo_file_id"]
        texts: dict[str, str] = {}
        rows, skipped = [], 0
        for person in people:
            if person["unreachable"]:
                skipped += 1
                continue
            lang = self.renderer.lang(person["lang"])
            if lang not in texts:
                texts[lang] = str(self.message(lang, found["text"], bool(photo)))
            rows.append({"chat_id": person["chat_id"], "method": "photo" if photo else "send", "text": texts[lang],
                         "file_id": photo, "dedupe_key": repo.key(found["id"], person["chat_id"])})
        await repo.queue(tx, rows, priority=int(Lane.BULK), now=self.clock.now())
        # the announcement is now the last thing they read: a question about it is not the answer to
        # "how many stars?" or "anything to add?" asked hours ago (the rating buttons still work)
        await users_repo.end_steps(tx, [row["chat_id"] for row in rows], AFTERTHOUGHTS, self.clock.now())
        values = {"cursor": people[-1]["id"] if people else found["cursor"], "skipped": found["skipped"] + skipped,
                  "queued_all": int(len(people) < self.batch)}
        await repo.update(tx, found["id"], values)
        return {**found, **values}

    async def _show_progress(self, tx: Tx, found: dict[str, Any], shown: rules.Progress,
                             seconds_left: float | None) -> None:
        """The admin's message, edited: sent / unreachable / left, the time left, and Stop. Above the
        bulk lane, so the broadcast itself never holds it up."""
        row = await self.outbox.edit(
            tx, found["chat_id"], found["lang"], "broadcast_progress", lane=Lane.UPDATE, purpose="broadcast_progress",
            ref_id=found["confirm_outbox_id"],
            buttons=[[("broadcast_stop", buttons.BROADCAST_STOP.data(found["id"]))]],
            audience=found["audience"], target=found["target"], total=found["total"], p=shown,
            left_in=rules.minutes_and_seconds(seconds_left) if seconds_left is not None else None,
        )
        await repo.update(tx, found["id"], {"progress_outbox_id": row})

    async def _summary(self, tx: Tx, found: dict[str, Any], counts: dict[str, int] | None = None) -> None:
        """The end: the progress message shows the outcome (no more buttons), and a new message (one
        that notifies) says it in full."""
        if counts is None:
            counts = await repo.counts(tx, found["id"])
        stopped = found["status"] == "stopped"
        shown = rules.progress(counts, found["total"], found["skipped"], stopped=stopped)
        took = rules.minutes_and_seconds((found["finished_at"] or 0) - (found["sent_at"] or found["finished_at"] or 0))
        context = {"audience": found["audience"], "target": found["target"], "p": shown, "took": took,
                   "stopped": stopped}
        await self.outbox.edit(tx, found["chat_id"], found["lang"], "broadcast_done", lane=Lane.UPDATE,
                               purpose="broadcast_progress", ref_id=found["confirm_outbox_id"], **context)
        await self.outbox.post(tx, found["chat_id"], found["lang"], "broadcast_summary", lane=Lane.UPDATE,
                               purpose="broadcast_summary", **context)
