"""Where the parts of issue #12 meet (the review after the merge): duplicates (E) with the committee's
/reply and /close (D), with /stats (A) and with /export (B)."""

from __future__ import annotations

from tests.e2e.test_duplicates import WATER, WATER_TOO, _cast, _settled
from tests.e2e.test_sheets import _column, _sheet
from tests.conftest import register


async def _linked(frontdesk, emulator, admin):
    """Li reports no water (#1, alerted to Zhang); Chen reports the same in building 5 (#2, linked)."""
    zhang, li, chen = await _cast(emulator, admin)
    li.send(WATER)
    await li.next_message("#1")
    alert = await zhang.next_message("#1")
    chen.send(WATER_TOO)
    assert "already reported as #1" in (await chen.next_message("#2")).text
    await _settled(frontdesk)
    return zhang, li, chen, alert


async def test_closing_an_original_tells_its_linked_reporters_why_at_once(frontdesk, emulator, admin):
    zhang, li, chen, _ = await _linked(frontdesk, emulator, admin)
    admin.send("/close 1 The water company repaired the main. Still dry? Call 96116")
    await admin.next_message("#1")
    await li.next_message("closed your request #1")
    # Chen has the same problem: he hears the committee's words with it, and now, not at the next tick
    told = await chen.next_message("#2", timeout=3)
    assert "closed" in told.text and "Call 96116" in told.text
    assert (await frontdesk.rows("SELECT status FROM tickets WHERE id = 2"))[0]["status"] == "closed"


async def test_the_committees_reply_to_an_original_reaches_its_linked_reporters(frontdesk, emulator, admin):
    zhang, li, chen, _ = await _linked(frontdesk, emulator, admin)
    admin.send("/reply 1 The water company says the water is back at 6 pm")
    await admin.next_message("#1")
    assert "back at 6 pm" in (await li.next_message("committee")).text
    # Chen asked about the same water: the answer is his too
    told = await chen.next_message("back at 6 pm", timeout=3)
    assert "#2" in told.text or "#1" in told.text


async def test_stats_count_a_duplicate_as_a_report_of_an_earlier_request(frontdesk, emulator, admin):
    await _linked(frontdesk, emulator, admin)
    frontdesk.clock.advance(60)
    admin.send("/stats 7d")
    text = (await admin.next_message("统计")).text
    assert "求助：共 2 件" in text and "其中 1 件" in text          # two reports, one of them the same problem
    # one request was alerted (the duplicate never is): the share passed on is of that one
    assert "1 件中 0 件" in text and "2 件中" not in text


async def test_export_tickets_says_which_request_a_duplicate_follows(frontdesk, emulator, admin):
    await _linked(frontdesk, emulator, admin)
    admin.send("/export tickets")
    ws = _sheet(await admin.next_message("求助工单"))
    assert [c.value for c in _column(ws, "重复报告，并入")] == [None, "#1"]


async def test_a_resident_who_answers_an_announcement_with_got_it_gets_no_request(frontdesk, emulator, admin):
    from tests.conftest import register, staffed_grid
    from tests.e2e.test_broadcast import preview

    zhang, li = await staffed_grid(emulator, admin)
    chen = emulator.user(5002, "Chen", "zh")
    await register(chen, name="Chen Hua", building="5", phone="13800003333", lang="zh")
    _, confirm = await preview(admin, "/broadcast all 明天上午9点到12点停水，请提前储水。")
    admin.press(confirm, "bcsend:1")
    await chen.next_message("停水")
    await li.next_message("停水")
    # what people say to a notice: "got it" is not a request, however many residents say it
    chen.send("收到")
    await chen.next_message(None)
    chen.send("好的，知道了")
    await chen.next_message(None)
    li.send("OK got it")
    await li.next_message(None)
    frontdesk.clock.advance(600)                 # a word held as the start of a sentence would be a request now
    await frontdesk.services.tick()
    await frontdesk.drain()
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0
    assert not [m for m in chen.messages() if "编号 #" in m.text]           # no "已收到您的求助，编号 #1"
    assert not [m for m in li.messages() if "number #" in m.text]


