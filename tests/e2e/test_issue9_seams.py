"""Issue #9's seams: rosters, the escalation chain and after-the-claim, together, as a committee
would meet them in the first week (over the emulator, with the fake clock).

The fake clock starts on Monday 2026-09-21 at 22:13 in Asia/Shanghai.
"""

from __future__ import annotations

from tests.conftest import ADMIN, GROUP, make_team, register
from tests.e2e.test_checkins import cast  # noqa: F401 (a fixture: Zhang, Li on a check-in plan, her family)
from tests.e2e.test_escalation import URGENT, alerts_to, later, roster, steps
from tests.e2e.test_escalation import cast as escalation_cast
from tests.e2e.test_rosters import at, until

QUESTION = "What time does the office open on Saturday?"


async def ask(frontdesk, user, command: str, expect: str):
    user.send(command)
    reply = await user.next_message(expect)
    await frontdesk.drain()
    return reply


async def day_and_night(frontdesk, emulator, admin):
    """The team north covers G1: Zhang by day (08:00-20:00), Li Na by night (20:00-08:00)."""
    zhang, li = emulator.user(7001, "Zhang", "en"), emulator.user(7002, "Li Na", "en")
    await make_team(admin, [zhang, li], "north", "G1")
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    await ask(frontdesk, admin, "/shift add north daily 08:00-20:00 Zhang", "已添加班次")
    await ask(frontdesk, admin, "/shift add north daily 20:00-08:00 Li Na", "已添加班次")
    return zhang, li, resident


# -- /duty off and the chain's later steps ---------------------------------------------------------

async def test_a_leader_off_duty_is_not_woken_by_the_leader_step(frontdesk, emulator, admin):
    """`/duty off` promises "no alerts will reach you": the leader's step skips a leader who is
    off, and (nobody else to reach) hands over to the admins at once."""
    zhang, liu, chen, resident = await escalation_cast(frontdesk, emulator, admin, group=False)
    await ask(frontdesk, chen, "/duty off", "off duty")
    resident.send(URGENT)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    await liu.next_message("#1")
    await later(frontdesk, 15 * 60)                       # the leader's step
    assert await alerts_to(frontdesk, chen.id, 1) == 0
    assert await alerts_to(frontdesk, ADMIN, 1) == 1         # nobody to reach: the next step at once
    assert (await steps(frontdesk))[1] == "round 1 step 2 leader: -"


# -- the shift-start message -----------------------------------------------------------------------

async def test_the_new_shift_can_claim_what_the_night_left_open(frontdesk, emulator, admin):
    """At 08:00 the day shift hears of last night's open request; the chain has climbed past the
    on-duty step, so the shift-start message is the only thing that reaches them: it must let
    them take it."""
    zhang, li, resident = await day_and_night(frontdesk, emulator, admin)
    resident.send(URGENT)
    await resident.next_message("#1")
    await li.next_message("#1")                           # the night shift
    await until(frontdesk, at(22, 8))
    start = await zhang.next_message("Your shift starts")
    assert "#1" in start.text
    zhang.press(start, start.button("claim:1"))
    await zhang.next_message("is yours now")
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"


async def test_the_shift_start_message_lists_requests_not_questions(frontdesk, emulator, admin):
    """A question answered from the templates is logged as an open ticket nobody is alerted for;
    it is not an "open request nobody has taken yet" at every shift start."""
    zhang, li, resident = await day_and_night(frontdesk, emulator, admin)
    resident.send(QUESTION)
    await resident.next_message(None)
    await frontdesk.drain()
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "info"
    await until(frontdesk, at(22, 8))
    start = await zhang.next_message("Your shift starts")
    assert "#1" not in start.text and "No open requests" in start.text


# -- the coverage look-ahead -----------------------------------------------------------------------

async def test_the_look_ahead_counts_a_shift_nobody_can_be_reached_on_as_a_gap(frontdesk, emulator, admin, tmp_path):
    """The committee imports its volunteers (phones only: they have not written to the bot yet) and
    puts one on the night shift. An alert at night would find nobody to reach ("nobody on duty"),
    so the evening's look-ahead must show the night as a gap, not "every grid is covered"."""
    from bot.services import import_volunteers

    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang], "north", "G1")
    path = tmp_path / "volunteers.csv"
    path.write_text("name,phone,telegram_id,team,role,grids,language\nZhao,13900003333,,north,member,G1,zh\n",
                    encoding="utf-8")
    report = await import_volunteers(frontdesk.db, path, frontdesk.clock)
    assert report.created == 1 and not report.errors
    await ask(frontdesk, admin, "/shift add north daily 08:00-20:00 Zhang", "已添加班次")
    await ask(frontdesk, admin, "/shift add north daily 20:00-08:00 Zhao", "已添加班次")
    await until(frontdesk, at(21, 22, 30))
    look = await admin.next_message("未来 24 小时值班情况")
    assert "网格 G1 无人值班：周一 22:30–周二 08:00（9.5 小时），周二 20:00–周二 22:30（2.5 小时）" in look.text


# -- a ticket relabelled mid-chain -------------------------------------------------------------------

