"""Issue #15, finding 3 (the outbox half): a chat in cool-down never blocks the other chats.

One person who floods the bot fills the outbox with replies to their own chat; while that chat
waits (after a 429, or at its 1 message a second), everybody else's messages go out as usual.
"""

from __future__ import annotations

import asyncio

from bot.core import FloodControl, Limits
from bot.delivery import Lane


async def _backlog(frontdesk, chat_id: int, count: int) -> None:
    """Replies queued to one busy chat, ahead of everyone else's."""
    services = frontdesk.services
    async with services.db.transaction() as tx:
        for n in range(count):
            await services.outbox.post(tx, chat_id, "en", "edit_update", lane=Lane.REPLY, purpose="reply",
                                       ticket={"id": 0}, text=f"backlog {n}")
    services.outbox.kick()


async def _first_send(emulator, chat_id: int) -> None:
    for _ in range(250):
        if any(name == "sendMessage" and chat == chat_id for _, name, chat in emulator.calls):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing was sent to {chat_id}")


async def test_a_chat_cooling_down_after_a_429_does_not_hold_up_the_others(frontdesk, emulator):
    emulator.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30, chat_id=111)
    await _backlog(frontdesk, 111, 40)
    await _first_send(emulator, 111)          # the busy chat now cools down for 30 s
    resident = emulator.user(5001, "Li", "en")
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1", timeout=3)
    assert len(emulator.chat(111)) == 0       # the busy chat really is still waiting


async def test_a_chat_at_its_rate_limit_does_not_hold_up_the_others(frontdesk, emulator):
    # Telegram's own limit for a private chat: one message a second
    frontdesk.services.outbox.flood = FloodControl(Limits(overall=(1000, 1.0), private=(1, 1.0), group=(20, 60.0)))
    await _backlog(frontdesk, 111, 40)
    await _first_send(emulator, 111)
    resident = emulator.user(5001, "Li", "en")
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1", timeout=3)
    assert len(emulator.chat(111)) < 10       # the busy chat keeps its own pace
