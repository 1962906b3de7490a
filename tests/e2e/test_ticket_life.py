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
    assert [d for _, d in which.buttons] == ["cancelask:2", "cancelask:1"] or \
        sorted(d for _, d in which.buttons) == ["cancelask:1", "cancelask:2"]
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