async def test_an_old_close_button_does_not_close_a_question_that_became_an_emergency(frontdesk, emulator, admin):
    from tests.e2e.test_ticket_life import asked, status

    zhang, liu, resident = await asked(emulator, admin)
    admin.send("/reply 1 Saturdays 9:00-12:00")
    sent = await admin.next_message("#1")
    assert sent.button("closeinfo:") == "closeinfo:1"
    ack = [m for m in resident.messages() if any(d == "sos:1" for _, d in m.buttons)][-1]
    resident.press(ack, "sos:1")                                  # 🚨 this is an emergency after all
    await zhang.next_message("#1")
    await frontdesk.drain()
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    # later the admin scrolls up and presses the Close the answer offered: not an answered question any more
    query = admin.press(sent, "closeinfo:1")
    assert (await admin.answer_to(query))["text"]
    await frontdesk.drain()
    assert await status(frontdesk) == "open"
    assert not [m for m in resident.messages() if "We hope our answer helped" in m.text]


async def test_a_question_about_an_announcement_is_not_taken_as_an_old_rating_comment(frontdesk, emulator, admin):
    from tests.conftest import staffed_grid
    from tests.e2e.test_broadcast import preview

    zhang, li = await staffed_grid(emulator, admin)
    li.send("The pipe under my kitchen sink burst and water keeps spraying out")
    await li.next_message("#1")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    zhang.press(details, details.button("resolve:"))
    fixed = await li.next_message("Is it fixed?")
    li.press(fixed, fixed.button("fixed:"))
    li.press(await li.next_message("rate"), "rate:1:4")
    await li.next_message("Skip")                     # "anything to add?": Li leaves it there
    frontdesk.clock.advance(3 * 3600)
    _, confirm = await preview(admin, "/broadcast all Water will be off tomorrow 9:00-12:00 in buildings 3-7.")
    admin.press(confirm, "bcsend:1")
    await li.next_message("Water will be off")
    question = "Does that include building 5 unit 2? I need to store water for my mother"
    li.send(question)
    # the announcement is the last thing Li read: her question is a question for the committee
    await li.next_message("#2")
    assert await frontdesk.value("SELECT rating_comment FROM tickets WHERE id = 1") is None
    assert await frontdesk.value("SELECT text FROM tickets WHERE id = 2") == question


async def test_export_says_a_fixed_request_waits_for_the_residents_ok_not_the_readers(frontdesk, emulator, admin):
    from tests.e2e.test_ticket_life import claimed

    zhang, liu, resident, details = await claimed(emulator, admin)
    zhang.press(details, details.button("resolve:"))
    await resident.next_message("Is it fixed?")
    admin.send("/export tickets")
    ws = _sheet(await admin.next_message("求助工单"))
    # the committee reads the sheet: "待您确认" (waiting for *your* OK) is what the resident is told
    assert [c.value for c in _column(ws, "状态")] == ["待居民确认"]


async def test_send_under_a_day_old_preview_does_not_announce_it(frontdesk, emulator, admin):
    from tests.conftest import staffed_grid
    from tests.e2e.test_broadcast import preview

    zhang, li = await staffed_grid(emulator, admin)
    _, confirm = await preview(admin, "/broadcast all 明天上午9点到12点停水，请提前储水。")
    frontdesk.clock.advance(26 * 3600)         # left for the next day: "明天" is today now
    query = admin.press(confirm, "bcsend:1")
    assert "/broadcast" in (await admin.answer_to(query))["text"]   # send it again, as it should read now
    await frontdesk.drain()
    await frontdesk.services.tick()
    await frontdesk.drain()
    assert not [m for m in li.messages() if "停水" in m.text]
    assert await frontdesk.value("SELECT status FROM broadcasts WHERE id = 1") != "sending"


async def test_periods_in_chinese_words(frontdesk, emulator, admin):
    from tests.conftest import staffed_grid

    zhang, li = await staffed_grid(emulator, admin)
    li.send("The corridor light on my floor is out")
    await li.next_message("#1")
    frontdesk.clock.advance(60)
    # the refusal itself says "month（本月）": a Chinese-speaking admin writes 本月
    admin.send("/stats 本月")
    assert "求助：共 1 件" in (await admin.next_message("统计")).text
    admin.send("/stats 近7天")
    assert "求助：共 1 件" in (await admin.next_message("统计")).text
    admin.send("/export 工单 本月")
    assert "本月" in (await admin.next_message("求助工单")).text
    admin.send("/export 工单 30天")
    assert "近 30 天" in (await admin.next_message("求助工单")).text
    admin.send("/stats 全部")                        # like "all": no chart of every day since 1970
    await admin.next_message("看不懂")