async def test_a_request_relabelled_as_a_question_mid_chain_stops_its_chain_and_no_other(frontdesk, emulator,
                                                                                         admin):
    """The admin corrects #1 to info ("just a question") while its chain runs: info has no steps,
    so its chain ends; the next tick must not trip over it and stall every other ticket's chain."""
    zhang, liu, chen, resident = await escalation_cast(frontdesk, emulator, admin, group=False)
    roster(frontdesk, zhang.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    admin.send("/triage 1 info")
    await admin.next_message("已记录")
    later_resident = emulator.user(5002, "Zhou", "en")
    await register(later_resident, name="Zhou Min", phone="13800002222")
    frontdesk.clock.advance(60)
    later_resident.send(URGENT)
    await later_resident.next_message("#2")
    await zhang.next_message("#2")
    await later(frontdesk, 15 * 60)                       # #1's step 2 was due first, then #2's
    leader = await chen.next_message("#2")                # #2 climbs on
    assert "step 2" in leader.text
    assert await alerts_to(frontdesk, chen.id, 1) == 0       # #1, a question now, alerts nobody
    assert await frontdesk.value("SELECT next_action_at FROM tickets WHERE id = 1") is None


# -- /cover in answer to a gap -----------------------------------------------------------------------

async def test_a_cover_made_for_a_gap_lets_the_cover_take_the_open_request(frontdesk, emulator, admin):
    """Nobody on duty at night: the chain climbs to the admins, who put Zhang on with /cover. The
    chain is past its on-duty step, so Zhang's "you are on duty" message is the only thing that
    reaches him: it names what is open and lets him take it."""
    zhang, li, resident = await day_and_night(frontdesk, emulator, admin)
    await ask(frontdesk, li, "/duty off", "off duty")
    resident.send(URGENT)
    await resident.next_message("#1")
    await admin.next_message("#1")                        # the gap: straight to the admins
    await ask(frontdesk, admin, "/cover G1 Zhang until 23:30", "Zhang")
    covered = await zhang.next_message("on duty for grid G1")
    assert "#1" in covered.text
    zhang.press(covered, covered.button("claim:1"))
    await zhang.next_message("is yours now")
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"


# -- a missed check-in that becomes an emergency while held --------------------------------------------

async def test_a_check_in_alarm_raised_to_an_emergency_while_held_is_reminded_by_the_emergency_delay(
        frontdesk, emulator, admin, cast):
    """Zhang holds the missed check-in's ticket (urgent: a reminder an hour after his last word); at
    midnight, still no answer, the ticket becomes an emergency: as for any raised ticket, his
    reminder comes by the emergency's delay (5 min), not an hour later."""
    from tests.e2e.test_checkins import at as on, until as until_checkins

    zhang, li, family = cast
    await until_checkins(frontdesk, on(22, 9, 0) + 5)
    await until_checkins(frontdesk, on(22, 11, 5))
    await until_checkins(frontdesk, on(22, 13, 10))         # no answer: an urgent ticket
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours")
    await until_checkins(frontdesk, on(22, 23, 30))
    zhang.press(details, "onway:1")                         # his last word: 23:30
    await frontdesk.drain()
    await until_checkins(frontdesk, on(23, 0, 0) + 5)       # midnight: an emergency now
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    await zhang.next_message("still no answer to the check-in")   # he hears why
    reminders = len([m for m in zhang.messages() if "Still on #1?" in m.text])
    await until_checkins(frontdesk, on(23, 0, 6))
    assert len([m for m in zhang.messages() if "Still on #1?" in m.text]) == reminders + 1


async def test_covering_with_someone_who_is_off_duty_says_so(frontdesk, emulator, admin):
    """Li Na said /duty off (she is ill). An admin who puts her on with /cover must not be told
    "✅ on duty": her /duty off still wins, so no alert would reach her."""
    zhang, li, resident = await day_and_night(frontdesk, emulator, admin)
    await ask(frontdesk, li, "/duty off", "off duty")
    answer = await ask(frontdesk, admin, "/cover G1 Li Na until 23:30", "Li Na")
    assert "暂停值班" in answer.text and "✅" not in answer.text
    async with frontdesk.db.transaction() as tx:
        assert await frontdesk.services.alerts.on_call(tx, "G1", frontdesk.clock.now()) == []


async def test_a_volunteer_borrowed_from_another_grid_by_cover_can_claim_what_they_are_alerted_for(
        frontdesk, emulator, admin):
    """Nobody of G1 can take the night; the admins borrow Sun from the team of G2 with /cover. The
    alerts of G1 reach Sun, so Sun's Claim must work (not "you may not")."""
    zhang, li, resident = await day_and_night(frontdesk, emulator, admin)
    sun = emulator.user(7004, "Sun", "en")
    await make_team(admin, [sun], "south", "G2")
    await ask(frontdesk, li, "/duty off", "off duty")
    await ask(frontdesk, admin, "/cover G1 Sun until 23:30", "Sun")
    await sun.next_message("on duty for grid G1")
    resident.send(URGENT)
    await resident.next_message("#1")
    alert = await sun.next_message("#1")
    answer = await sun.answer_to(sun.press(alert, "claim:1"))
    assert "Only volunteers of this grid" not in (answer.get("text") or "")
    await sun.next_message("is yours now")
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"


# -- a step that reaches nobody new ------------------------------------------------------------------

async def test_a_leader_on_duty_who_let_it_pass_does_not_make_the_chain_wait_another_step(frontdesk, emulator,
                                                                                           admin):
    """A small committee: the leader Chen is the one on duty. Step 1 reached him; 15 minutes
    later step 2 (the leader) has nobody new to reach, so the admin group hears now, not 30
    minutes after a step that told nobody."""
    zhang, liu, chen, resident = await escalation_cast(frontdesk, emulator, admin, group=True)
    roster(frontdesk, chen.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    await chen.next_message("#1")
    await later(frontdesk, 15 * 60)
    assert await alerts_to(frontdesk, GROUP, 1) == 1
    assert await alerts_to(frontdesk, chen.id, 1) == 1       # not twice
    assert await frontdesk.value("SELECT escalation_step FROM tickets WHERE id = 1") == 3
