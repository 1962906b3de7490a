"""Issue #12 (D), the rest of a ticket's life: a resident cancels (/cancel N, ✖️ under /status),
the committee answers (/reply N TEXT) and closes (/close N [REASON]), and the claimant and the
resident write to each other through the bot (💬 Message / 💬 Reply), over the emulator."""

from __future__ import annotations

from tests.conftest import make_team, register
from tests.e2e.test_leaders_see_their_grids import make_leader, two_grids

PIPE = "The pipe under my kitchen sink burst and water keeps spraying out"      # urgent, water
QUESTION = "What time does the community office open on Saturday?"             # info
FIRE = "Fire! There is smoke coming from my kitchen"                            # emergency
HOUR = 3600


async def team_and_resident(emulator, admin):
    zhang = emulator.user(7001, "Zhang Wei", "en")
    liu = emulator.user(7002, "Liu Yang", "en")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    return zhang, liu, resident


async def reported(emulator, admin, text: str = PIPE):
    """#1 from Li, alerted to Zhang and Liu (nobody has claimed it)."""
    zhang, liu, resident = await team_and_resident(emulator, admin)
    resident.send(text)
    alerts = (await zhang.next_message("#1"), await liu.next_message("#1"))
    return zhang, liu, resident, alerts


async def asked(emulator, admin):
    """#1 is Li's question (info): it is in /tickets for the committee, not alerted."""
    zhang, liu, resident = await team_and_resident(emulator, admin)
    resident.send(QUESTION)
    await resident.next_message("#1")
    return zhang, liu, resident


async def claimed(emulator, admin, text: str = PIPE):
    """Zhang holds #1; his details message is returned."""
    zhang, liu, resident, (alert, _) = await reported(emulator, admin, text)
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    await resident.next_message("has taken your request")
    return zhang, liu, resident, details


async def tick_at(frontdesk, seconds: float) -> None:
    frontdesk.clock.advance(seconds)
    await frontdesk.services.tick()
    await frontdesk.drain()


async def status(frontdesk, ticket_id: int = 1) -> str:
    return await frontdesk.value("SELECT status FROM tickets WHERE id = ?", (ticket_id,))


async def events(frontdesk, ticket_id: int = 1) -> list[dict]:
    return await frontdesk.rows("SELECT kind, actor, detail FROM ticket_events WHERE ticket_id = ? ORDER BY id",
                                (ticket_id,))


async def kinds(frontdesk, ticket_id: int = 1) -> list[str]:
    return [e["kind"] for e in await events(frontdesk, ticket_id)]


def said(user, words: str) -> list:
    return [m for m in user.messages() if words in m.text]


# -- /cancel ---------------------------------------------------------------------------------------

async def test_cancel_n_asks_first_then_withdraws_the_alerts(frontdesk, emulator, admin):
    zhang, liu, resident, (alert, other) = await reported(emulator, admin)
    resident.send("/cancel 1")
    question = await resident.next_message("Cancel request #1?")
    assert [d for _, d in question.buttons] == ["cancel:1:2", "keep:1"]
    assert await status(frontdesk) == "open"                 # asking changes nothing
    resident.press(question, "cancel:1:2")
    await emulator.wait_for(lambda: "is cancelled" in question.text, 5, "the question answered")
    assert await status(frontdesk) == "cancelled"
    assert (await kinds(frontdesk))[-1] == "cancelled"
    await emulator.wait_for(lambda: "cancelled by the resident" in alert.text
                            and "cancelled by the resident" in other.text, 5, "the alerts withdrawn")
    assert alert.buttons == [] and other.buttons == []
    query = zhang.press(alert, "claim:1")                    # an old alert cannot claim it any more
    assert "was cancelled" in (await zhang.answer_to(query))["text"]


