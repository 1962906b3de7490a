"""The delivery engine against the emulator: 429, 5xx, 403, priority lanes, persistence."""

from __future__ import annotations

import asyncio

from bot.core import FloodControl, Limits, SlidingWindow
from bot.delivery import Lane, backoff


async def _queue(frontdesk, chat_id: int, lane: Lane, text: str, ticket_id: int | None = None) -> None:
    services = frontdesk.services
    async with services.db.transaction() as tx:
        await services.outbox.post(tx, chat_id, "en", "edit_update", lane=lane, purpose="test",
                                   ticket={"id": 0}, text=text, ticket_id=ticket_id)
    services.outbox.kick()


async def test_429_cools_one_chat_without_stalling_others(frontdesk, emulator):
    emulator.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=111)
    await _queue(frontdesk, 111, Lane.UPDATE, "to the slow chat")
    await _queue(frontdesk, 222, Lane.UPDATE, "to the other chat")
    other = emulator.user(222, "B")
    await other.next_message("other chat", timeout=2)
    assert not emulator.chat(111)
    row = (await frontdesk.rows("SELECT * FROM outbox WHERE chat_id = 111"))[0]
    assert row["status"] == "pending" and row["attempts"] == 0 and "429" in row["last_error"]
    frontdesk.clock.advance(1.0)   # the row's retry time is on the injectable clock
    await asyncio.sleep(1.05)       # the chat's cool-down is real time, as Telegram's is
    await emulator.user(111, "A").next_message("slow chat", timeout=3)


async def test_5xx_is_retried_with_backoff(frontdesk, emulator):
    emulator.fail("sendMessage", 502, "Bad Gateway", chat_id=333, times=2)
    await _queue(frontdesk, 333, Lane.UPDATE, "eventually")
    for _ in range(2):
        await asyncio.sleep(0.1)
        frontdesk.clock.advance(backoff(2))
        frontdesk.services.outbox.kick()
    await emulator.user(333, "C").next_message("eventually", timeout=3)
    await frontdesk.drain()
    row = (await frontdesk.rows("SELECT * FROM outbox WHERE chat_id = 333"))[0]
    assert row["status"] == "sent" and row["attempts"] == 3


async def test_403_marks_the_chat_unreachable_and_notes_the_ticket(frontdesk, emulator, admin):
    from tests.conftest import make_team, register

    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    emulator.blocked.add(7001)
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("Burst pipe in the bathroom")
    await resident.next_message("#1")
    await frontdesk.drain()
    for _ in range(50):
        if await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'undeliverable'"):
            break
        await asyncio.sleep(0.02)
    assert await frontdesk.value("SELECT status FROM outbox WHERE chat_id = 7001 AND purpose = 'alert'") == "unreachable"
    assert await frontdesk.value("SELECT count(*) FROM unreachable_chats WHERE chat_id = 7001") == 1
    assert await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'undeliverable'") == 1


async def test_an_emergency_jumps_the_queue(frontdesk, emulator):
    frontdesk.services.outbox.paused = True
    for chat in range(1000, 1060):
        await _queue(frontdesk, chat, Lane.BULK, "announcement")
    await _queue(frontdesk, 4242, Lane.EMERGENCY, "EMERGENCY")
    emulator.calls.clear()
    frontdesk.services.outbox.paused = False
    frontdesk.services.outbox.kick()
    await frontdesk.drain()
    sends = [chat for _, method, chat in emulator.calls if method == "sendMessage"]
    assert sends[0] == 4242 and len(sends) == 61


async def test_messages_to_one_chat_keep_their_order(frontdesk, emulator):
    for n in range(5):
        await _queue(frontdesk, 555, Lane.REPLY, f"message {n}")
    await frontdesk.drain()
    assert [m.text.split()[-1] for m in emulator.chat(555)] == ["0", "1", "2", "3", "4"]


def test_sliding_window():
    window = SlidingWindow(3, 1.0)
    for t in (0.0, 0.1, 0.2):
        assert window.wait(t) == 0
        window.record(t)
    assert abs(window.wait(0.3) - 0.7) < 1e-9
    assert window.wait(1.0) == 0


def test_flood_control_knows_private_chats_from_groups():
    now = [0.0]
    flood = FloodControl(Limits(overall=(30, 1.0), private=(1, 1.0), group=(20, 60.0)), monotonic=lambda: now[0])
    flood.record(5)
    assert flood.chat_wait(5) == 1.0 and flood.chat_wait(6) == 0
    for _ in range(20):
        flood.record(-100)
    assert flood.chat_wait(-100) == 60.0
    flood.cool_down(7, 5)
    assert flood.chat_wait(7) == 5
    for chat in range(100, 109):
        flood.record(chat)
    assert flood.overall_wait() > 0  # 30 in the last second


def test_backoff_grows_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(30) == 300
