"""Issue #7: a conversation that never swallows a request. Each test reproduces a break as it was
reported (in the words the report quotes), over the emulator, in Chinese and English."""

from __future__ import annotations

import pytest

from tests.conftest import make_team, register, staffed_grid


async def _tickets(frontdesk) -> list[dict]:
    return await frontdesk.rows("SELECT * FROM tickets ORDER BY id")


async def _to_rating(resident, zhang, words: str, *, zh: bool = False) -> None:
    """A request, claimed, resolved, confirmed and rated 4 stars: the bot now waits for a comment."""
    resident.send(words)
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("#1")
    zhang.press(details, "resolve:1")
    fixed = await resident.next_message("解决了吗" if zh else "Is it fixed?")
    resident.press(fixed, "fixed:1")
    stars = await resident.next_message("打个分" if zh else "rate")
    assert [len(row) for row in stars.reply_markup["inline_keyboard"]] == [3, 2]  # big buttons, two rows
    resident.press(stars, "rate:1:4")
    await resident.next_message("跳过" if zh else "Skip")


# -- 1. after a rating, the next text is not swallowed as the comment ------------------------------

@pytest.mark.parametrize("lang,fall", [
    ("en", "I fell in the bathroom and can't get up"),
    ("zh", "我在卫生间摔倒了，起不来"),
])
async def test_a_fall_after_a_rating_is_a_request_not_a_comment(frontdesk, emulator, admin, lang, fall):
    zhang = emulator.user(7001, "Zhang", lang)
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", lang)
    await register(resident, lang=lang)
    await _to_rating(resident, zhang, "The corridor light is broken" if lang == "en" else "楼道灯坏了",
                     zh=lang == "zh")
    resident.send(fall)
    ack = await resident.next_message("#2")
    assert ack.text.startswith("🚨")
    await zhang.next_message("#2")
    again = await resident.next_message("About #1" if lang == "en" else "关于 #1")  # the comment question again
    assert ("Skip" if lang == "en" else "跳过") in again.text
    tickets = await _tickets(frontdesk)
    assert tickets[1]["urgency"] == "emergency" and tickets[1]["text"] == fall
    assert tickets[0]["rating_comment"] is None
    resident.send("Quick and kind, thank you" if lang == "en" else "小张很热心，谢谢")
    await resident.next_message("谢谢" if lang == "zh" else "Thank you")
    assert (await _tickets(frontdesk))[0]["rating_comment"] is not None
    assert len(await _tickets(frontdesk)) == 2


# -- 2. after "Where are you?", only an address is an address --------------------------------------

