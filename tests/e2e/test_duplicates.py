"""Duplicates (issue #12): a building's problem reported twice is alerted once; the second reporter
follows the first request to its end; /split N and "not fixed for me" make it a request of its own."""

from __future__ import annotations

import asyncio

from tests.conftest import make_team, register

WATER = "No water at all in my flat since this morning"
WATER_TOO = "There is no water in our building, nothing comes out of the taps"


async def _cast(emulator, admin, chen_building: str = "5"):
    """Zhang volunteers for G1; Li and Chen are registered residents (Chen in `chen_building`)."""
    zhang = emulator.user(7001, "Zhang Wei", "en")
    await make_team(admin, [zhang])
    li = emulator.user(5001, "Li", "en")
    await register(li)
    chen = emulator.user(5002, "Chen", "en")
    await register(chen, name="Chen Hua", building=chen_building, phone="13800003333")
    return zhang, li, chen


def _alerts(volunteer, number: int) -> list:
    return [m for m in volunteer.messages() if f"#{number}" in m.text and any(
        d.startswith("claim:") for _, d in m.buttons)]


async def _settled(frontdesk) -> None:
    await asyncio.sleep(0.2)  # the second message is handled (inbox), then everything it queued is sent
    await frontdesk.drain()


async def test_second_report_is_linked_alerted_once_and_follows_to_the_end(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await li.next_message("#1")
    alert = await zhang.next_message("#1")

    chen.send(WATER_TOO)
    told = await chen.next_message("#2")
    assert "already reported as #1" in told.text and "hear from us when it's fixed" in told.text
    assert [d.split(":")[0] for _, d in told.buttons] == ["sos"]  # not an emergency: the one-tap way to say it is
    await _settled(frontdesk)
    assert not _alerts(zhang, 2)                                     # volunteers are not alerted twice
    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 2"))[0]
    assert ticket["linked_to"] == 1 and ticket["text"] == WATER_TOO and ticket["status"] == "open"
    assert ticket["next_action_at"] is None and ticket["alert_round"] == 0   # no escalation chain of its own
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 2        # recorded and counted

    # the committee sees it under the original
    admin.send("/ticket 1")
    detail = await admin.next_message("#1")
    assert "另有 1 人报了同一个问题" in detail.text and WATER_TOO in detail.text and "#2" in detail.text
    admin.send("/ticket 2")
    assert "并入 #1" in (await admin.next_message("#2")).text
    chen.send("/status")
    assert "the same problem as #1" in (await chen.next_message("#2")).text

    # Chen gets the same news as Li: claimed, on the way, fixed, closed
    chen.send("The whole stairwell has no water either, since 7 am")   # noted while nobody has #1
    assert "It follows #1" in (await chen.next_message("Added to request #2")).text
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    assert "+1 report" in details.text
    summary = await zhang.next_message("other resident reported the same problem")
    assert "nothing comes out of the taps" in summary.text and "since 7 am" in summary.text
    assert "Zhang has taken #1" in (await chen.next_message("has taken")).text
    await li.next_message("has taken your request #1")
    zhang.press(details, "onway:1")
    assert "on the way" in (await chen.next_message("on the way")).text

    chen.send("It is getting worse, the tap only hisses")   # Chen's words reach whoever holds #1
    assert "It follows #1" in (await chen.next_message("Added to request #2")).text
    added = await zhang.next_message("another resident who reported it")
    assert "hisses" in added.text and "#2" in added.text

    zhang.press(details, "resolve:1")
    fixed = await chen.next_message("is fixed")
    assert [d for _, d in fixed.buttons] == ["unfixed:2"]
    asked = await li.next_message("Is it fixed?")
    li.press(asked, asked.button("fixed:"))
    closed = await chen.next_message("closed")
    assert "#1 is closed" in closed.text and "#2" in closed.text
    await _settled(frontdesk)
    statuses = dict((r["id"], r["status"]) for r in await frontdesk.rows("SELECT id, status FROM tickets"))
    assert statuses == {1: "closed", 2: "closed"}
    answer = await chen.answer_to(chen.press(fixed, "unfixed:2"))     # too late: closed, and said so
    assert answer["show_alert"] and "already closed" in answer["text"]
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 2") == "closed"


async def test_after_six_hours_it_is_a_request_of_its_own(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await zhang.next_message("#1")
    frontdesk.clock.advance(6 * 3600 + 60)
    chen.send(WATER_TOO)
    ack = await chen.next_message("#2")
    assert "already reported" not in ack.text
    await zhang.next_message("#2")
    assert await frontdesk.value("SELECT linked_to FROM tickets WHERE id = 2") is None


async def test_another_category_is_a_request_of_its_own(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await zhang.next_message("#1")
    chen.send("The power is out in the whole building")
    assert "already reported" not in (await chen.next_message("#2")).text
    await zhang.next_message("#2")


async def test_another_building_is_a_request_of_its_own(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin, chen_building="7")
    li.send(WATER)
    await zhang.next_message("#1")
    chen.send(WATER_TOO)
    assert "already reported" not in (await chen.next_message("#2")).text
    await zhang.next_message("#2")
    assert await frontdesk.value("SELECT count(*) FROM tickets WHERE linked_to IS NOT NULL") == 0


async def test_two_falls_in_one_building_are_two_people(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send("My father fell and can't get up")
    await zhang.next_message("#1")
    chen.send("My mother fell in the bathroom and cannot stand up")
    ack = await chen.next_message("#2")
    assert ack.text.startswith("🚨 Call 120") and "already reported" not in ack.text
    await zhang.next_message("#2")
    assert await frontdesk.value("SELECT count(*) FROM tickets WHERE linked_to IS NOT NULL") == 0


async def test_an_emergency_linked_still_says_call_now(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send("Strong gas smell in the stairwell")
    await zhang.next_message("#1")
    chen.send("I smell gas in the stairwell too")
    told = await chen.next_message("#2")
    assert told.text.startswith("🚨 Call 119") and "already reported as #1" in told.text
    await _settled(frontdesk)
    assert not _alerts(zhang, 2)
    assert await frontdesk.value("SELECT linked_to FROM tickets WHERE id = 2") == 1


async def test_a_worse_report_is_not_hidden_behind_a_milder_one(frontdesk, emulator, admin):
    """A leak, then water pouring onto the wires: the emergency gets its own alert and 119."""
    zhang, li, chen = await _cast(emulator, admin)
    li.send("A small leak from the ceiling in my bathroom")
    await zhang.next_message("#1")
    chen.send("Water is pouring through the ceiling onto the electric wires")
    ack = await chen.next_message("#2")
    assert ack.text.startswith("🚨 Call 119") and "already reported" not in ack.text
    await zhang.next_message("#2")
    # ...and a linked report that becomes worse than its original (more words) is split off and alerted
    emulator.user(5003, "Sun", "en")
    sun = emulator.user(5003, "Sun", "en")
    await register(sun, name="Sun Mei", phone="13800004444")
    sun.send(WATER_TOO)
    assert "already reported as #1" in (await sun.next_message("#3")).text
    sun.send("Now water is pouring through the ceiling onto the electric wires")
    await sun.next_message("119")
    realert = await zhang.next_message("#3")
    assert "EMERGENCY" in realert.text
    row = (await frontdesk.rows("SELECT linked_to, urgency FROM tickets WHERE id = 3"))[0]
    assert row == {"linked_to": None, "urgency": "emergency"}


async def test_a_restart_between_the_two_reports_still_links(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await zhang.next_message("#1")
    await frontdesk.restart()
    chen.send(WATER_TOO)
    assert "already reported as #1" in (await chen.next_message("#2")).text
    await _settled(frontdesk)
    assert not _alerts(zhang, 2)


async def test_split_alerts_it_as_new_and_tells_the_reporter(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await zhang.next_message("#1")
    chen.send(WATER_TOO)
    await chen.next_message("already reported")
    await _settled(frontdesk)

    # bad input changes nothing, and says what was wrong
    chen.send("/split 2")
    assert "Only committee staff" in (await chen.next_message("Only")).text
    for words, expected in (("/split", "用法"), ("/split abc", "用法"), ("/split 99", "没有编号为 #99"),
                            ("/split 1", "/split 2")):
        admin.send(words)
        await admin.next_message(expected)
    assert await frontdesk.value("SELECT linked_to FROM tickets WHERE id = 2") == 1
    assert not _alerts(zhang, 2)

    admin.send("/split #2")
    assert "已和 #1 分开" in (await admin.next_message("#2")).text
    assert "request of its own" in (await chen.next_message("its own")).text
    alert = await zhang.next_message("#2")
    assert alert.button("claim:") == "claim:2" and "nothing comes out" in alert.text
    row = (await frontdesk.rows("SELECT linked_to, urgency, category, status FROM tickets WHERE id = 2"))[0]
    assert row == {"linked_to": None, "urgency": "urgent", "category": "water", "status": "open"}  # triaged as it was
    admin.send("/split 2")
    await admin.next_message("没有并入别的求助")                          # once is enough


async def test_not_fixed_for_me_splits_it(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    alert = await zhang.next_message("#1")
    chen.send(WATER_TOO)
    await chen.next_message("already reported")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    zhang.press(details, "resolve:1")
    fixed = await chen.next_message("is fixed")
    answer = await li.answer_to(li.press(fixed, "unfixed:2"))         # not Li's to press
    assert answer["show_alert"]
    chen.press(fixed, "unfixed:2")
    await zhang.next_message("#2")
    await emulator.wait_for(lambda: "request of its own" in fixed.text, 5, "Chen's message to say so")
    assert await frontdesk.value("SELECT linked_to FROM tickets WHERE id = 2") is None
    # Li confirms #1; Chen's #2 is no longer linked, so it stays open
    asked = await li.next_message("Is it fixed?")
    li.press(asked, asked.button("fixed:"))
    await li.next_message("rate")
    await _settled(frontdesk)
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 2") == "open"


async def test_the_original_cancelled_makes_the_first_report_the_request(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await zhang.next_message("#1")
    chen.send(WATER_TOO)
    await chen.next_message("already reported")
    sun = emulator.user(5003, "Sun", "en")
    await register(sun, name="Sun Mei", phone="13800004444")
    sun.send("Still no water here")
    await sun.next_message("already reported as #1")
    await _settled(frontdesk)
    services = frontdesk.services
    person = await services.inbox.who(5001, "Li")
    await services.threads.cancel(person, 1, None)
    told = await chen.next_message("withdrawn")
    assert "#2 is now a request of its own" in told.text
    assert "now followed as #2" in (await sun.next_message("withdrawn")).text
    await zhang.next_message("#2")
    await _settled(frontdesk)
    assert not _alerts(zhang, 3)
    links = dict((r["id"], r["linked_to"]) for r in await frontdesk.rows("SELECT id, linked_to FROM tickets"))
    assert links == {1: None, 2: None, 3: 2}


async def test_an_original_closed_another_way_takes_its_reports_at_the_next_tick(frontdesk, emulator, admin):
    """A path that closes a ticket without telling (a command of the future, a repair by hand):
    the scheduler tick finds the report left behind and closes it with its original."""
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await zhang.next_message("#1")
    chen.send(WATER_TOO)
    await chen.next_message("already reported")
    await _settled(frontdesk)
    await frontdesk.rows("UPDATE tickets SET status = 'closed', closed_at = 1 WHERE id = 1")
    await frontdesk.services.tick()
    assert "#1 is closed" in (await chen.next_message("closed")).text
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 2") == "closed"
    await frontdesk.services.tick()   # once
    await _settled(frontdesk)
    assert len([m for m in chen.messages() if "#1 is closed" in m.text]) == 1


async def test_a_grid_leader_splits_in_their_grids_only(frontdesk, emulator, admin):
    from tests.e2e.test_leaders_see_their_grids import make_leader

    zhang, li, chen = await _cast(emulator, admin)
    wang = emulator.user(7003, "Wang", "en")
    await make_team(admin, [wang], team="south", grids="G2")
    await make_leader(frontdesk, zhang.id)
    await make_leader(frontdesk, wang.id)
    li.send(WATER)
    await zhang.next_message("#1")
    chen.send(WATER_TOO)
    await chen.next_message("already reported")
    wang.send("/split 2")
    assert "not in your grid" in (await wang.next_message("#2")).text
    assert await frontdesk.value("SELECT linked_to FROM tickets WHERE id = 2") == 1
    zhang.send("/split 2")
    assert "no longer linked to #1" in (await zhang.next_message("#2 is no longer")).text
    await zhang.next_message("New request #2")


async def test_a_report_after_the_claim_tells_the_claimant(frontdesk, emulator, admin):
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    chen.send("停水了，一滴水都没有")
    told = await chen.next_message("#2")
    assert "volunteer Zhang is already on it" in told.text
    note = await zhang.next_message("another resident reported the same problem")
    assert "2 reports in all" in note.text and "⚠️" in note.text and "一滴水" in note.text  # Chen lives alone
    assert "+8613800003333" not in note.text and "302" not in note.text