async def test_cancel_under_status_tells_the_claimant(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    resident.send("/status")
    listing = await resident.next_message("Your open requests")
    assert listing.button("cancelask:") == "cancelask:1"
    assert "✖️ Cancel #1" in [label for label, _ in listing.buttons]
    resident.press(listing, "cancelask:1")
    question = await resident.next_message("Cancel request #1?")
    resident.press(question, "cancel:1:2")
    await emulator.wait_for(lambda: "is cancelled" in question.text, 5, "the question answered")
    told = await zhang.next_message("cancelled #1")
    assert "no need to go" in told.text
    assert await status(frontdesk) == "cancelled"
    # the claimant's reminder never comes for a cancelled ticket
    await tick_at(frontdesk, 3 * HOUR)
    assert not said(zhang, "Still on #1")


async def test_cancel_without_a_number(frontdesk, emulator, admin):
    zhang, liu, resident = await team_and_resident(emulator, admin)
    resident.send("/cancel")                                 # nothing open
    await resident.next_message("no open requests to cancel")
    resident.send(PIPE)
    await zhang.next_message("#1")
    resident.send("/cancel")                                 # exactly one: asks about that one
    await resident.next_message("Cancel request #1?")
    resident.send("The lift in building 5 has been broken for two days")
    await zhang.next_message("#2")
    resident.send("/cancel")                                 # several: which one?
    which = await resident.next_message("Which one")
    assert sorted(d for _, d in which.buttons) == ["cancelask:1", "cancelask:2"]
    resident.press(which, "cancelask:2")
    question = await resident.next_message("Cancel request #2?")
    resident.press(question, "keep:2")                       # "I still need help": nothing changes
    await frontdesk.drain()
    assert await status(frontdesk, 1) == "open" and await status(frontdesk, 2) == "open"


async def test_cancel_refusals_change_nothing(frontdesk, emulator, admin):
    zhang, liu, resident, _ = await reported(emulator, admin)
    neighbour = emulator.user(5002, "Chen", "en")
    await register(neighbour, name="Chen Jing", phone="13800002222")
    before = await kinds(frontdesk)

    neighbour.send("/cancel 1")                              # someone else's
    await neighbour.next_message("not one of yours")
    resident.send("/cancel 99")                              # no such request
    await resident.next_message("no request #99")
    resident.send("/cancel one")                             # not a number
    await resident.next_message("Usage: /cancel N")
    usage = resident.messages()[-1]
    query = neighbour.press(usage, "cancelask:1")            # a press forged by someone else
    assert "not for you" in (await neighbour.answer_to(query))["text"]
    query = resident.press(usage, "cancelask:999")           # a press for a request that never was
    assert (await resident.answer_to(query))["text"]
    assert await status(frontdesk) == "open" and await kinds(frontdesk) == before

    admin.send("/close 1 a test")                            # finished: /cancel says so
    await admin.next_message("#1")
    await frontdesk.drain()
    resident.send("/cancel 1")
    await resident.next_message("already finished")
    assert await status(frontdesk) == "closed"


# -- /reply ----------------------------------------------------------------------------------------

async def test_reply_goes_to_the_resident_as_the_committees_words(frontdesk, emulator, admin):
    zhang, liu, resident = await asked(emulator, admin)
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "info"
    admin.send("/reply 1 Saturdays 9:00-12:00.\nBring <b>your ID</b> & card")
    sent = await admin.next_message("#1")
    assert sent.button("closeinfo:") == "closeinfo:1"             # an info question: offered to close
    answer = await resident.next_message("committee")
    assert "residents' committee" in answer.text and "#1" in answer.text
    assert "Saturdays 9:00-12:00.\nBring <b>your ID</b> & card" in answer.text   # shown as typed: escaped, not markup
    assert "Wang" not in answer.text and "9001" not in answer.text
    assert await status(frontdesk) == "open"                      # a reply alone closes nothing
    reply = [e for e in await events(frontdesk) if e["kind"] == "committee_reply"]
    assert reply == [{"kind": "committee_reply", "actor": "Wang", "detail": "Saturdays 9:00-12:00.\nBring <b>your ID</b> & card"}]

    admin.send("/ticket 1")
    history = await admin.next_message("记录")
    assert "居委会答复 · Wang" in history.text and "Saturdays" in history.text

    query = admin.press(sent, "closeinfo:1")                      # ✅ Close #1
    assert "#1" in (await admin.answer_to(query))["text"]
    await resident.next_message("We hope our answer helped")
    assert await status(frontdesk) == "closed"
    assert (await kinds(frontdesk))[-1] == "closed"
    again = admin.press(sent, "closeinfo:1")                      # twice: already closed, nothing more
    assert "已经结束" in (await admin.answer_to(again))["text"]
    await frontdesk.drain()
    assert len(said(resident, "We hope our answer helped")) == 1


async def test_a_reply_to_a_request_that_is_not_a_question_offers_no_close(frontdesk, emulator, admin):
    zhang, liu, resident, _ = await reported(emulator, admin)
    admin.send("/reply 1 A plumber is coming at 3 pm")
    sent = await admin.next_message("#1")
    assert sent.buttons == []
    await resident.next_message("A plumber is coming")


async def test_reply_refusals_change_nothing(frontdesk, emulator, admin):
    zhang, liu, resident = await asked(emulator, admin)
    before, heard = await kinds(frontdesk), len(resident.messages())
    admin.send("/reply 99 hello")
    await admin.next_message("#99")
    admin.send("/reply 1")
    await admin.next_message("/reply 1")                           # empty: where the text goes
    admin.send("/reply 1    ")
    await admin.next_message("/reply 1")
    admin.send("/reply")
    await admin.next_message("/reply 12")                          # the usage, with an example
    admin.send("/reply one hello")
    await admin.next_message("/reply 12")
    admin.send("/reply 1 " + "字" * 2001)
    too_long = await admin.next_message("2001")
    assert "2000" in too_long.text
    zhang.send("/reply 1 hello")                                   # a volunteer who leads no grid
    await zhang.next_message("Only committee staff")
    resident.send("/reply 1 hello")
    await resident.next_message("Only committee staff")
    await frontdesk.drain()
    assert await kinds(frontdesk) == before and len(resident.messages()) == heard + 1   # only their own refusal


async def test_a_grid_leader_replies_and_closes_on_their_grids_only(frontdesk, emulator, admin):
    zhang, liu, wang, li, chen = await two_grids(emulator, admin)
    await make_leader(frontdesk, zhang.id)
    zhang.send("/reply 1 An electrician comes tomorrow morning")
    await zhang.next_message("Sent to the resident of #1")
    await li.next_message("An electrician comes")
    zhang.send("/reply 2 hello")                                   # another grid's ticket
    await zhang.next_message("not in your grid")
    zhang.send("/close 2 not needed")
    await zhang.next_message("not in your grid")
    assert await status(frontdesk, 2) == "open"
    liu.send("/close 1")                                           # a member, not the leader
    await liu.next_message("Only committee staff")
    zhang.send("/close 1 fixed by the property company")
    await zhang.next_message("#1 is closed")
    assert await status(frontdesk, 1) == "closed"


# -- /close ----------------------------------------------------------------------------------------

async def test_close_tells_both_and_stops_the_reminders(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    admin.send("/close 1 The property company <fixed> it")
    done = await admin.next_message("#1")
    assert "The property company &lt;fixed&gt; it" not in done.text and "<fixed>" in done.text
    told = await resident.next_message("closed your request #1")
    assert "The property company <fixed> it" in told.text and "write here" in told.text
    volunteer = await zhang.next_message("closed #1")
    assert "no need to go" in volunteer.text and "<fixed>" in volunteer.text
    assert await status(frontdesk) == "closed"
    closed = (await events(frontdesk))[-1]
    assert closed == {"kind": "closed", "actor": "Wang", "detail": "The property company <fixed> it"}
    await tick_at(frontdesk, 5 * HOUR)                             # the ack reminder and the take-back never come
    assert not said(zhang, "Still on #1") and not said(liu, "alert 2")
    assert not said(zhang, "gone back") and await status(frontdesk) == "closed"
    query = zhang.press(details, "resolve:1")                      # the old details: it moved on
    assert "closed" in (await zhang.answer_to(query))["text"]


async def test_close_withdraws_the_alerts_and_the_escalation_never_fires(frontdesk, emulator, admin):
    zhang, liu, resident, (alert, other) = await reported(emulator, admin)
    due = await frontdesk.value("SELECT next_action_at FROM tickets WHERE id = 1")
    assert due is not None                                         # the chain has a next step waiting
    admin.send("/close 1 duplicate of a call to the office")
    await admin.next_message("#1")
    await emulator.wait_for(lambda: "closed by the committee" in alert.text
                            and "closed by the committee" in other.text, 5, "the alerts withdrawn")
    assert alert.buttons == []
    await resident.next_message("closed your request #1")
    alerts_before = len(zhang.messages()) + len(liu.messages()) + len(admin.messages())
    for _ in range(6):                                             # every step of the chain would be due by now
        await tick_at(frontdesk, HOUR)
    assert len(zhang.messages()) + len(liu.messages()) + len(admin.messages()) == alerts_before
    assert [k for k in await kinds(frontdesk) if k in ("alerted", "escalated", "escalation_gap")] == ["alerted"]
    assert await status(frontdesk) == "closed"


async def test_close_refusals_change_nothing(frontdesk, emulator, admin):
    zhang, liu, resident, _ = await reported(emulator, admin)
    before = await kinds(frontdesk)
    admin.send("/close 99")
    await admin.next_message("#99")
    admin.send("/close")
    await admin.next_message("/close 12")
    admin.send("/close x reason")
    await admin.next_message("/close 12")
    admin.send("/close 1 " + "x" * 301)
    await admin.next_message("301")
    resident.send("/close 1")
    await resident.next_message("Only committee staff")
    zhang.send("/close 1")
    await zhang.next_message("Only committee staff")
    await frontdesk.drain()
    assert await status(frontdesk) == "open" and await kinds(frontdesk) == before
    admin.send("/close 1")                                         # no reason: still kind
    await admin.next_message("#1")
    told = await resident.next_message("closed your request #1")
    assert "None" not in told.text
    admin.send("/close 1 again")                                   # already finished
    await admin.next_message("已经结束了")
    assert [k for k in await kinds(frontdesk) if k == "closed"] == ["closed"]


# -- 💬 Message / 💬 Reply -------------------------------------------------------------------------

def private(text: str) -> None:
    """Nothing in a relayed message names either side's number or account."""
    for secret in ("13800001111", "+86", "tg://", "7001", "5001", "@"):
        assert secret not in text, secret


async def test_the_claimant_and_the_resident_write_through_the_bot_across_a_restart(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    assert "💬 Message" in [label for label, _ in details.buttons]
    query = zhang.press(details, "talk:1")
    assert (await zhang.answer_to(query))["text"]
    await zhang.next_message("Write your message for the resident of #1")

    await frontdesk.restart()                                       # the relay is a row: nothing lost
    zhang.send("I'll be there at 3 <b>pm</b>, please turn off the main valve")
    await zhang.next_message("Sent to the resident of #1")
    told = await resident.next_message("From the volunteer handling #1")
    assert "I'll be there at 3 <b>pm</b>, please turn off the main valve" in told.text   # escaped, shown as typed
    assert "Zhang" in told.text and "Wei" not in told.text
    private(told.text)
    assert [d for _, d in told.buttons] == ["talkback:1"]

    zhang.send("One more thing")                                    # one message per press: back to the usual offer
    await zhang.next_message("Send")
    assert not said(resident, "One more thing")

    resident.press(told, "talkback:1")
    await resident.next_message("Write your answer for the volunteer of #1")
    resident.send("Thank you, the valve is off now")
    await resident.next_message("Sent to the volunteer of #1")
    back = await zhang.next_message("From the resident of #1")
    assert "Thank you, the valve is off now" in back.text and [d for _, d in back.buttons] == ["talk:1"]
    private(back.text)

    relayed = [e for e in await events(frontdesk) if e["kind"].startswith("relay_to")]
    assert relayed == [{"kind": "relay_to_resident", "actor": "Zhang Wei", "detail": None},
                       {"kind": "relay_to_volunteer", "actor": "Li Xiuying", "detail": None}]   # who and when, not the words
    assert await status(frontdesk) == "claimed"
    assert await frontdesk.value("SELECT count(*) FROM relays") == 0


async def test_a_residents_emergency_after_reply_becomes_an_emergency_not_a_relay(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    zhang.press(details, "talk:1")
    await zhang.next_message("Write your message")
    zhang.send("Is the water still spraying?")
    told = await resident.next_message("From the volunteer handling #1")
    resident.press(told, "talkback:1")
    await resident.next_message("Write your answer")
    resident.send(FIRE)
    await resident.next_message("119")                              # told to call the fire brigade now
    urgencies = [r["urgency"] for r in await frontdesk.rows("SELECT urgency FROM tickets ORDER BY id")]
    assert "emergency" in urgencies
    await frontdesk.drain()
    assert not said(zhang, "From the resident of #1")
    assert not [k for k in await kinds(frontdesk) if k == "relay_to_volunteer"]


async def test_a_relay_expires_and_ends_with_the_ticket(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    zhang.press(details, "talk:1")
    await zhang.next_message("30 minutes")
    frontdesk.clock.advance(31 * 60)
    zhang.send("Coming now")                                        # too late: read like any text (the offer)
    await zhang.next_message("Send")
    await frontdesk.drain()
    assert not said(resident, "From the volunteer")

    zhang.press(details, "talk:1")
    await zhang.next_message("Write your message")
    admin.send("/close 1 sorted out by phone")
    await resident.next_message("closed your request #1")
    zhang.send("Coming now")                                        # the ticket is finished: not sent, and told so
    await zhang.next_message("was not sent")
    await frontdesk.drain()
    assert not said(resident, "From the volunteer")


async def test_a_residents_words_after_the_ticket_ended_are_read_not_dropped(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    zhang.press(details, "talk:1")
    await zhang.next_message("Write your message")
    zhang.send("On my way")
    told = await resident.next_message("From the volunteer handling #1")
    resident.press(told, "talkback:1")
    await resident.next_message("Write your answer")
    admin.send("/close 1")
    await resident.next_message("closed your request #1")
    resident.send("The lift in building 5 has been broken for two days")   # a new problem: a new request
    await zhang.next_message("#2")
    assert not said(zhang, "From the resident")


async def test_only_the_claimant_may_message_and_only_the_reporter_may_reply(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    query = liu.press(details, "talk:1")                            # another volunteer
    assert "not for you" in (await liu.answer_to(query))["text"]
    query = resident.press(details, "talk:1")                       # the resident on the claimant's button
    assert "not for you" in (await resident.answer_to(query))["text"]
    query = zhang.press(details, "talkback:1")                      # the claimant on the resident's button
    assert "not for you" in (await zhang.answer_to(query))["text"]
    query = zhang.press(details, "talk:99")                         # forged: no such ticket
    assert "does not exist" in (await zhang.answer_to(query))["text"]
    assert await frontdesk.value("SELECT count(*) FROM relays") == 0
    await zhang.answer_to(zhang.press(details, "release:1"))
    assert await status(frontdesk) == "open"
    query = zhang.press(details, "talk:1")                          # released: no longer theirs
    assert "not for you" in (await zhang.answer_to(query))["text"]
    assert await frontdesk.value("SELECT count(*) FROM relays") == 0


async def test_in_chinese_and_in_help(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "张伟", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "李", "zh")
    await register(resident, lang="zh")
    resident.send("厨房水管爆了，水一直在喷")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("在路上")
    assert "💬 留言" in [label for label, _ in details.buttons]
    zhang.press(details, "talk:1")
    await zhang.next_message("30 分钟内有效")
    zhang.send("我十分钟后到，请先关总阀")
    told = await resident.next_message("负责 #1 的志愿者")
    assert "我十分钟后到，请先关总阀" in told.text and "💬 回复" in [label for label, _ in told.buttons]
    resident.send("/status")
    listing = await resident.next_message("还没完成的求助")
    assert "✖️ 取消 #1" in [label for label, _ in listing.buttons]
    admin.send("/close 1 物业已经修好了")
    await admin.next_message("已结束")
    told = await resident.next_message("居委会已经结束了您的求助 #1")
    assert "物业已经修好了" in told.text
    await zhang.next_message("居委会结束了 #1，不用去了")
    admin.send("/ticket 1")
    history = await admin.next_message("记录")
    assert "志愿者给居民留言（经机器人） · 张伟" in history.text and "居委会结束 · Wang" in history.text
    assert "我十分钟后到" not in history.text                          # the words stay between the two

    resident.send("/help")
    assert "/cancel" in (await resident.next_message("/status")).text
    admin.send("/help")
    help_ = await admin.next_message("/status")
    assert "/reply" in help_.text and "/close" in help_.text
    assert ("cancel", "取消求助") in frontdesk.services.renderer.commands("zh")


async def test_a_relayed_message_over_the_limit_is_not_cut_and_the_window_stays(frontdesk, emulator, admin):
    zhang, liu, resident, details = await claimed(emulator, admin)
    zhang.press(details, "talk:1")
    await zhang.next_message("Write your message")
    zhang.send("x" * 2001)
    too_long = await zhang.next_message("too long")
    assert "2001" in too_long.text and "2000" in too_long.text
    await frontdesk.drain()
    assert not said(resident, "From the volunteer")
    zhang.send("Coming at five")                                    # a shorter try still goes to #1
    await resident.next_message("Coming at five")
    assert [k for k in await kinds(frontdesk) if k.startswith("relay_to")] == ["relay_to_resident"]
