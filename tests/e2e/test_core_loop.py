"""End to end: a request becomes a ticket, reaches volunteers, and is claimed, resolved and rated."""

from __future__ import annotations

import asyncio

from tests.conftest import GROUP, make_team, register, staffed_grid


async def test_registration_new_resident(frontdesk, emulator, admin):
    resident = emulator.user(5001, "Li", "en")
    await register(resident, name="Li Xiuying", building="5")
    rows = await frontdesk.rows("SELECT * FROM residents WHERE telegram_id = 5001")
    assert len(rows) == 1
    row = rows[0]
    assert (row["name"], row["building"], row["unit"], row["room"]) == ("Li Xiuying", "5", "2", "302")
    assert row["phone"] == "+8613800001111" and row["lives_alone"] == 1
    assert row["emergency_contact_name"] == "Li Ming" and row["emergency_contact_phone"] == "+8613900002222"
    assert row["language"] == "en" and row["grid"] == "G1" and row["registered_at"] is not None
    resident.send("/start")
    assert "Hello" in (await resident.next_message()).text  # remembered, not asked again


async def test_registration_remembers_language_and_switches(frontdesk, emulator):
    resident = emulator.user(5003, "Chen", "en")
    await register(resident, name="Chen", lang="zh")
    resident.send("/language")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:en")
    assert "English" in (await resident.next_message()).text
    resident.send("/profile")
    assert "Your details" in (await resident.next_message()).text


async def _import(frontdesk, tmp_path, body: str) -> None:
    from bot.services import import_residents

    path = tmp_path / "residents.csv"
    header = ("name,phone,telegram_id,building,unit,room,grid,language,lives_alone,birth_year,"
              "emergency_contact_name,emergency_contact_phone,emergency_contact_telegram_id\n")
    path.write_text(header + body, encoding="utf-8")
    report = await import_residents(frontdesk.db, path, frontdesk.clock)
    assert not report.errors, report.errors


async def test_preimported_resident_is_linked_by_phone(frontdesk, emulator, tmp_path):
    await _import(frontdesk, tmp_path, "Zhao Min,138-0000-2222,,7,1,101,G2,zh,1,1940,Zhao Jun,13911112222,\n")
    resident = emulator.user(5004, "Zhao", "zh")
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:zh")
    await resident.next_message("中文")
    await resident.next_message("欢迎")
    await resident.next_message("手机号")
    resident.share_contact("+8613800002222")
    linked = await resident.next_message("找到您的登记信息")
    assert "Zhao Min" in linked.text and "7号楼" in linked.text
    rows = await frontdesk.rows("SELECT * FROM residents")
    assert len(rows) == 1 and rows[0]["telegram_id"] == 5004 and rows[0]["grid"] == "G2"


async def test_preimported_resident_is_linked_by_telegram_id(frontdesk, emulator, tmp_path):
    await _import(frontdesk, tmp_path, "Sun Li,,5005,3,2,201,G1,en,0,,,,\n")
    resident = emulator.user(5005, "Sun", "en")
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:en")
    await resident.next_message("English")
    linked = await resident.next_message("We found your record")
    assert "Sun Li" in linked.text
    assert await frontdesk.value("SELECT registered_at IS NOT NULL FROM residents WHERE telegram_id = 5005") == 1


