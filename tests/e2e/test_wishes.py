"""Micro-wishes (微心愿) over the emulator: a resident's wish, the committee's approval, two
volunteers pressing Adopt at once (one wins), fulfilled, confirmed and thanked; decline with a
reason, withdraw, roles, forged buttons, a restart in the middle, and an emergency typed as a wish."""

from __future__ import annotations

import asyncio

from tests.conftest import GROUP, make_team, register

PHONE = "13800001111"   # the resident's, from register()
WISH = "/wish My wheelchair's brake is broken, could someone repair it?"


async def _cast(emulator, admin):
    zhang, liu = emulator.user(7001, "Zhang", "en"), emulator.user(7002, "Liu", "zh")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    return zhang, liu, resident


async def _approved(frontdesk, emulator, admin):
    """The cast, and wish #1 approved by the admin: the announcements Zhang and Liu got."""
    zhang, liu, resident = await _cast(emulator, admin)
    resident.send(WISH)
    await resident.next_message("wish #1")
    notice = await admin.next_message("微心愿 #1")
    admin.press(notice, notice.button("wish:ok:1"))
    await resident.next_message("approved your wish #1")
    return zhang, liu, resident, await zhang.next_message("micro-wish"), await liu.next_message("微心愿")


async def test_the_whole_flow_first_adopt_wins_and_the_thanks_reach_the_adopter(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    resident.send(WISH)
    received = await resident.next_message("wish #1")
    assert "approval" in received.text or "committee" in received.text
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "pending"

    notice = await admin.next_message("微心愿 #1")
    assert any("wheelchair" in q for q in notice.quotes)     # the resident's words, quoted
    assert {data for _, data in notice.buttons} == {"wish:ok:1", "wish:no:1"}
    answer = await admin.answer_to(admin.press(notice, "wish:ok:1"))
    assert "#1" in answer["text"] and "2 位志愿者" in answer["text"]
    await resident.next_message("approved your wish #1")
    await emulator.wait_for(lambda: "已同意" in notice.text and not notice.buttons, 5, "the notice to say approved")

    # both volunteers of the grid hear of it, without the resident's contact details
    to_zhang, to_liu = await zhang.next_message("micro-wish"), await liu.next_message("微心愿")
    for announcement in (to_zhang, to_liu):
        assert PHONE not in announcement.text and announcement.button("wish:adopt:1")

    # two presses at nearly the same time: exactly one wins
    first, second = zhang.press(to_zhang, "wish:adopt:1"), liu.press(to_liu, "wish:adopt:1")
    answers = [(await zhang.answer_to(first))["text"], (await liu.answer_to(second))["text"]]
    won = ["is yours" in answers[0], "归您了" in answers[1]]
    lost = ["adopted already" in answers[0], "已经有人认领" in answers[1]]
    assert sorted(won) == [False, True] and won == [not x for x in lost], answers
    winner, loser = (zhang, liu) if won[0] else (liu, zhang)
    assert await frontdesk.value("SELECT adopter_telegram_id FROM wishes WHERE id = 1") == winner.id
    assert await frontdesk.value("SELECT count(*) FROM wish_events WHERE kind = 'adopt'") == 1

    # the adopter, and only the adopter, sees the resident's contact details, privately
    details = await winner.next_message(PHONE)
    assert details.chat_id == winner.id
    await frontdesk.drain()
    assert not any(PHONE in m.text for m in loser.messages())
    told = await resident.next_message("adopted your wish #1")
    assert winner.first_name in told.text

    winner.press(details, "wish:done:1")
    ask = await resident.next_message("is done")
    assert ask.button("wish:yes:1") and ask.button("wish:notyet:1")
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "fulfilled"

    resident.press(ask, "wish:yes:1")
    await resident.next_message("We told")
    await winner.next_message("👍")
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "confirmed"

    # a few words of thanks follow, passed to the adopter as the resident's words (quoted)
    resident.send("/wish 1 thanks Thank you so much, it brakes like new!")
    thanks = await winner.next_message("brakes like new")
    assert any("brakes like new" in q for q in thanks.quotes)
    await resident.next_message("passed it on")
    assert await frontdesk.value("SELECT thanks FROM wishes WHERE id = 1") == "Thank you so much, it brakes like new!"

    # and the lists follow the state: nothing left for the volunteers, nothing waiting for the admin
    zhang.send("/wishes")
    assert not (await zhang.next_message("No wishes waiting")).buttons
    liu.send("/wishes")
    assert not (await liu.next_message("现在没有等人认领")).buttons
    admin.send("/wishes")
    await admin.next_message("没有待处理的微心愿")


async def test_decline_with_a_reason_the_resident_is_told_kindly(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    resident.send(WISH)
    await resident.next_message("wish #1")
    notice = await admin.next_message("微心愿 #1")
    admin.send("/wish 1 拒绝 社区这个月的维修名额已经满了")
    await admin.next_message("没有同意")
    declined = await resident.next_message("cannot take it on")
    assert any("名额已经满了" in q for q in declined.quotes)
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "declined"
    # the old Approve button says what the wish is now, and changes nothing
    answer = await admin.answer_to(admin.press(notice, "wish:ok:1"))
    assert "未通过" in answer["text"]
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "declined"
    await frontdesk.drain()
    assert not any("micro-wish" in m.text for m in zhang.messages())   # never announced


async def test_the_resident_withdraws_and_the_adopter_is_told(frontdesk, emulator, admin):
    zhang, liu, resident, to_zhang, _ = await _approved(frontdesk, emulator, admin)
    zhang.press(to_zhang, "wish:adopt:1")
    details = await zhang.next_message(PHONE)
    await resident.next_message("adopted your wish #1")
    resident.send("/wishes")
    mine = await resident.next_message("Your wishes")
    assert "adopted" in mine.text
    answer = await resident.answer_to(resident.press(mine, mine.button("wishl:withdraw:1:0")))
    assert "withdrawn" in answer["text"]
    await emulator.wait_for(lambda: "no wishes" in mine.text and not mine.buttons, 5, "the list shown again")
    await zhang.next_message("withdrawn")
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "withdrawn"
    # the adopter's Fulfilled is out of date now: a kind answer, nothing changes
    answer = await zhang.answer_to(zhang.press(details, "wish:done:1"))
    assert "withdrawn" in answer["text"] and "out of date" in answer["text"]
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "withdrawn"


async def test_roles_a_volunteer_cannot_approve_a_resident_cannot_adopt(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    neighbour = emulator.user(5002, "Wu", "en")
    await register(neighbour, name="Wu Fang", phone="13800002222")
    resident.send(WISH)
    received = await resident.next_message("wish #1")

    # a volunteer (a forged button, and the command) cannot approve
    answer = await zhang.answer_to(zhang.press(received, "wish:ok:1"))
    assert "committee staff" in answer["text"]
    zhang.send("/wish 1 approve")
    await zhang.next_message("committee staff")
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "pending"

    admin.send("/wish 1 同意")
    await resident.next_message("approved your wish #1")
    # the resident cannot adopt their own wish, another resident cannot adopt at all
    answer = await resident.answer_to(resident.press(received, "wish:adopt:1"))
    assert "your own wish" in answer["text"]
    neighbour.send("/wish 1 adopt")
    await neighbour.next_message("Only volunteers")
    # nor may anyone but the admins record a local unit
    zhang.send("/wish 1 adopt Fresh Market Ltd")
    await zhang.next_message("committee staff")
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "approved"
    # and nobody but the adopter marks it fulfilled, nobody but the resident confirms
    admin.send("/wish 1 认领 新鲜超市")
    await admin.next_message(PHONE)          # the admin holds the details for the unit
    await resident.next_message("新鲜超市")
    answer = await zhang.answer_to(zhang.press(received, "wish:done:1"))
    assert "Only the one who adopted" in answer["text"]
    admin.send("/wish 1 完成")
    ask = await resident.next_message("is done")
    answer = await zhang.answer_to(zhang.press(ask, "wish:yes:1"))
    assert "Only the resident" in answer["text"]
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "fulfilled"
    assert await frontdesk.value("SELECT adopter_unit FROM wishes WHERE id = 1") == "新鲜超市"


async def test_bad_input_gets_a_clear_answer_and_makes_nothing(frontdesk, emulator, admin):
    stranger = emulator.user(5009, "Zhou", "en")
    stranger.send("/wish a winter coat")
    await stranger.next_message("register first")
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("/wish")
    await resident.next_message("/wish and your wish")
    resident.send("/wish " + "a warm coat please " * 40)
    await resident.next_message("under 500")
    assert await frontdesk.value("SELECT count(*) FROM wishes") == 0
    for number, text in enumerate(("a winter coat", "a ride to the clinic on Friday", "someone to read me the paper"), 1):
        resident.send(f"/wish {text}")
        await resident.next_message(f"wish #{number}")
    resident.send("/wish new glasses")
    await resident.next_message("already have 3 wishes")
    assert await frontdesk.value("SELECT count(*) FROM wishes") == 3

    # forged and stale buttons: a kind answer each, nothing changes
    notice = await admin.next_message("微心愿 #1")
    assert "没有 #999" in (await admin.answer_to(admin.press(notice, "wish:ok:999")))["text"]
    assert (await admin.answer_to(admin.press(notice, "wish:hack:1")))["text"]
    assert (await admin.answer_to(admin.press(notice, "wish:ok:1:2")))["text"]
    assert await frontdesk.value("SELECT count(*) FROM wishes WHERE status <> 'pending'") == 0


async def test_a_restart_in_the_middle_loses_nothing(frontdesk, emulator, admin):
    zhang, liu, resident, to_zhang, _ = await _approved(frontdesk, emulator, admin)
    await frontdesk.restart()
    zhang.press(to_zhang, "wish:adopt:1")          # a button sent before the restart still works
    details = await zhang.next_message(PHONE)
    await frontdesk.restart()
    zhang.press(details, "wish:done:1")
    ask = await resident.next_message("is done")
    await frontdesk.restart()
    resident.press(ask, "wish:yes:1")
    await zhang.next_message("👍")
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "confirmed"
    kinds = [r["kind"] for r in await frontdesk.rows("SELECT kind FROM wish_events WHERE wish_id = 1 ORDER BY id")]
    assert kinds == ["created", "approve", "adopt", "fulfil", "confirm"]


async def test_an_emergency_typed_as_a_wish_is_not_lost(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    resident.send("/wish my father fell and cannot get up")
    ack = await resident.next_message("#1")
    assert "120" in ack.text
    await resident.next_message("request #1")
    await zhang.next_message("#1")                  # the volunteers are alerted at once
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    assert await frontdesk.value("SELECT count(*) FROM wishes") == 0


async def test_the_admin_list_has_buttons_and_counts_for_stats(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    for text in ("a winter coat", "a ride to the clinic on Friday"):
        resident.send(f"/wish {text}")
    await resident.next_message("wish #2")
    admin.send("/wishes")
    listing = await admin.next_message("待审核")
    assert "winter coat" in listing.text and "clinic" in listing.text
    assert {"wishl:ok:1:0", "wishl:no:1:0", "wishl:ok:2:0", "wishl:no:2:0"} <= {d for _, d in listing.buttons}
    admin.press(listing, "wishl:ok:2:0")
    await resident.next_message("approved your wish #2")
    # the list is shown again as it is now: #2 approved, no buttons for it any more
    await emulator.wait_for(lambda: "wishl:ok:2:0" not in {d for _, d in listing.buttons}, 5, "the list again")
    assert "wishl:ok:1:0" in {d for _, d in listing.buttons} and "等人认领" in listing.text
    zhang.send("/wishes")
    mine = await zhang.next_message("Micro-wishes waiting for someone")
    assert mine.button("wishl:adopt:2:0") and "winter coat" not in mine.text   # pending ones are not shown
    zhang.press(mine, "wishl:adopt:2:0")
    await zhang.next_message(PHONE)
    await emulator.wait_for(lambda: "wishl:done:2:0" in {d for _, d in mine.buttons}, 5,
                            "the list with Fulfilled for the adopter")

    from storage import wishes as repo
    now = frontdesk.clock.now()
    async with frontdesk.db.transaction() as tx:
        assert await repo.counts(tx, now - 3600, now + 1) == {"new": 2, "approved": 1, "adopted": 1, "fulfilled": 0}
        assert await repo.counts(tx, now - 3600, now + 1, grids=["G9"]) == {"new": 0, "approved": 0, "adopted": 0,
                                                                             "fulfilled": 0}
        assert await repo.counts(tx, now + 1, now + 2) == {"new": 0, "approved": 0, "adopted": 0, "fulfilled": 0}


async def test_the_admin_group_decides_and_lists_go_private(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    admin.send("/set_admin_group", chat_id=GROUP)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's reply")
    resident.send("/wish a winter coat, size L")
    await resident.next_message("wish #1")
    notice = await emulator.wait_for(
        lambda: next((m for m in emulator.chat(GROUP) if "微心愿 #1" in m.text), None), 5, "the group's notice")
    assert PHONE not in notice.text                   # the group sees the wish, not the phone
    # a volunteer in the staff group cannot approve; the admin can
    assert "committee staff" in (await zhang.answer_to(zhang.press(notice, "wish:ok:1")))["text"]
    admin.press(notice, "wish:ok:1")
    await resident.next_message("approved your wish #1")
    await emulator.wait_for(lambda: "已同意" in notice.text and not notice.buttons, 5, "the notice to say approved")
    # a list asked for in the group comes privately (it names residents and their needs)
    admin.send("/wishes", chat_id=GROUP)
    listing = await admin.next_message("winter coat")
    assert listing.chat_id == admin.id
    # and a wish is made in a private chat only
    resident.send("/wish new glasses", chat_id=GROUP)
    await emulator.wait_for(lambda: any("private chat" in m.text for m in emulator.chat(GROUP)), 5, "private only")
    assert await frontdesk.value("SELECT count(*) FROM wishes") == 1


async def test_simultaneous_adopts_at_the_service_and_the_compare_and_set(frontdesk, emulator, admin):
    """Two Adopt presses racing in one process: one through; and the database's compare-and-set
    alone lets only the first of two moves from the same state through (another process's press)."""
    await _approved(frontdesk, emulator, admin)
    services = frontdesk.services
    people = [await services.inbox.who(7001, "Zhang"), await services.inbox.who(7002, "Liu")]
    answers = await asyncio.gather(*(services.wishes.adopt(p, 1, p.telegram_id) for p in people))
    assert sorted(a.template for a in answers) == ["toast_wish_adopted", "toast_wish_taken"]

    from bot.core import wishes as rules
    from storage import wishes as repo
    now = frontdesk.clock.now()
    async with frontdesk.db.transaction() as tx:
        give_back = rules.MOVES["give_back"]
        assert await repo.change(tx, 1, give_back.sources, {"status": give_back.target}, now)
        adopt = rules.MOVES["adopt"]
        assert await repo.change(tx, 1, adopt.sources, {"status": adopt.target, "adopter_telegram_id": 7002}, now)
        assert not await repo.change(tx, 1, adopt.sources, {"status": adopt.target, "adopter_telegram_id": 7001}, now)
        assert (await repo.get(tx, 1))["adopter_telegram_id"] == 7002


async def test_given_back_adopted_again_and_not_yet(frontdesk, emulator, admin):
    zhang, liu, resident, to_zhang, to_liu = await _approved(frontdesk, emulator, admin)
    zhang.press(to_zhang, "wish:adopt:1")
    details = await zhang.next_message(PHONE)
    await resident.next_message("adopted your wish #1")
    zhang.press(details, "wish:back:1")
    await resident.next_message("cannot do it after all")
    await emulator.wait_for(lambda: "given back" in details.text and not details.buttons, 5, "the details closed")
    assert await frontdesk.value("SELECT adopter_telegram_id FROM wishes WHERE id = 1") is None
    # open again: Liu's old announcement adopts it now
    liu.press(to_liu, "wish:adopt:1")
    liu_details = await liu.next_message(PHONE)
    await resident.next_message("Liu has adopted")
    # Zhang's old details message no longer moves it
    assert "Only the one who adopted" in (await zhang.answer_to(zhang.press(details, "wish:done:1")))["text"]
    liu.press(liu_details, "wish:done:1")
    ask = await resident.next_message("is done")
    resident.press(ask, "wish:notyet:1")
    again = await liu.next_message("还没办好")
    assert again.button("wish:done:1")
    assert await frontdesk.value("SELECT status FROM wishes WHERE id = 1") == "adopted"
    # the old 👍 is out of date now
    answer = await resident.answer_to(resident.press(ask, "wish:yes:1"))
    assert "out of date" in answer["text"]
    resident.send("/wish 1")
    await resident.next_message("/wish and your wish")
    resident.send("/wish 1 withdraw")
    await resident.next_message("withdrawn")
    await liu.next_message("撤回")


async def test_a_long_list_turns_pages_with_the_right_buttons(frontdesk, emulator, admin):
    frontdesk.overrides["wishes_per_resident"] = 20
    await frontdesk.restart()
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    for number in range(1, 11):
        resident.send(f"/wish small wish number {number}")
        await resident.next_message(f"wish #{number}")
    admin.send("/wishes")
    first = await admin.next_message("待审核")
    shown = {d for _, d in first.buttons}
    assert "wishl:ok:1:0" in shown and not any(d.startswith("wishl:ok:10:") for d in shown)
    assert any(d.startswith("page:wishes:1") for d in shown)
    admin.press(first, first.button("page:wishes:1"))
    await emulator.wait_for(lambda: any(d == "wishl:ok:10:1" for _, d in first.buttons), 5, "page 2's buttons")
    assert "wishl:ok:1:0" not in {d for _, d in first.buttons} and "number 10" in first.text
    answer = await admin.answer_to(admin.press(first, "wishl:ok:10:1"))
    assert "还没有志愿队负责网格 G1" in answer["text"]          # nobody to tell: the admin knows
    await resident.next_message("approved your wish #10")
    await emulator.wait_for(lambda: "wishl:ok:10:1" not in {d for _, d in first.buttons}, 5, "page 2 again")
    assert "wishl:ok:9:1" in {d for _, d in first.buttons}


async def test_a_list_button_forged_in_a_group_shows_no_list_there(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    admin.send("/set_admin_group", chat_id=GROUP)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's reply")
    resident.send("/wish a winter coat, size L")
    notice = await emulator.wait_for(
        lambda: next((m for m in emulator.chat(GROUP) if "微心愿 #1" in m.text), None), 5, "the group's notice")
    answer = await admin.answer_to(admin.press(notice, "wishl:ok:1:0"))
    assert "#1" in answer["text"]
    await resident.next_message("approved your wish #1")
    await frontdesk.drain()
    assert not any("待审核和进行中" in m.text for m in emulator.chat(GROUP))   # the list never lands in the group


async def test_stats_counts_the_wishes_of_the_period(frontdesk, emulator, admin):
    """/stats has the micro-wishes' line: made and approved this week."""
    await _approved(frontdesk, emulator, admin)
    admin.send("/stats")
    summary = await admin.next_message("统计")
    assert "微心愿：新增 1 个，通过 1 个，认领 0 个，完成 0 个" in summary.text
