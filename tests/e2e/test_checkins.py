"""Issue #10: check-ins for elderly people who live alone, over the emulator with the fake clock.
The fake clock starts on Monday 2026-09-21 at 22:13 in Asia/Shanghai; plans ask at 09:00."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_team, register

TZ = ZoneInfo("Asia/Shanghai")
FAMILY = 6001


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 9, day, hour, minute, tzinfo=TZ).timestamp()


async def until(frontdesk, ts: float) -> None:
    """Move the fake clock to `ts`, tick, let the outbox send, and tick again (delivery starts the grace)."""
    frontdesk.clock.advance(ts - frontdesk.clock.now())
    await frontdesk.services.tick()
    await frontdesk.drain()
    await frontdesk.services.tick()
    await frontdesk.drain()


async def checkins(frontdesk) -> list[dict]:
    return await frontdesk.rows("SELECT * FROM checkins ORDER BY id")


async def tickets(frontdesk) -> list[dict]:
    return await frontdesk.rows("SELECT * FROM tickets ORDER BY id")


@pytest.fixture
async def cast(frontdesk, emulator, admin):
    """Zhang on duty for G1; Li Xiuying registered (in English) with a family contact on Telegram,
    enrolled at 09:00 daily."""
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    li = emulator.user(5001, "Li", "en")
    await register(li)
    family = emulator.user(FAMILY, "Ming", "en")
    family.send("/language")  # the family contact has talked to the bot once, and reads English
    choose = await family.next_message(None)
    family.press(choose, "lang:en")
    await family.next_message(None)
    async with frontdesk.db.transaction() as tx:
        await tx.execute("UPDATE residents SET emergency_contact_telegram_id = ? WHERE telegram_id = ?",
                         (FAMILY, li.id))
    admin.send("/checkin add Li Xiuying 09:00 daily")
    await admin.next_message("李秀英" if False else "Li Xiuying")
    return zhang, li, family


async def test_answered_in_time(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0, ) + 5)
    question = await li.next_message("checking in")
    assert [label for label, _ in question.buttons] == ["😊 I'm fine", "🙋 I need help"]
    li.press(question, question.button("ckok:"))
    await emulator.wait_for(lambda: "Thank you" in question.text, 5, "the question to say thank you")
    assert question.buttons == []
    await until(frontdesk, at(22, 15, 0))
    assert [c["state"] for c in await checkins(frontdesk)] == ["answered"]
    assert await tickets(frontdesk) == []
    assert len([m for m in li.messages() if "heard from you" in m.text]) == 0  # no reminder


async def test_no_answer_reminder_then_ticket_and_family_notice(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await li.next_message("checking in")
    delivered = (await checkins(frontdesk))[0]["delivered_at"]
    await until(frontdesk, delivered + 7200 - 60)
    assert [c["state"] for c in await checkins(frontdesk)] == ["waiting"]   # the grace counts from delivery
    await until(frontdesk, delivered + 7200 + 1)
    await li.next_message("not heard from you")
    assert (await checkins(frontdesk))[0]["state"] == "reminded"
    await until(frontdesk, delivered + 2 * 7200 + 120)
    ticket = (await tickets(frontdesk))[0]
    assert (ticket["source"], ticket["urgency"], ticket["category"]) == ("checkin", "urgent", "care")
    alert = await zhang.next_message("#1")
    assert "敲门" in alert.text
    assert alert.button("ckvisit:1")
    notice = await family.next_message("has not answered")
    assert "Zhang" in notice.text and "#1" in notice.text
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours")
    assert "13800001111" in details.text                      # the resident's phone, on claim as usual
    await family.next_message("Zhang is going to check on")


async def test_late_answer_is_the_all_clear(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(22, 11, 5))
    reminder = await li.next_message("not heard from you")
    await until(frontdesk, at(22, 13, 10))
    alert = await zhang.next_message("#1")
    await family.next_message("has not answered")
    li.press(reminder, reminder.button("ckok:"))
    await family.next_message("All clear")
    await emulator.wait_for(lambda: "all clear" in alert.text, 5, "the alert to say all clear")
    ticket = (await tickets(frontdesk))[0]
    assert ticket["status"] == "closed"
    events = [e["kind"] for e in await frontdesk.rows("SELECT kind FROM ticket_events WHERE ticket_id = 1")]
    assert "answered_late" in events
    assert (await checkins(frontdesk))[0]["state"] == "late"
    await until(frontdesk, at(23, 1, 0))  # the end of the day raises nothing now
    assert (await tickets(frontdesk))[0]["urgency"] == "urgent"


async def test_need_help_opens_a_ticket_at_once(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    question = await li.next_message("checking in")
    li.press(question, question.button("ckhelp:"))
    await emulator.wait_for(lambda: "Request #1" in question.text, 5, "the question to ask what is wrong")
    assert "what is wrong" in question.text
    await zhang.next_message("#1")
    ticket = (await tickets(frontdesk))[0]
    assert (ticket["source"], ticket["urgency"], ticket["category"]) == ("checkin", "urgent", "care")
    li.send("I feel dizzy since this morning")
    await li.next_message("Added to request #1")            # what is wrong describes the same request
    assert [t["category"] for t in await tickets(frontdesk)] == ["medical"]   # ... and names its category
    await until(frontdesk, at(22, 16, 0))
    assert (await checkins(frontdesk))[0]["state"] == "help"


async def test_visited_button_and_command(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(22, 11, 5))
    await until(frontdesk, at(22, 13, 10))
    alert = await zhang.next_message("#1")
    zhang.press(alert, "ckvisit:1")
    await family.next_message("All clear")
    assert (await tickets(frontdesk))[0]["status"] == "closed"
    assert (await checkins(frontdesk))[0]["state"] == "visited"
    # the next morning a volunteer phones before the question: no question that day
    await until(frontdesk, at(23, 8, 0))
    zhang.send("/visited 13800001111 phoned, all fine")
    await zhang.next_message("Visit recorded")
    await until(frontdesk, at(23, 9, 0) + 5)
    assert not [m for m in li.messages() if "checking in" in m.text and m.sent_at and False]
    assert [c["slot"][:10] for c in await checkins(frontdesk) if c["state"] != "visited"] == []


async def test_away_pauses_and_resumes(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    li.send("/away until 2026-09-24 staying with my daughter")
    await li.next_message("paused until 2026-09-24")
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(23, 9, 0) + 5)
    assert await checkins(frontdesk) == []
    await until(frontdesk, at(24, 9, 0) + 5)
    await li.next_message("checking in")
    assert len(await checkins(frontdesk)) == 1


async def test_two_missed_days_is_an_emergency(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    for hour, minute in ((9, 0), (11, 5), (13, 10)):
        await until(frontdesk, at(22, hour, minute) + 5)
    assert [(t["urgency"], t["status"]) for t in await tickets(frontdesk)] == [("urgent", "open")]
    await until(frontdesk, at(23, 0, 1))      # no answer by the end of the day: the ticket is an emergency
    assert (await tickets(frontdesk))[0]["urgency"] == "emergency"
    for hour, minute in ((9, 0), (11, 5), (13, 10)):
        await until(frontdesk, at(23, hour, minute) + 5)
    second = (await tickets(frontdesk))[1]
    assert (second["urgency"], second["source"]) == ("emergency", "checkin")   # missed two days running


async def test_blocked_chat_is_a_missed_checkin_at_once(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    emulator.blocked.add(li.id)
    await until(frontdesk, at(22, 9, 0) + 5)
    await frontdesk.services.tick()
    alert = await zhang.next_message("#1")
    assert "联系不上" in alert.text
    await family.next_message("cannot be reached")
    assert (await checkins(frontdesk))[0]["state"] == "ticket"


async def test_restart_in_the_middle_of_the_ladder(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(22, 11, 5))
    await li.next_message("not heard from you")
    await frontdesk.restart()
    await until(frontdesk, at(22, 11, 30))
    await frontdesk.restart()
    await until(frontdesk, at(22, 13, 10))
    await zhang.next_message("#1")
    await family.next_message("has not answered")
    assert len([m for m in li.messages() if "checking in" in m.text]) == 1
    assert len([m for m in li.messages() if "heard from you" in m.text]) == 1
    assert len(await tickets(frontdesk)) == 1
    assert len(await checkins(frontdesk)) == 1


async def test_a_text_is_an_answer(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    question = await li.next_message("checking in")
    li.send("I'm fine, thanks")
    await li.next_message("Good to know you are well")
    await emulator.wait_for(lambda: question.buttons == [], 5, "the buttons to go")
    assert (await checkins(frontdesk))[0]["state"] == "answered"
    assert await tickets(frontdesk) == []


async def test_a_bad_text_answer_becomes_a_request(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await li.next_message("checking in")
    li.send("I have been dizzy since this morning and my chest hurts")
    await li.next_message("#1")
    await zhang.next_message("#1")
    assert (await checkins(frontdesk))[0]["state"] == "answered"
    assert (await tickets(frontdesk))[0]["source"] == "message"


async def test_bad_input_changes_nothing(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    admin.send("/checkin add Li Xiuying 25:00")
    await admin.next_message("不是时间")
    admin.send("/checkin add Nobody 09:00")
    await admin.next_message("没有找到")
    admin.send("/checkin add Li Xiuying 23:30")
    await admin.next_message("免打扰")
    li.send("/away until 2026-09-01")
    await li.next_message("not in the future")
    zhang.send("/checkin add Li Xiuying 10:00")
    await zhang.next_message("Only committee staff")
    zhang.send("/away Li Xiuying until 2026-10-01")
    await zhang.next_message("Only Li Xiuying")
    plan = (await frontdesk.rows("SELECT * FROM checkin_plans"))[0]
    assert (plan["times"], plan["paused_until"]) == ("09:00", None)
    await until(frontdesk, at(22, 9, 0) + 5)
    question = await li.next_message("checking in")
    query = family.press(question, question.button("ckok:"))   # family pressing the resident's button
    assert "for the resident" in (await family.answer_to(query))["text"]
    assert (await checkins(frontdesk))[0]["state"] == "waiting"


async def test_plan_for_someone_without_telegram(frontdesk, emulator, admin):
    async with frontdesk.db.transaction() as tx:
        await tx.execute("INSERT INTO residents (name, building, lives_alone, birth_year, created_at, updated_at) "
                         "VALUES ('王大爷', '7', 1, 1940, 0, 0)")
    admin.send("/checkin missing")
    await admin.next_message("王大爷")
    admin.send("/checkin add 王大爷 09:00")
    reply = await admin.next_message("王大爷")
    assert "没有 Telegram" in reply.text
    admin.send("/checkin show 王大爷")
    await admin.next_message("平安打卡计划")
    await until(frontdesk, at(22, 9, 0) + 5)
    assert await checkins(frontdesk) == []


async def test_a_family_phone_is_not_in_the_alert_before_a_claim(frontdesk, emulator, admin, cast):
    """Found by hand in the demo: the Chinese missed-check-in alert printed the family's phone to
    every volunteer of the grid, while it said (and the English one did) "after Claim"."""
    zhang, li, family = cast
    async with frontdesk.db.transaction() as tx:   # no family contact on Telegram: only their phone
        await tx.execute("UPDATE residents SET emergency_contact_telegram_id = NULL, emergency_contact_phone = ? "
                         "WHERE telegram_id = ?", ("+8613900002222", li.id))
    await until(frontdesk, at(22, 9, 0) + 5)
    delivered = (await checkins(frontdesk))[0]["delivered_at"]
    await until(frontdesk, delivered + 7200 + 1)
    await li.next_message("not heard from you")
    await until(frontdesk, delivered + 2 * 7200 + 120)
    alert = await zhang.next_message("#1")
    assert "敲门" in alert.text and "13900002222" not in alert.text
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours")
    assert "13900002222" in details.text                      # the claimant gets it, as promised
