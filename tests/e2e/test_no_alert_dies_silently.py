"""Issue #15, finding 2: an alert that cannot be delivered must not die silently.

A Bot API outage (502s, time-outs) is outlasted for as long as the alert matters; a volunteer who
blocked the bot moves the alert on to the admins, who learn (once) who cannot be reached; and the
resident is told that volunteers were alerted only once an alert has really been delivered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.conftest import ADMIN, GROUP, make_team, register, staffed_grid


async def until(condition: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    """Poll (a refused request wakes nobody in the emulator, so waiting on it would hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def calls_to(emulator, chat_id: int, method: str = "sendMessage") -> int:
    return sum(1 for _, name, chat in emulator.calls if name == method and chat == chat_id)


async def _rescheduled(frontdesk, chat_id: int) -> None:
    """Wait until the refused message has been put back for later (nothing due for the chat)."""
    for _ in range(150):
        due = await frontdesk.value("SELECT count(*) FROM outbox WHERE chat_id = ? AND status = 'pending' "
                                    "AND next_attempt_at <= ?", (chat_id, frontdesk.clock.now()))
        if not due:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"a message to {chat_id} is still due")


async def outlast(frontdesk, emulator, chat_id: int) -> None:
    """Let the clock run through every retry until the emulator's faults for this chat are spent."""
    while any(fault.chat_id == chat_id for fault in emulator.faults):
        await _rescheduled(frontdesk, chat_id)
        before = calls_to(emulator, chat_id)
        frontdesk.clock.advance(301)   # past the longest back-off
        frontdesk.services.outbox.kick()
        await until(lambda: calls_to(emulator, chat_id) > before, f"another try to {chat_id}", timeout=3)
    await _rescheduled(frontdesk, chat_id)
    frontdesk.clock.advance(301)   # and the try that gets through
    frontdesk.services.outbox.kick()


async def test_an_alert_outlasts_an_outage(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    # about an hour of outage for Zhang's chat: twelve tries, more than the old eight
    emulator.fail("sendMessage", 502, "Bad Gateway", chat_id=7001, times=6)
    emulator.fail("sendMessage", 504, "Gateway Timeout", chat_id=7001, times=6)
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    await resident.next_message("#1")
    await until(lambda: calls_to(emulator, 7001) >= 1, "the first try")
    await outlast(frontdesk, emulator, 7001)
    alert = await zhang.next_message("#1")
    assert {d.split(":")[0] for _, d in alert.buttons} == {"claim", "decline"}
    await frontdesk.drain()
    assert await frontdesk.value("SELECT status FROM outbox WHERE purpose = 'alert'") == "sent"
    assert await frontdesk.value("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0


async def test_an_emergency_is_retried_without_limit(frontdesk, emulator):
    stranger = emulator.user(5100, "Tom", "en")
    emulator.fail("sendMessage", 502, "Bad Gateway", chat_id=5100, times=15)
    stranger.send("help, my father fell and he can't get up")
    await until(lambda: calls_to(emulator, 5100) >= 1, "the first try")
    await outlast(frontdesk, emulator, 5100)
    ack = await stranger.next_message("#1")
    assert ack.text.startswith("🚨 Call 120")
    await frontdesk.drain()
    assert await frontdesk.value("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0


async def test_an_alert_nobody_needs_any_more_is_dropped_not_failed(frontdesk, emulator, admin):
    zhang, liu = emulator.user(7001, "Zhang", "en"), emulator.user(7002, "Liu", "en")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    emulator.fail("sendMessage", 502, "Bad Gateway", chat_id=7002, times=50)
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    alert = await zhang.next_message("#1")
    await until(lambda: calls_to(emulator, 7002) >= 1, "the first try to Liu")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    for _ in range(3):
        frontdesk.clock.advance(301)
        frontdesk.services.outbox.kick()
        await asyncio.sleep(0.05)
    row = (await frontdesk.rows("SELECT * FROM outbox WHERE purpose = 'alert' AND chat_id = 7002"))[0]
    assert row["status"] == "cancelled"
    assert not [m for m in emulator.chat(7002) if "#1" in m.text]
    assert await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'undeliverable'") == 0


async def test_a_blocked_volunteer_moves_the_alert_to_the_admins(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    emulator.blocked.add(7001)   # the only volunteer of the grid blocked the bot
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    ack = await resident.next_message("#1")
    assert "reaching" in ack.text and "have been told" not in ack.text
    alert = await admin.next_message("#1")             # the admin, in the admin's language
    assert alert.button("claim:1") and "Zhang" in alert.text and "联系不上" in alert.text
    notice = await admin.next_message("无法联系")
    assert "Zhang" in notice.text and "#1" not in notice.text
    told = await resident.next_message("✅")
    assert "#1" in told.text and "committee" in told.text
    assert await frontdesk.value("SELECT count(*) FROM unreachable_chats WHERE chat_id = 7001") == 1
    tried = calls_to(emulator, 7001)

    # the next request goes straight to the admins, and they are not told about Zhang again
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#2")
    await admin.next_message("#2")
    await frontdesk.drain()
    assert calls_to(emulator, 7001) == tried
    assert sum("无法联系" in m.text for m in emulator.chat(ADMIN)) == 1
    admin.press(alert, "claim:1")
    await resident.next_message("has taken your request")


async def test_the_resident_hears_volunteers_were_alerted_only_when_they_were(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    emulator.fail("sendMessage", 502, "Bad Gateway", chat_id=7001, times=3)
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    ack = await resident.next_message("#1")
    assert "reaching the volunteers" in ack.text and "have been told" not in ack.text
    await until(lambda: calls_to(emulator, 7001) >= 1, "the first try")
    await frontdesk.settle()   # the alert waits in its back-off: drain() would wait for it
    assert not [m for m in resident.messages() if "✅" in m.text]   # nothing delivered, nothing claimed
    await outlast(frontdesk, emulator, 7001)
    await zhang.next_message("#1")
    told = await resident.next_message("✅")
    assert "#1" in told.text and "volunteers" in told.text
    await frontdesk.drain()
    assert sum("✅" in m.text for m in resident.messages()) == 1   # once per ticket, not per alert


async def test_an_admin_group_without_the_bot_falls_back_to_the_admins(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    admin.send("/set_admin_group", chat_id=GROUP)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's confirmation")
    emulator.fail("sendMessage", 403, "Forbidden: bot was kicked from the group chat", chat_id=GROUP, times=99)
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("help, my father fell and he can't get up")
    await zhang.next_message("#1")                      # the volunteer has it: no escalation needed
    notice = await admin.next_message("管理群")           # but the admins learn the group is lost
    assert "机器人已不在群里" in notice.text
    other = emulator.user(5101, "Ann", "en")
    other.send("There is a fire in the stairwell, lots of smoke!")
    await admin.next_message("#2")                      # the committee's copy now comes to the admin
    await frontdesk.drain()
    assert sum("管理群" in m.text for m in emulator.chat(ADMIN)) == 1


async def test_a_quick_claim_is_the_news_no_second_message(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    arrives = emulator.hold("sendMessage", chat_id=5001)   # the resident's phone is slow to receive
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    arrives.set()
    await resident.next_message("We got your request")
    await resident.next_message("has taken your request")
    await frontdesk.drain()
    assert not [m for m in resident.messages() if "✅" in m.text]   # "they have it" would be old news
    assert await frontdesk.value("SELECT status FROM outbox WHERE purpose = 'reached'") == "cancelled"