async def test_report_claim_resolve_confirm_rate(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang Wei", "en")
    liu = emulator.user(7002, "Liu Yang", "en")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)

    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    ack = await resident.next_message("#1")
    assert "urgent" in ack.text and "water" in ack.text
    alert_zhang = await zhang.next_message("#1")
    alert_liu = await liu.next_message("#1")
    # the alert shows grid, building and the problem, never the phone or the flat
    assert "G1" in alert_zhang.text and "building 5" in alert_zhang.text and "pipe" in alert_zhang.text
    assert "13800001111" not in alert_zhang.text and "302" not in alert_zhang.text
    assert {d.split(":")[0] for _, d in alert_zhang.buttons} == {"claim", "decline"}

    query = zhang.press(alert_zhang, "claim:1")
    assert "yours" in (await zhang.answer_to(query))["text"]
    details = await zhang.next_message("is yours now")
    assert "13800001111" in details.text and "302" in details.text and "Li Ming" in details.text
    told = await resident.next_message("Zhang")
    assert "Wei" not in told.text  # the volunteer's first name only
    await emulator.wait_for(lambda: "claimed by Zhang Wei" in alert_liu.text, 5, "Liu's alert to be edited")
    assert alert_liu.buttons == []
    # looking up Liu's language to edit that alert must not forget who Liu is
    assert await frontdesk.value("SELECT first_name FROM users WHERE telegram_id = 7002") == "Liu Yang"

    zhang.press(details, details.button("resolve:"))
    fixed = await resident.next_message("Is it fixed?")
    resident.press(fixed, fixed.button("fixed:"))
    stars = await resident.next_message("rate")
    resident.press(stars, "rate:1:4")
    await resident.next_message("Skip")
    resident.send("Quick and kind, thank you")
    await resident.next_message("noted")
    await zhang.next_message("confirmed")

    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 1"))[0]
    assert ticket["status"] == "closed" and ticket["rating"] == 4 and ticket["rating_comment"] == "Quick and kind, thank you"
    kinds = [e["kind"] for e in await frontdesk.rows("SELECT kind FROM ticket_events WHERE ticket_id = 1 ORDER BY id")]
    assert kinds == ["created", "alerted", "claimed", "resolved", "confirmed", "rated", "commented"]
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1  # the comment did not become a ticket

    zhang.send("/mytickets")
    assert "no requests" in (await zhang.next_message()).text


async def test_not_yet_goes_back_to_the_same_volunteer(frontdesk, emulator, admin):
    """Issue #7: "Not yet" no longer takes the ticket from the volunteer who did the work."""
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water at all in my flat since this morning")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    zhang.press(details, "resolve:1")
    fixed = await resident.next_message("Is it fixed?")
    resident.press(fixed, "notyet:1")
    back = await zhang.next_message("not fixed yet")
    assert {d.split(":")[0] for _, d in back.buttons} == {"onway", "resolve", "release"}  # Release is still possible
    await emulator.wait_for(lambda: "We told volunteer Zhang" in fixed.text, 5, "the resident's question answered")
    await frontdesk.drain()
    assert not [m for m in zhang.messages() if "alert 2" in m.text]
    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 1"))[0]
    assert ticket["status"] == "claimed" and ticket["claimed_by"] is not None and ticket["alert_round"] == 1
    zhang.press(back, "release:1")  # and if they cannot, the pool gets it again
    await resident.next_message("finding someone else")
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "open"


