"""Issue #9, after the claim: 🚶 On my way tells the resident; a claimed ticket with no word from
its claimant reminds them, then goes back to the pool; any word from the claimant resets the clock;
the timer lives in the database (a restart loses nothing, two ticks racing fire it once)."""

from __future__ import annotations

import asyncio

from tests.conftest import make_team, register
from tests.e2e.test_checkins import cast  # noqa: F401 (a fixture: Zhang, Li on a check-in plan, her family)

HOUR = 3600
PIPE = "The pipe under my kitchen sink burst and water keeps spraying out"   # urgent: 1 h, then 1 h


async def team_and_resident(emulator, admin):
    zhang = emulator.user(7001, "Zhang Wei", "en")
    liu = emulator.user(7002, "Liu Yang", "en")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    return zhang, liu, resident


async def claimed(emulator, admin, text: str = PIPE):
    """Zhang holds #1 (urgent); the details are returned."""
    zhang, liu, resident = await team_and_resident(emulator, admin)
    resident.send(text)
    alert = await zhang.next_message("#1")
    await liu.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    await resident.next_message("has taken your request")
    return zhang, liu, resident, details


async def tick_at(frontdesk, seconds: float) -> None:
    frontdesk.clock.advance(seconds)
    await frontdesk.services.tick()
    await frontdesk.drain()


async def kinds(frontdesk) -> list[str]:
    return [e["kind"] for e in await frontdesk.rows("SELECT kind FROM ticket_events WHERE ticket_id = 1 ORDER BY id")]


def said(user, words: str) -> list:
    return [m for m in user.messages() if words in m.text]


