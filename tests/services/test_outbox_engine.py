"""The delivery engine's own guarantees, against a stand-in for Telegram that records every send:
a row is sent at most once (claimed before it is sent), `drain()` waits for every pending row,
and a person who just wrote hears back before the alerts of other tickets."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import NetworkError

from bot.core import FloodControl, Limits
from bot.delivery import Lane, Outbox


class Telegram:
    """Records sends in the order they reach it; each takes `latency` seconds; `fail` lists
    exceptions to raise on the next sends."""

    username = "frontdesk_bot"

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.sent: list[tuple[int, str]] = []
        self.fail: list[Exception] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        if self.fail:
            raise self.fail.pop(0)
        await asyncio.sleep(self.latency)
        self.sent.append((chat_id, text))
        return SimpleNamespace(message_id=len(self.sent))


def engine(desk, flood: FloodControl | None = None) -> Outbox:
    """Another engine on the same database (the services' own is never started here)."""
    s = desk.s
    return Outbox(s.db, s.outbox.renderer, s.outbox.clock, flood, poll_interval=0.02)


async def queue(desk, chat_id: int, lane: Lane, text: str, ticket_id: int | None = None) -> None:
    async with desk.s.db.transaction() as tx:
        await desk.s.outbox.post(tx, chat_id, "en", "edit_update", lane=lane, purpose="test",
                                 ticket={"id": 0}, text=text, ticket_id=ticket_id)


async def settle(*outboxes: Outbox) -> None:
    for outbox in outboxes:
        while outbox._in_flight:
            await asyncio.gather(*list(outbox._in_flight.values()), return_exceptions=True)


async def test_a_batch_that_goes_stale_during_the_wait_is_not_sent_twice(desk):
    """Two passes read the same due rows, then wait for the overall window (one send per 0.05 s
    here); while they wait, the other pass sends those rows. Each chat must hear once."""
    for chat in range(100, 108):
        await queue(desk, chat, Lane.CHECKIN, f"question {chat}")
    telegram = Telegram(latency=0.12)   # a send is still in flight when the other pass wakes
    limits = Limits(overall=(1, 0.05), private=(3, 3.0), group=(20, 60.0))
    first, second = engine(desk, FloodControl(limits)), engine(desk, FloodControl(limits))
    for outbox in (first, second):
        outbox.bot = telegram  # type: ignore[assignment]
    for _ in range(200):   # passes of both engines, interleaved as the loop would run them
        await asyncio.gather(first.pump(), second.pump(), first.pump())
        await asyncio.sleep(0.02)
        if len(await desk.rows("SELECT id FROM outbox WHERE status = 'sent'")) == 8:
            break
    await settle(first, second)
    heard = collections.Counter(chat for chat, _ in telegram.sent)
    assert {chat: n for chat, n in heard.items() if n > 1} == {}
    assert sorted(heard) == list(range(100, 108))


async def test_drain_waits_for_a_row_that_is_rescheduled(desk):
    """A 5xx puts the row back with a back-off: drain() must not report "drained" while it is
    pending; it says plainly that it timed out, and returns once the row went out."""
    telegram = Telegram()
    telegram.fail.append(NetworkError("Bad Gateway"))
    outbox = engine(desk)
    await queue(desk, 300, Lane.UPDATE, "after a retry")
    outbox.start(telegram)  # type: ignore[arg-type]
    try:
        with pytest.raises(TimeoutError, match="pending"):
            await outbox.drain(timeout=0.5)
        assert telegram.sent == []
        outbox.clock.advance(60)  # type: ignore[attr-defined]
        await outbox.drain(timeout=5)
        assert [chat for chat, _ in telegram.sent] == [300]
    finally:
        await outbox.stop()


async def test_a_person_who_just_wrote_hears_back_before_other_tickets_alerts(desk):
    """Two tickets' alerts (six volunteers each), then an acknowledgement to a resident who is
    waiting, then an emergency: the emergency goes first, the acknowledgement next, and the two
    tickets' alerts take turns rather than one ticket's burst going out whole first."""
    telegram = Telegram()
    outbox = engine(desk, FloodControl(Limits(overall=(1000, 1.0), private=(3, 3.0), group=(20, 60.0))))
    async with desk.s.db.transaction() as tx:   # the tickets the alerts belong to
        for ticket in (1, 2):
            await tx.execute(
                """INSERT INTO tickets (id, status, urgency, category, lang, text, grid, reporter_chat_id,
                                        created_at, updated_at) VALUES (?, 'open', 'routine', 'other', 'en', 't',
                                        'G1', 1, 0, 0)""",
                (ticket,))
    for ticket, first_chat in ((1, 1000), (2, 2000)):
        for chat in range(first_chat, first_chat + 6):
            await queue(desk, chat, Lane.ALERT, f"alert {ticket}", ticket_id=ticket)
    await queue(desk, 5000, Lane.REPLY, "we got your message")
    await queue(desk, 6000, Lane.EMERGENCY, "EMERGENCY")
    outbox.start(telegram)  # type: ignore[arg-type]
    try:
        await outbox.drain(timeout=5)
    finally:
        await outbox.stop()
    order = [chat for chat, _ in telegram.sent]
    assert order[:2] == [6000, 5000]
    tickets = [1 if chat < 2000 else 2 for chat in order[2:]]
    assert tickets == [1, 2] * 6


async def test_a_row_in_flight_when_the_process_died_goes_again_and_is_counted(desk):
    """The only case a chat may hear a message twice: a send whose outcome is unknown (the process
    died after claiming it). It is sent again at start-up, and counted."""
    from storage import outbox as repo

    await queue(desk, 400, Lane.UPDATE, "maybe twice")
    await queue(desk, 401, Lane.UPDATE, "once")
    async with desk.s.db.transaction() as tx:   # the dead process had claimed the first one
        first = (await repo.due(tx, desk.s.outbox.clock.now(), 1))[0]
        assert await repo.claim(tx, first["id"], desk.s.outbox.clock.now())
        assert not await repo.claim(tx, first["id"], desk.s.outbox.clock.now())   # only once
    telegram = Telegram()
    outbox = engine(desk)
    outbox.start(telegram)  # type: ignore[arg-type]
    try:
        await outbox.drain(timeout=5)
    finally:
        await outbox.stop()
    assert sorted(chat for chat, _ in telegram.sent) == [400, 401]
    assert outbox.stats["unknown_outcomes"] == 1
    rows = await desk.rows("SELECT chat_id, unknown_outcomes, claimed_at FROM outbox ORDER BY chat_id")
    assert [(r["chat_id"], r["unknown_outcomes"], r["claimed_at"]) for r in rows] == [(400, 1, None), (401, 0, None)]


async def test_a_send_that_timed_out_is_retried_and_counted_as_unknown(desk):
    """A time-out after the request went out: Telegram may have delivered it. It is tried again
    (nothing is lost) and counted; a 5xx is a plain retry, not counted."""
    from telegram.error import TimedOut

    telegram = Telegram()
    telegram.fail.extend([TimedOut("Timed out"), NetworkError("Bad Gateway")])
    outbox = engine(desk)
    await queue(desk, 500, Lane.ALERT, "an alert")
    outbox.start(telegram)  # type: ignore[arg-type]
    try:
        for _ in range(2):
            with contextlib.suppress(TimeoutError):
                await outbox.drain(timeout=0.3)
            outbox.clock.advance(60)  # type: ignore[attr-defined]
        await outbox.drain(timeout=5)
    finally:
        await outbox.stop()
    assert [chat for chat, _ in telegram.sent] == [500]
    assert outbox.stats["unknown_outcomes"] == 1
    assert await desk.rows("SELECT attempts, unknown_outcomes FROM outbox") == [{"attempts": 3, "unknown_outcomes": 1}]