async def test_where_are_you_takes_only_an_address(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("There is smoke coming out of the flat next door")
    await stranger.next_message("#1")
    await stranger.next_message("Where are you")
    stranger.send("The smoke is getting worse")
    await stranger.next_message("Added to request #1")
    await stranger.next_message("Where are you")          # asked again: that was not an address
    stranger.send("快点来人啊！")
    await stranger.next_message("#1")
    stranger.send("Building 3 unit 1 flat 201")
    await stranger.next_message("Address added")
    tickets = await _tickets(frontdesk)
    assert len(tickets) == 1
    assert tickets[0]["location"] == "Building 3 unit 1 flat 201"
    assert (tickets[0]["building"], tickets[0]["unit"], tickets[0]["room"]) == ("3", "1", "201")
    updates = await frontdesk.rows("SELECT detail FROM ticket_events WHERE kind = 'update' ORDER BY id")
    assert [u["detail"] for u in updates] == ["The smoke is getting worse", "快点来人啊！"]
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours")
    assert "building 3, unit 1, flat 201" in details.text


# -- 3. a thread: answers, cancels, thanks and greetings are not new tickets ----------------------------

async def test_thanks_to_is_it_fixed_closes_the_loop(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", "zh")
    await register(resident, lang="zh")
    resident.send("厨房水龙头一直滴水")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("#1")
    zhang.press(details, "resolve:1")
    await resident.next_message("解决了吗")
    resident.send("好了好了，谢谢小张")
    await resident.next_message("打个分")
    tickets = await _tickets(frontdesk)
    assert len(tickets) == 1 and tickets[0]["status"] == "closed"


@pytest.mark.parametrize("words", ["水来了，不用来了", "取消", "it's working again"])
async def test_cancel_words_ask_before_cancelling(frontdesk, emulator, admin, words):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water at all in my flat")
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    resident.send(words)
    question = await resident.next_message("Cancel request #1?")
    resident.press(question, question.button("cancel:"))
    await emulator.wait_for(lambda: "is cancelled" in question.text, 5, "the question to say it is cancelled")
    await emulator.wait_for(lambda: "cancelled by the resident" in alert.text, 5, "the alert to say so")
    assert alert.buttons == []
    tickets = await _tickets(frontdesk)
    assert len(tickets) == 1 and tickets[0]["status"] == "cancelled"


async def test_keep_after_a_cancel_question(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water at all in my flat")
    await resident.next_message("#1")
    resident.send("never mind")
    question = await resident.next_message("Cancel request #1?")
    resident.press(question, "keep:1")
    await emulator.wait_for(lambda: "keep working" in question.text, 5, "the question to be answered")
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "open"


async def test_a_volunteers_words_are_offered_to_the_resident(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", "zh")
    await register(resident, lang="zh")
    resident.send("家里没水了")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("由您负责")
    zhang.send("我马上到，五分钟")
    offer = await zhang.next_message("要把这句话发给居民吗")
    zhang.press(offer, offer.button("relay:1:"))
    told = await resident.next_message("我马上到，五分钟")
    assert "Zhang" in told.text
    await emulator.wait_for(lambda: "已发给" in offer.text, 5, "the offer to say it was sent")
    assert len(await _tickets(frontdesk)) == 1
    assert not [m for m in zhang.messages() if "在哪里" in m.text]  # nobody asked *him* for his address


async def test_a_volunteer_can_still_make_a_request(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water at all in my flat")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours")
    zhang.send("The lift in my own building is making a grinding noise")
    offer = await zhang.next_message("Send this to the resident?")
    zhang.press(offer, offer.button("relay:new:"))
    await zhang.next_message("#2")
    assert len(await _tickets(frontdesk)) == 2


@pytest.mark.parametrize("hello", ["你好", "hello"])
async def test_a_greeting_gets_a_menu_not_a_ticket(frontdesk, emulator, hello):
    resident = emulator.user(5001, "Li", "zh")
    resident.send(hello)
    menu = await resident.next_message("/status")
    assert "120" in menu.text
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0


async def test_words_about_the_open_request_are_an_update_forwarded_to_the_claimant(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("Water is leaking through my ceiling")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours")
    resident.send("I'm home all afternoon, please knock loudly")
    noted = await resident.next_message("Added to request #1")
    await zhang.next_message("please knock loudly")
    # and if the guess was wrong, one press makes it a request of its own
    resident.press(noted, noted.button("asnew:"))
    await resident.next_message("#2")
    assert len(await _tickets(frontdesk)) == 2


async def test_an_update_that_is_worse_raises_the_ticket(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("My mother feels a bit dizzy today")
    await resident.next_message("#1")
    await zhang.next_message("#1")
    resident.send("Now she collapsed and is not responding")
    raised = await resident.next_message("🚨")   # after "✅ #1: the volunteers have your request"
    assert raised.text.startswith("🚨") and "#1" in raised.text
    await zhang.next_message("alert 2")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"


# -- 4. where, not who -------------------------------------------------------------------------------

async def _import_buildings(frontdesk, tmp_path) -> None:
    from bot.services import import_residents

    path = tmp_path / "residents.csv"
    path.write_text(
        "name,phone,telegram_id,building,unit,room,grid,language,lives_alone,birth_year,"
        "emergency_contact_name,emergency_contact_phone,emergency_contact_telegram_id\n"
        "Zhao Min,13800002222,,7,1,101,G2,zh,0,,,,\n"
        "Qian Li,13800003333,,12,1,101,G3,en,0,,,,\n", encoding="utf-8")
    await import_residents(frontdesk.db, path, frontdesk.clock)


async def test_registration_in_building_7_goes_to_its_grid(frontdesk, emulator, admin, tmp_path):
    await _import_buildings(frontdesk, tmp_path)
    resident = emulator.user(5001, "Li", "zh")
    await register(resident, name="李秀英", building="7号楼", lang="zh", phone="13800009999")
    assert await frontdesk.value("SELECT grid FROM residents WHERE telegram_id = 5001") == "G2"


async def test_building_named_by_an_unregistered_person_routes_the_ticket(frontdesk, emulator, admin, tmp_path):
    await _import_buildings(frontdesk, tmp_path)
    north, east = emulator.user(7001, "Zhang", "en"), emulator.user(7002, "Liu", "en")
    await make_team(admin, [north], "north", "G1")
    await make_team(admin, [east], "east", "G3")
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("The lift in building 12 is stuck between floors")
    await stranger.next_message("#1")
    await east.next_message("#1")
    ticket = (await _tickets(frontdesk))[0]
    assert (ticket["grid"], ticket["building"]) == ("G3", "12")
    assert not [m for m in north.messages() if "#1" in m.text]


async def test_a_daughter_reporting_for_her_mother_sends_the_volunteer_to_the_mother(
        frontdesk, emulator, admin, tmp_path):
    await _import_buildings(frontdesk, tmp_path)
    liu = emulator.user(7002, "Liu", "zh")
    await make_team(admin, [liu], "west", "G2")
    daughter = emulator.user(5001, "Li", "zh")
    await register(daughter, building="5", lang="zh")          # she lives in 5 (grid G1)
    daughter.send("我妈在7号楼1单元502，摔倒了起不来")
    alert = await liu.next_message("#1")
    assert "网格 G2 · 7号楼\n" in alert.text and "502室" not in alert.text  # the alert never adds the flat
    assert "独居" not in alert.text                             # the daughter lives alone, not the mother
    liu.press(alert, "claim:1")
    details = await liu.next_message("由您负责")
    assert "7号楼1单元502室" in details.text                    # where the problem is
    assert "13800001111" in details.text and "5号楼" in details.text  # who reported it, and how to call her
    ticket = (await _tickets(frontdesk))[0]
    assert (ticket["grid"], ticket["building"], ticket["unit"], ticket["room"]) == ("G2", "7", "1", "502")


# -- 5. clean values ---------------------------------------------------------------------------------

async def test_answers_are_stored_without_their_labels(frontdesk, emulator):
    resident = emulator.user(5001, "Wang", "zh")
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:zh")
    await resident.next_message("手机号")
    resident.share_contact("13800001111")
    for answer in ("登记好了，我姓王，王秀兰！", "5号楼号楼", "2单元单元", "302室"):
        await resident.next_message(None)
        resident.send(answer)
    alone = await resident.next_message("一个人住")
    resident.press(alone, "alone:no")
    await resident.next_message("紧急联系人")
    resident.send("跳过")
    done = await resident.next_message("王秀兰")
    row = (await frontdesk.rows("SELECT * FROM residents WHERE telegram_id = 5001"))[0]
    assert (row["name"], row["building"], row["unit"], row["room"]) == ("王秀兰", "5", "2", "302")
    assert "号楼号楼" not in done.text and "单元单元" not in done.text


async def test_building_in_english_is_stored_clean(frontdesk, emulator):
    resident = emulator.user(5002, "Tom", "en")
    await register(resident, name="My name is Tom Lee", building="building Building 12", shown="Tom Lee")
    row = (await frontdesk.rows("SELECT * FROM residents WHERE telegram_id = 5002"))[0]
    assert (row["name"], row["building"]) == ("Tom Lee", "12")


# -- 6. voice notes and photos alone -----------------------------------------------------------------

async def test_a_voice_note_alone_is_an_urgent_request_heard_by_the_volunteers(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send_media("voice")
    ack = await resident.next_message("#1")
    assert "urgent" in ack.text
    await zhang.next_message("#1")
    voice = await emulator.wait_for(lambda: next((m for m in zhang.messages() if m.kind == "voice"), None), 5,
                                    "the voice note forwarded with the alert")
    assert voice.text == "#1"
    resident.send_media("voice")                               # a second one joins the open request
    await resident.next_message("Added your voice")
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1
    assert await frontdesk.value("SELECT count(*) FROM attachments WHERE ticket_id = 1") == 2


async def test_a_document_is_never_a_ticket(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send_media("document", caption="residents.csv")
    assert "cannot open files" in (await resident.next_message()).text
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0


# -- 8. the loop, kindly -------------------------------------------------------------------------------

async def test_a_resolved_ticket_nobody_confirms_closes_after_three_days(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The corridor light is broken")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours")
    zhang.press(details, "resolve:1")
    await resident.next_message("Is it fixed?")
    frontdesk.clock.advance(2.9 * 86400)
    assert await frontdesk.services.closing.close_unconfirmed() == 0
    frontdesk.clock.advance(0.2 * 86400)
    await frontdesk.services.tick()
    await resident.next_message("we closed it")
    ticket = (await _tickets(frontdesk))[0]
    assert ticket["status"] == "closed"
    assert await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'auto_closed'") == 1


async def test_an_unwell_resident_who_lives_alone_is_told_when_to_call_120(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)   # Li lives alone (register answers yes)
    resident.send("I feel dizzy and weak today")
    ack = await resident.next_message("#1")
    assert "call 120 now" in ack.text and ack.text.startswith("We got")
    alert = await zhang.next_message("#1")
    assert "lives alone" in alert.text and "302" not in alert.text


async def test_an_english_admin_gets_english_alerts(frontdesk, emulator, admin):
    admin.send("/language")
    choose = await admin.next_message("choose a language")
    admin.press(choose, "lang:en")
    await admin.next_message("English")
    stranger = emulator.user(5100, "Tom", "zh")
    stranger.send("我爸摔倒了起不来")
    alert = await admin.next_message("#1")
    assert "EMERGENCY" in alert.text and "紧急" not in alert.text


# -- 1 again: no waiting state swallows a red flag ---------------------------------------------------

RED_FLAGS = {"en": "My father fell and can't get up", "zh": "我爸摔倒了起不来"}



# Red flags of other kinds, for one person in several states: a second fall would be an update
# of their open emergency (rightly), not a new ticket.
GAS = {"en": "I smell gas everywhere in the kitchen", "zh": "厨房煤气味很大"}
LIFT = {"en": "Man trapped in the lift and he cannot breathe", "zh": "电梯里困了人，喘不上气"}


async def _red_flag_is_a_request(frontdesk, person, lang: str, volunteer, flags: dict = RED_FLAGS) -> None:
    before = await frontdesk.value("SELECT count(*) FROM tickets")
    person.send(flags[lang])
    ack = await person.next_message("🚨")
    number = f"#{before + 1}"
    assert number in ack.text
    await volunteer.next_message(number)
    row = (await frontdesk.rows("SELECT * FROM tickets WHERE id = ?", (before + 1,)))[0]
    assert row["urgency"] == "emergency" and row["text"] == flags[lang]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_waiting_state_lets_a_red_flag_through(frontdesk, emulator, admin, lang):
    zhang = emulator.user(7001, "Zhang", lang)
    await make_team(admin, [zhang])

    # language (before the language button is pressed)
    p = emulator.user(5101, "A", lang)
    p.send("/start")
    await p.next_message("choose a language")
    await _red_flag_is_a_request(frontdesk, p, lang, zhang)
    await p.next_message("choose a language")              # the question is asked again

    # each registration question
    for index, step in enumerate(("phone", "name", "building", "unit", "room", "alone", "contact")):
        p = emulator.user(5200 + index, "B", lang)
        p.send("/start")
        choose = await p.next_message("choose a language")
        p.press(choose, f"lang:{lang}")
        await p.next_message(None)
        await p.next_message(None)
        question = await p.next_message(None)
        answers = {"phone": None, "name": "Chen", "building": "5", "unit": "2", "room": "302", "alone": "alone:no"}
        for done in ("phone", "name", "building", "unit", "room", "alone")[:index]:
            if done == "phone":
                p.share_contact(f"1380000{5200 + index:04d}")
            elif done == "alone":
                p.press(question, "alone:no")
            else:
                p.send(answers[done])
            question = await p.next_message(None)
        asked = question.text
        await _red_flag_is_a_request(frontdesk, p, lang, zhang)
        await p.next_message(asked[:8])                     # the same question, again
        assert await frontdesk.value("SELECT registered_at FROM residents WHERE telegram_id = ?",
                                     (p.id,)) is None

    # "where are you?"
    p = emulator.user(5301, "C", lang)
    p.send("The stairwell light is out" if lang == "en" else "楼道灯不亮了")
    await p.next_message("#")
    await p.next_message("Where are you" if lang == "en" else "在哪里")
    await _red_flag_is_a_request(frontdesk, p, lang, zhang)

    # the rating comment
    resident = emulator.user(5401, "D", lang)
    await register(resident, lang=lang, phone="13800005401")
    resident.send("The stairwell light is out" if lang == "en" else "楼道灯不亮了")
    ack = await resident.next_message("#")
    number = int(ack.text.split("#")[1].split()[0].rstrip("。.，,"))
    alert = await zhang.next_message(f"#{number}")
    zhang.press(alert, f"claim:{number}")
    details = await zhang.next_message(f"#{number}")
    zhang.press(details, f"resolve:{number}")
    fixed = await resident.next_message(f"#{number}")
    resident.press(fixed, f"fixed:{number}")
    stars = await resident.next_message(None)
    stars = await resident.next_message(None) if not stars.buttons else stars
    await _red_flag_is_a_request(frontdesk, resident, lang, zhang)   # the stars question
    resident.press(stars, f"rate:{number}:5")
    await resident.next_message("Skip" if lang == "en" else "跳过")
    await _red_flag_is_a_request(frontdesk, resident, lang, zhang, GAS)
    again = await resident.next_message(f"#{number}")      # the comment question, again: skip it
    resident.press(again, f"nocomment:{number}")
    await resident.next_message("Thank you" if lang == "en" else "谢谢")

    # a cancel question left unanswered
    resident.send("不用来了" if lang == "zh" else "never mind")
    await resident.next_message("取消" if lang == "zh" else "Cancel")
    before = await frontdesk.value("SELECT count(*) FROM tickets")
    resident.send("楼道里全是烟，着火了" if lang == "zh" else "There is a fire in the stairwell, lots of smoke")
    await resident.next_message("🚨")
    assert await frontdesk.value("SELECT count(*) FROM tickets") == before + 1

    # the rest of a sentence typed in pieces (by someone with no open request)
    before = await frontdesk.value("SELECT count(*) FROM tickets")
    p = emulator.user(5501, "E", lang)
    p.send("my" if lang == "en" else "我家")
    await p.next_message("Go on" if lang == "en" else "接着说")
    p.send(LIFT[lang])
    await p.next_message("🚨")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = ?", (before + 1,)) == "emergency"

    # a volunteer with words waiting to be relayed
    fire = await zhang.next_message(f"#{before}")           # the fire, reported at the cancel question
    zhang.press(fire, f"claim:{before}")
    await zhang.next_message("is yours" if lang == "en" else "由您负责")
    zhang.send("I'm on my way" if lang == "en" else "我在路上了")
    await zhang.next_message("Send this to the resident?" if lang == "en" else "要把这句话发给居民吗")
    volunteer_red_flag = "My neighbour collapsed and is not breathing" if lang == "en" else "邻居晕倒了，没有呼吸"
    before = await frontdesk.value("SELECT count(*) FROM tickets")
    zhang.send(volunteer_red_flag)
    await zhang.next_message(f"number #{before + 1}" if lang == "en" else f"编号 #{before + 1}")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE text = ?", (volunteer_red_flag,)) == "emergency"


# -- found by a helper trying the bot as real people would -----------------------------------------

async def _resolved(resident, zhang, words: str) -> None:
    resident.send(words)
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("#1")
    zhang.press(details, "resolve:1")


@pytest.mark.parametrize("answer", ["没有 还是凉的", "no", "not fixed yet"])
async def test_a_typed_no_to_is_it_fixed_goes_back_to_the_volunteer(frontdesk, emulator, admin, answer):
    zhang, resident = await staffed_grid(emulator, admin)
    await _resolved(resident, zhang, "The heating is off in my flat")
    await resident.next_message("Is it fixed?")
    resident.send(answer)
    await zhang.next_message("not fixed yet")
    await resident.next_message("We told volunteer Zhang")
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "claimed"


async def test_typed_stars_are_a_rating(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    await _resolved(resident, zhang, "The corridor light is broken")
    fixed = await resident.next_message("Is it fixed?")
    resident.press(fixed, "fixed:1")
    await resident.next_message("rate")
    resident.send("5 stars")
    await resident.next_message("Skip")
    assert await frontdesk.value("SELECT rating FROM tickets WHERE id = 1") == 5
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_a_landmark_answers_where_are_you(frontdesk, emulator, admin):
    stranger = emulator.user(5100, "Ann", None)
    stranger.send("my grandma cant breathe properly please come")
    await stranger.next_message("Where are you")
    stranger.send("the one near the big tree by the north gate")
    added = await stranger.next_message("Address added")
    assert "north gate" in added.text
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_registering_after_an_emergency_moves_it_to_the_buildings_grid(frontdesk, emulator, admin, tmp_path):
    await _import_buildings(frontdesk, tmp_path)
    liu = emulator.user(7002, "Liu", "zh")
    await make_team(admin, [liu], "west", "G2")
    resident = emulator.user(5001, "Li", "zh")
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:zh")
    await resident.next_message("手机号")
    resident.send("我爸摔倒了起不来 头在流血")
    await resident.next_message("🚨")
    resident.share_contact("13800007777")
    for answer in ("李秀英", "7号楼", "1", "101"):
        await resident.next_message(None)
        resident.send(answer)
    alone = await resident.next_message("一个人住")
    resident.press(alone, "alone:no")
    await resident.next_message("紧急联系人")
    resident.send("没有")
    await resident.next_message("李秀英")
    await liu.next_message("#1")                               # the G2 team hears of it now
    ticket = (await _tickets(frontdesk))[0]
    assert (ticket["grid"], ticket["building"], ticket["resident_id"] is not None) == ("G2", "7", True)


async def test_an_older_relay_button_sends_its_own_words(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water in my flat")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours")
    zhang.send("Which floor are you on? I'm downstairs")
    first = await zhang.next_message("Send this to the resident?")
    zhang.send("this family is so much trouble")
    await zhang.next_message("so much trouble")
    zhang.press(first, first.button("relay:1:"))
    told = await resident.next_message("Which floor")
    assert "trouble" not in told.text
    await frontdesk.drain()
    assert not [m for m in resident.messages() if "trouble" in m.text]


async def test_an_old_cancel_button_does_not_cancel_a_ticket_that_got_worse(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The kitchen tap drips a little")
    await resident.next_message("#1")
    resident.send("never mind")
    question = await resident.next_message("Cancel request #1?")
    resident.send("Now the pipe burst and water is flooding the living room onto the sockets")
    await resident.next_message("more serious")
    answer = await resident.answer_to(resident.press(question, question.button("cancel:")))
    assert "not cancelled" in answer["text"]
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "open"


async def test_cancel_words_name_the_request_they_mean(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water in my flat since this morning")
    await resident.next_message("#1")
    resident.send("The lift is broken again")
    await resident.next_message("#2")
    resident.send("The water came back, no need to come for the water")
    await resident.next_message("Cancel request #1?")


async def test_a_realert_shows_what_the_resident_added(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The kitchen tap drips a little")
    await zhang.next_message("#1")
    resident.send("Now the pipe burst and water is flooding the living room onto the sockets")
    again = await zhang.next_message("alert 2")
    assert "flooding" in again.text


async def test_a_sentence_in_pieces_is_one_request(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5002, "Wu", "zh")
    await register(resident, lang="zh")
    for piece in ("我家", "厨房", "那个管子"):
        resident.send(piece)
    await resident.next_message("接着说")
    resident.send("漏水了")
    await resident.next_message("#1")
    text = await frontdesk.value("SELECT text FROM tickets WHERE id = 1")
    assert text == "我家 厨房 那个管子 漏水了"
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_an_unfinished_piece_still_reaches_a_person(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5002, "Wu", "zh")
    await register(resident, lang="zh")
    resident.send("哈哈哈")
    await resident.next_message("接着说")
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0
    frontdesk.clock.advance(6 * 60)
    await frontdesk.services.tick()
    await zhang.next_message("哈哈哈")


async def test_registration_takes_natural_answers(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:en")
    await resident.next_message("phone")
    resident.share_contact("13800001111")
    for answer in ("Li Xiuying", "5", "2", "I don't know"):
        await resident.next_message(None)
        resident.send(answer)
    await resident.next_message("alone")
    resident.send("yes i live alone")
    await resident.next_message("contact")
    resident.send("none")
    await resident.next_message("Li Xiuying")
    row = (await frontdesk.rows("SELECT * FROM residents WHERE telegram_id = 5001"))[0]
    assert (row["room"], row["lives_alone"], row["emergency_contact_phone"]) == (None, 1, None)


async def test_a_language_typed_at_the_language_question(frontdesk, emulator):
    resident = emulator.user(5001, "Li", None)
    resident.send("/start")
    await resident.next_message("choose a language")
    resident.send("中文")
    await resident.next_message("手机号")
    assert await frontdesk.value("SELECT language FROM users WHERE telegram_id = 5001") == "zh"


async def test_a_stranger_is_answered_in_the_language_they_write(frontdesk, emulator):
    tom = emulator.user(5100, "Tom", "zh")                     # a Chinese phone, English words
    tom.send("There is water dripping from the ceiling in the lobby")
    await tom.next_message("Where are you")
    tom.send("thank you")
    welcome = await tom.next_message("welcome")
    assert "不客气" not in welcome.text


async def test_an_unclaimed_request_follows_its_building_to_another_grid(frontdesk, emulator, admin):
    liu = emulator.user(7002, "Liu", "zh")
    await make_team(admin, [liu], "west", "G2")
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("The lift in building 7 is stuck between floors")   # building 7 is not mapped yet: G1
    await stranger.next_message("#1")
    admin.send("/building 7 G2")
    await admin.next_message("G2")
    await liu.next_message("#1")
    assert await frontdesk.value("SELECT grid FROM tickets WHERE id = 1") == "G2"