async def test_on_my_way_tells_the_resident_once(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    assert [d.split(":")[0] for _, d in details.buttons] == ["onway", "resolve", "release", "talk"]
    assert "🚶 On my way" in [label for label, _ in details.buttons]

    query = zhang.press(details, "onway:1")
    assert "on your way" in (await zhang.answer_to(query))["text"]
    told = await resident.next_message("on the way")
    assert "Zhang" in told.text and "Wei" not in told.text and "#1" in told.text   # the first name only

    again = zhang.press(details, "onway:1")                  # twice: the resident hears it once
    assert "already knows" in (await zhang.answer_to(again))["text"]
    await frontdesk.drain()
    assert len(said(resident, "on the way")) == 1
    assert (await kinds(frontdesk))[-2:] == ["on_my_way", "on_my_way_again"]

    admin.send("/ticket 1")
    history = await admin.next_message("记录")
    assert "在路上 · Zhang Wei" in history.text and "仍在路上" in history.text


async def test_a_chinese_volunteer_and_resident_read_it_in_chinese(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "张伟", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "李", "zh")
    await register(resident, lang="zh")
    resident.send("厨房水管爆了，水一直在喷")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("在路上")
    assert "🚶 在路上" in [label for label, _ in details.buttons]
    query = zhang.press(details, "onway:1")
    assert "已告诉居民" in (await zhang.answer_to(query))["text"]
    await resident.next_message("已经在来的路上")
    await tick_at(frontdesk, 2 * HOUR)                       # 紧急程度 urgent: 1 h after On my way
    reminder = await zhang.next_message("还在跟进吗")
    assert "1 小时内没有回音" in reminder.text


async def test_no_word_reminds_then_goes_back_to_the_pool(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    await tick_at(frontdesk, HOUR - 1)
    assert not said(zhang, "Still on #1")
    await tick_at(frontdesk, 1)
    reminder = await zhang.next_message("Still on #1?")
    assert [d for _, d in reminder.buttons] == ["onway:1", "resolve:1", "release:1"]
    assert "1 hour" in reminder.text
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"

    await tick_at(frontdesk, HOUR - 1)                       # the reminder alone takes nothing away
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"
    await tick_at(frontdesk, 1)
    await zhang.next_message("gone back to the other volunteers")
    await resident.next_message("finding someone else")
    realert = await liu.next_message("alert 2")
    assert realert.button("claim:") == "claim:1"
    assert not said(zhang, "alert 2")                        # the one who held it is not asked again
    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 1"))[0]
    assert ticket["status"] == "open" and ticket["claimed_by"] is None and ticket["ack_due_at"] is None
    assert (await kinds(frontdesk))[-3:] == ["ack_reminded", "ack_released", "alerted"]
    # the details and the reminder lose their buttons, and the resident's phone
    await emulator.wait_for(lambda: "went back" in details.text and "went back" in reminder.text, 5, "edits")
    assert details.buttons == [] and reminder.buttons == [] and "13800001111" not in details.text

    query = zhang.press(reminder, "onway:1")                 # a press on the old reminder: out of date
    assert "waiting for a volunteer again" in (await zhang.answer_to(query))["text"]
    liu.press(realert, "claim:1")                            # and the pool takes it
    await liu.next_message("is yours now")
    await tick_at(frontdesk, HOUR - 60)
    assert not said(liu, "Still on #1")                      # Liu's clock started at Liu's claim


async def test_on_my_way_after_the_reminder_stops_the_release(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    await tick_at(frontdesk, HOUR)
    reminder = await zhang.next_message("Still on #1?")
    await tick_at(frontdesk, HOUR / 2)
    zhang.press(reminder, "onway:1")
    await resident.next_message("on the way")
    await tick_at(frontdesk, HOUR / 2)                       # when the release was due
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"
    assert not said(liu, "alert 2") and not said(zhang, "gone back")
    await tick_at(frontdesk, HOUR / 2)                       # a whole delay after the press: reminded again
    await zhang.next_message("Still on #1?")
    assert (await kinds(frontdesk)).count("ack_reminded") == 2


async def test_words_relayed_to_the_resident_reset_the_clock(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    await tick_at(frontdesk, HOUR - 60)
    zhang.send("I will be there in ten minutes")
    offer = await zhang.next_message("ten minutes")
    zhang.press(offer, offer.button("relay:1:"))
    await resident.next_message("ten minutes")
    await tick_at(frontdesk, 120)                            # past the claim's first deadline
    assert not said(zhang, "Still on #1")
    await tick_at(frontdesk, HOUR)
    await zhang.next_message("Still on #1?")


async def test_resolved_ends_the_clock(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    zhang.press(details, "resolve:1")
    await resident.next_message("Is it fixed?")
    await tick_at(frontdesk, 3 * HOUR)
    assert not said(zhang, "Still on #1") and await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "resolved"


async def test_not_yet_starts_the_clock_again_for_the_same_volunteer(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    await tick_at(frontdesk, HOUR)
    await zhang.next_message("Still on #1?")                 # the timer is at its second stage...
    zhang.press(details, "resolve:1")
    fixed = await resident.next_message("Is it fixed?")
    resident.press(fixed, "notyet:1")                        # ...and "Not yet" brings it back: a fresh start
    await zhang.next_message("not fixed yet")
    await tick_at(frontdesk, HOUR - 60)
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"
    assert len(said(zhang, "Still on #1")) == 1
    await tick_at(frontdesk, 60)
    await zhang.next_message("Still on #1?")


async def test_a_restart_between_the_reminder_and_the_release(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    await tick_at(frontdesk, HOUR)
    await zhang.next_message("Still on #1?")
    await frontdesk.restart()
    await tick_at(frontdesk, 0)                              # the first tick after the start: nothing twice
    assert len(said(zhang, "Still on #1")) == 1
    await tick_at(frontdesk, HOUR)                           # the release survives the restart
    await liu.next_message("alert 2")
    await zhang.next_message("gone back")
    await frontdesk.restart()
    await tick_at(frontdesk, HOUR)
    assert len(said(liu, "alert 2")) == 1 and not said(liu, "alert 3")
    assert (await kinds(frontdesk)).count("ack_released") == 1


async def test_two_ticks_racing_fire_each_step_once(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    services = frontdesk.services
    frontdesk.clock.advance(HOUR)
    fired = await asyncio.gather(services.followup.tick(), services.followup.tick(), services.tick())
    assert fired[:2] in ([1, 0], [0, 1])
    await frontdesk.drain()
    assert len(said(zhang, "Still on #1")) == 1
    frontdesk.clock.advance(HOUR)
    fired = await asyncio.gather(services.followup.tick(), services.followup.tick(), services.tick())
    assert sorted(fired[:2]) == [0, 1] or fired[:2] == [0, 0]    # the full tick may have been first
    await frontdesk.drain()
    assert (await kinds(frontdesk)).count("ack_released") == 1
    assert await frontdesk.value("SELECT alert_round FROM tickets WHERE id = 1") == 2
    await liu.next_message("alert 2")
    assert len(said(resident, "finding someone else")) == 1 and len(said(zhang, "gone back")) == 1


async def test_forged_and_stale_presses(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    teammate = liu.press(details, "onway:1")                 # a teammate who does not hold it
    assert "not for you" in (await liu.answer_to(teammate))["text"]
    stranger = resident.press(details, "onway:1")            # a resident, forging the press
    assert "not for you" in (await resident.answer_to(stranger))["text"]
    unknown = zhang.press(details, "onway:99")
    assert "does not exist" in (await zhang.answer_to(unknown))["text"]
    await frontdesk.drain()
    assert not said(resident, "on the way")
    assert "on_my_way" not in await kinds(frontdesk)
    zhang.press(details, "resolve:1")
    await resident.next_message("Is it fixed?")
    moved_on = zhang.press(details, "onway:1")               # the ticket moved on
    assert "already resolved" in (await zhang.answer_to(moved_on))["text"]
    nosy = resident.press(details, "onway:1")                # a stranger learns nothing of where it is
    assert "not for you" in (await resident.answer_to(nosy))["text"]
    await frontdesk.drain()
    assert not said(resident, "on the way")


async def test_a_ticket_raised_while_held_is_reminded_by_its_new_urgency(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin, "The light in our corridor is out")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "routine"   # a day to remind
    await tick_at(frontdesk, 120)
    admin.send("/triage 1 emergency")
    await zhang.next_message("#1")                           # the claimant hears of the correction
    await tick_at(frontdesk, 5 * 60 - 1)
    assert not said(zhang, "Still on #1")
    await tick_at(frontdesk, 1)                              # five minutes after the raise, not a day
    await zhang.next_message("Still on #1?")


async def test_a_missed_check_in_the_family_hears_who_is_on_the_way_and_when_nobody_is(frontdesk, emulator, admin,
                                                                                       cast):
    from tests.e2e.test_checkins import at, until

    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(22, 11, 5))
    await until(frontdesk, at(22, 13, 10))                   # no answer: a ticket for the volunteers
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours")
    await family.next_message("is going to check on")
    zhang.press(details, "onway:1")
    await family.next_message("is on the way to Li Xiuying")
    await until(frontdesk, frontdesk.clock.now() + HOUR)     # urgent: reminded after an hour...
    await zhang.next_message("Still on #1?")
    await until(frontdesk, frontdesk.clock.now() + HOUR)     # ...and back to the pool after another
    await family.next_message("finding someone else")
    await zhang.next_message("gone back")


async def test_a_reminder_that_cannot_reach_the_claimant_gives_the_ticket_back_at_once(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    emulator.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=zhang.id)
    await tick_at(frontdesk, HOUR)                           # the reminder bounces: nobody is going
    await liu.next_message("alert 2")
    await resident.next_message("finding someone else")
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "open"
    await tick_at(frontdesk, HOUR)                           # and the timer has nothing left to do
    assert (await kinds(frontdesk)).count("released") == 1 and "ack_released" not in await kinds(frontdesk)
