"""Defects a reviewer found by trying the finished change; each reproduced first, then fixed."""

from __future__ import annotations

from tests.conftest import make_team, register, staffed_grid
from tests.e2e.test_checkins import at, cast, checkins, tickets, until  # noqa: F401 (cast is a fixture)


async def test_an_emergency_after_a_resolved_request_of_the_same_kind_is_a_new_emergency(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", "zh")
    await register(resident, lang="zh")
    resident.send("家里燃气灶打不着火")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("#1")
    zhang.press(details, "resolve:1")
    await resident.next_message("解决了吗")
    resident.send("煤气味又来了，很浓，我妈晕倒了")
    await resident.next_message("🚨")
    await zhang.next_message("#2")
    rows = await frontdesk.rows("SELECT urgency FROM tickets ORDER BY id")
    assert [r["urgency"] for r in rows][-1] == "emergency"


async def test_a_fall_long_after_i_need_help_is_a_request_of_its_own(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    question = await li.next_message("checking in")
    li.press(question, question.button("ckhelp:"))
    await zhang.next_message("#1")
    admin.send("/ticket 1")
    await admin.next_message("#1")
    async with frontdesk.db.transaction() as tx:   # the help ticket was dealt with and closed
        await tx.execute("UPDATE tickets SET status = 'closed' WHERE id = 1")
    li.send("I fell in the bathroom and can't get up, my head is bleeding")
    await li.next_message("🚨")
    assert [t["urgency"] for t in await tickets(frontdesk)] == ["urgent", "emergency"]


async def test_a_chat_that_writes_again_is_reachable_again(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    emulator.blocked.add(li.id)
    await until(frontdesk, at(22, 9, 0) + 5)
    await zhang.next_message("#1")
    emulator.blocked.discard(li.id)
    li.send("I'm fine, sorry, I had blocked you by mistake")
    await li.next_message(None)
    await until(frontdesk, at(23, 9, 0) + 5)
    await li.next_message("checking in")              # the next day's question goes out again


async def test_away_tells_a_stranger_nothing_about_who_lives_where(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    stranger = emulator.user(5999, "Nosy", "en")
    stranger.send("/away 13800001111 until 2026-10-30")
    answer = await stranger.next_message(None)
    assert "Li Xiuying" not in answer.text and "302" not in answer.text


async def test_the_visited_button_closes_an_i_need_help_ticket(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    question = await li.next_message("checking in")
    li.press(question, question.button("ckhelp:"))
    alert = await zhang.next_message("#1")
    zhang.press(alert, "ckvisit:1")
    await family.next_message("All clear")
    assert (await tickets(frontdesk))[0]["status"] == "closed"


async def test_an_evening_answer_ends_the_mornings_alarm(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(22, 11, 5))
    await until(frontdesk, at(22, 13, 10))
    await zhang.next_message("#1")
    li.send("I'm fine, I was at my daughter's")
    await family.next_message("All clear")
    await until(frontdesk, at(23, 0, 30))             # midnight raises nothing any more
    assert (await tickets(frontdesk))[0]["urgency"] == "urgent"
    assert (await tickets(frontdesk))[0]["status"] == "closed"


async def test_a_voice_note_answers_the_checkin(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await li.next_message("checking in")
    li.send_media("voice")
    await until(frontdesk, at(22, 15, 0))
    assert (await checkins(frontdesk))[0]["state"] in ("answered", "late")
    assert not [t for t in await tickets(frontdesk) if t["source"] == "checkin"]


async def test_a_broken_tick_step_does_not_stop_the_others(frontdesk, emulator, admin, monkeypatch):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("help blood")
    await resident.next_message("in danger right now")

    async def broken() -> int:
        raise RuntimeError("a bug in one step")

    monkeypatch.setattr(frontdesk.services.closing, "close_unconfirmed", broken)
    frontdesk.clock.advance(121)
    await frontdesk.services.tick()
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"


async def test_silence_is_not_kept_as_a_persons_correction(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("help blood")
    await resident.next_message("in danger right now")
    frontdesk.clock.advance(121)
    await frontdesk.services.tick()
    assert await frontdesk.value("SELECT count(*) FROM triage_corrections") == 0


async def test_all_well_reaches_families_past_a_page_of_opt_ins_not_due(frontdesk, emulator, admin, cast,
                                                                        monkeypatch):
    """An opt-in that is not due (its resident has not answered) must not hide the ones after it."""
    from bot.services import checkins_desk

    monkeypatch.setattr(checkins_desk, "ALLWELL_PAGE", 1)
    zhang, li, family = cast                                 # Li (the first resident) never answers today
    wu = emulator.user(5002, "Wu", "en")
    await register(wu, name="Wu Lan", phone="13800003333")
    async with frontdesk.db.transaction() as tx:
        await tx.execute("UPDATE residents SET emergency_contact_telegram_id = ? WHERE telegram_id = ?",
                         (family.id, wu.id))
    admin.send("/checkin add Wu Lan 09:00 daily")
    await admin.next_message("Wu Lan")
    async with frontdesk.db.transaction() as tx:             # Li's opt-in sorts before Wu's
        await tx.execute("INSERT INTO allwell (resident_id, telegram_id, created_at) SELECT id, ?, 0 FROM residents "
                         "WHERE telegram_id IN (?, ?)", (family.id, li.id, wu.id))
    await until(frontdesk, at(22, 9, 0) + 5)
    question = await wu.next_message("checking in")
    wu.press(question, question.button("ckok:"))
    await until(frontdesk, at(22, 10, 0))
    assert [m for m in family.messages() if "answered today" in m.text and "Wu Lan" in m.text]


async def test_an_alarm_ticket_closed_the_usual_way_ends_the_alarm(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(22, 11, 5))
    await until(frontdesk, at(22, 13, 10))
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours")
    zhang.press(details, "resolve:1")                         # he went, she was fine, he resolved it
    fixed = await li.next_message("Is it fixed?")
    li.press(fixed, "fixed:1")
    await li.next_message("rate")
    await until(frontdesk, at(23, 0, 30))                     # midnight: no emergency for a closed alarm
    assert [(t["status"], t["urgency"]) for t in await tickets(frontdesk)] == [("closed", "urgent")]
    assert (await checkins(frontdesk))[0]["state"] == "late"