async def test_the_claimant_of_a_cancelled_request_hears_the_same_problem_still_needs_someone(frontdesk, emulator, admin):
    zhang, li, chen, alert = await _linked(frontdesk, emulator, admin)
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    li.send("/cancel 1")
    ask = await li.next_message("Cancel request #1?")
    li.press(ask, ask.buttons[0][1])
    await emulator.wait_for(lambda: "is cancelled" in ask.text, 5, "the question to say #1 is cancelled")
    await _settled(frontdesk)
    # Zhang was on his way to the water: "#1 cancelled, no need to go" must not read as "the water is fine"
    told = [m for m in zhang.messages() if "#1" in m.text and "#2" in m.text and "cancel" in m.text.lower()]
    assert told and any(d == "claim:2" for _, d in told[-1].buttons), [m.text for m in zhang.messages()[-3:]]


async def test_stats_asked_by_a_resident_in_a_group_is_refused_there_without_a_secret(frontdesk, emulator, admin):
    from tests.conftest import GROUP, staffed_grid

    zhang, li = await staffed_grid(emulator, admin)
    li.send("/stats", chat_id=GROUP)
    refused = await emulator.wait_for(
        lambda: next((m for m in emulator.chat(GROUP) if "for the committee" in m.text), None), 5, "the refusal")
    assert refused
    await frontdesk.drain()
    # not "🔒 I sent you the answer privately: it has phone numbers..." for a refusal that has none
    assert not [m for m in emulator.chat(GROUP) if "🔒" in m.text]


async def test_split_takes_the_number_as_a_chinese_keyboard_writes_it(frontdesk, emulator, admin):
    zhang, li, chen, _ = await _linked(frontdesk, emulator, admin)
    admin.send("/split ＃２")                          # a full-width ＃ and digit, as /reply and /close take them
    await admin.next_message("#2")
    assert await frontdesk.value("SELECT linked_to FROM tickets WHERE id = 2") is None


async def test_a_broadcast_drafted_in_a_residents_group_is_previewed_privately(frontdesk, emulator, admin):
    from tests.conftest import staffed_grid

    residents_group = -100777
    zhang, li = await staffed_grid(emulator, admin)
    admin.send("/broadcast all 明天上午9点到12点停水，请提前储水。", chat_id=residents_group)
    confirm = await admin.next_message("确定发送")             # the draft and its buttons: to the admin alone
    await frontdesk.drain()
    assert not [m for m in emulator.chat(residents_group) if "停水" in m.text or "确定发送" in m.text]
    admin.press(confirm, "bcsend:1")
    await li.next_message("停水")


async def test_a_private_command_asked_in_a_group_is_told_where_to_ask(frontdesk, emulator):
    """A resident types /status (or /cancel 3) in the residents' group: not silence, but where."""
    resident = emulator.user(5301, "Li", "zh")
    resident.send("/status", chat_id=-100777)
    told = await emulator.wait_for(lambda: next(iter(emulator.chat(-100777)), None), 5, "an answer in the group")
    assert "/status" in told.text and "私聊" in told.text and "t.me/frontdesk_bot" in told.text
    resident.send("/cancel@frontdesk_bot 3", chat_id=-100777)
    await emulator.wait_for(lambda: len(emulator.chat(-100777)) == 2, 5, "the second answer")
    assert "/cancel " in emulator.chat(-100777)[1].text


async def test_ticket_takes_the_number_as_a_chinese_keyboard_writes_it(frontdesk, emulator, admin):
    resident = emulator.user(5302, "Li", "en")
    await register(resident)
    resident.send("The stairwell light on floor 3 is out")
    await resident.next_message("#1")
    admin.send("/ticket ＃１")
    detail = await admin.next_message("记录")    # the ticket's history, not the usage
    assert "#1" in detail.text