async def test_release_goes_back_to_the_pool(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    liu = emulator.user(7002, "Liu", "en")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("The light in our corridor is out")
    alert = await zhang.next_message("#1")
    await liu.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    zhang.press(details, "release:1")
    realert = await liu.next_message("alert 2")
    await resident.next_message("finding someone else")
    assert realert.button("claim:") == "claim:1"
    assert not [m for m in zhang.messages() if "alert 2" in m.text]  # the releaser is not asked again


async def test_two_volunteers_claiming_at_once(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    liu = emulator.user(7002, "Liu", "en")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("Heating is off and it is freezing, my mother is 85")
    alert_z = await zhang.next_message("#1")
    alert_l = await liu.next_message("#1")
    q1 = zhang.press(alert_z, "claim:1")
    q2 = liu.press(alert_l, "claim:1")
    answers = [await zhang.answer_to(q1), await liu.answer_to(q2)]
    assert sorted("yours" in a["text"] for a in answers) == [False, True]
    assert sum("already taken" in a["text"] for a in answers) == 1
    assert await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'claimed'") == 1


async def test_simultaneous_claims_at_the_service(frontdesk, emulator, admin):
    """Two claims racing in one process: the compare-and-set lets exactly one through."""
    zhang = emulator.user(7001, "Zhang", "en")
    liu = emulator.user(7002, "Liu", "en")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("The toilet is blocked and overflowing")
    await zhang.next_message("#1")
    services = frontdesk.services
    people = [await services.inbox.who(7001, "Zhang"), await services.inbox.who(7002, "Liu")]
    answers = await asyncio.gather(*(services.volunteering.claim(p, 1) for p in people))
    assert sorted(a.template for a in answers) == ["toast_claimed", "toast_taken"]


async def test_unregistered_emergency_is_never_blocked(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "zh")
    await make_team(admin, [zhang])
    admin.send("/set_admin_group", chat_id=GROUP)
    assert "这个群" in (await emulator.wait_for(
        lambda: emulator.chat(GROUP)[-1] if emulator.chat(GROUP) else None, 5, "group reply")).text
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("help, my father fell and he can't get up")
    ack = await stranger.next_message("#1")
    assert ack.text.startswith("🚨 Call 120")  # what to do now comes first
    await stranger.next_message("Where are you")
    alert = await zhang.next_message("#1")
    assert "紧急" in alert.text and "未登记" in alert.text
    await emulator.wait_for(lambda: any("#1" in m.text for m in emulator.chat(GROUP)), 5, "the admin group alert")
    stranger.send("Building 3 unit 1 flat 201")
    await stranger.next_message("Address added")
    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 1"))[0]
    assert ticket["urgency"] == "emergency" and ticket["location"] == "Building 3 unit 1 flat 201"
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_emergency_numbers_follow_the_category(frontdesk, emulator):
    stranger = emulator.user(5101, "Ann", "en")
    stranger.send("There is a fire in the stairwell, lots of smoke!")
    ack = await stranger.next_message("#1")
    assert ack.text.startswith("🚨 Call 119")


async def test_forged_callbacks_change_nothing(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("Our lift is broken and I am 86 on the 11th floor")
    alert = await zhang.next_message("#1")
    for data in ("claim:999", "drop table tickets", "rate:1:9", "resolve:1", "fixed:1", "claim:1:extra"):
        answer = await zhang.answer_to(zhang.press(alert, data))
        assert answer["show_alert"] and answer["text"], data
    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 1"))[0]
    assert ticket["status"] == "open" and ticket["claimed_by"] is None


async def test_resident_cannot_press_a_volunteers_button(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("Water is leaking through my ceiling")
    alert = await zhang.next_message("#1")
    answer = await resident.answer_to(resident.press(alert, alert.button("claim:")))
    assert "Only volunteers" in answer["text"]
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "open"


async def test_restart_between_ticket_and_alert(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    await frontdesk.restart(paused=True)  # the process will "crash" before it sends anything
    resident = emulator.user(5001, "Li", "en")
    resident.send("Burst pipe, water everywhere in the bathroom")
    for _ in range(100):
        if await frontdesk.value("SELECT count(*) FROM tickets"):
            break
        await asyncio.sleep(0.02)
    assert await frontdesk.value(
        "SELECT count(*) FROM outbox WHERE purpose = 'alert' AND status = 'pending' AND chat_id = 7001") == 1
    assert not [m for m in zhang.messages() if "#1" in m.text]
    await frontdesk.restart()
    await zhang.next_message("#1")
    await resident.next_message("#1")
    await frontdesk.drain()
    await asyncio.sleep(0.2)
    assert len([m for m in zhang.messages() if "#1" in m.text]) == 1  # exactly once
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_the_same_update_twice_makes_one_ticket(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", "en")
    resident.send("The stairwell light on floor 3 is broken")
    update = emulator.last_update
    await resident.next_message("#1")
    await zhang.next_message("#1")
    emulator.replay(update)
    await asyncio.sleep(0.5)
    await frontdesk.drain()
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1
    assert len([m for m in zhang.messages() if "#1" in m.text]) == 1
    assert len([m for m in resident.messages() if "We got your request" in m.text]) == 1


async def test_status_lists_open_requests(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("Rubbish has not been collected for a week")
    await resident.next_message("#1")
    resident.send("/status")
    status = await resident.next_message("open requests")
    assert "#1" in status.text and "waiting for a volunteer" in status.text
