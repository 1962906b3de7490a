"""Review of issue #15 after the merges: where the pieces meet (private answers and the admin
group, edits and the flood throttle, claims from a group)."""

from __future__ import annotations

from bot.devtools.emulator import Emulator
from storage import identity as identity_repo, residents as residents_repo
from tests.conftest import ADMIN, GROUP, make_team, register, staffed_grid
from tests.e2e.test_floods_are_fair import settled


async def _admin_group(emulator: Emulator, admin) -> None:
    admin.send("/set_admin_group", chat_id=GROUP)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's confirmation")


async def test_links_asked_in_the_admin_group_is_answered_privately(frontdesk, emulator, admin):
    """The README: /links "goes only to the asker's private chat, even when asked in a team or admin
    group", and the group is told so. An admin typing /links in the admin group got no answer at all."""
    await _admin_group(emulator, admin)
    async with frontdesk.db.transaction() as tx:      # a stranger typed Zhao Min's number when registering
        record = await residents_repo.create(tx, {"name": "Zhao Min", "phone": "+8613800002222", "building": "7",
                                                  "room": "101", "grid": "G1", "source": "import"},
                                             frontdesk.clock.now())
        await identity_repo.ask(tx, 5100, "Tom", record, "+8613800002222", "typed", None, frontdesk.clock.now())
    admin.send("/links", chat_id=GROUP)
    private = await admin.next_message("13800002222")               # the list, in the admin's own chat
    assert "Zhao Min" in private.text
    await emulator.wait_for(lambda: any("私信" in m.text for m in emulator.chat(GROUP)), 5,
                            "'sent to you privately' in the group")
    group = "\n".join(m.text for m in emulator.chat(GROUP))
    assert "13800002222" not in group and "Zhao Min" not in group


async def test_a_flood_of_edits_does_not_flood_the_volunteer(frontdesk, emulator, admin):
    """Edits went around the flood throttle: a resident who edits one message 30 times sent the
    volunteer holding the ticket 30 "the resident corrects their message" notices (and got 30
    answers). A burst of edits is a burst like any other: every edit is kept on the ticket, the
    person is told once to wait, and the volunteer is not buzzed for each."""
    zhang, resident = await staffed_grid(emulator, admin)
    message = resident.send("the stairs light is out")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    await settled(frontdesk, emulator)
    before_zhang, before_resident = len(zhang.messages()), len(resident.messages())
    for i in range(30):
        resident.edit(message, f"the stairs light is out on floor {i}")
    await settled(frontdesk, emulator)
    notices = [m.text for m in zhang.messages()[before_zhang:] if "corrects" in m.text]
    answers = [m.text for m in resident.messages()[before_resident:]]
    assert len(notices) <= 5, f"the volunteer got {len(notices)} notices for one flood of edits"
    assert sum("no need to send them again" in t for t in answers) == 1      # told once to wait
    assert len(answers) <= 6
    edits = await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'edited'")
    assert edits == 30                                                       # every edit is kept


async def test_an_edit_that_names_an_emergency_still_goes_through_a_flood(frontdesk, emulator, admin):
    """...and an emergency written into a message during a flood of edits is never held back."""
    zhang, resident = await staffed_grid(emulator, admin)
    message = resident.send("the stairs light is out")
    await zhang.next_message("#1")
    await settled(frontdesk, emulator)
    for i in range(10):
        resident.edit(message, f"the stairs light is out on floor {i}")
    resident.edit(message, "the stairs light is out, my father fell down the stairs and is not moving")
    assert "#1" in (await zhang.next_message("EMERGENCY")).text
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"


async def test_an_admin_who_claims_in_the_group_without_a_private_chat_is_not_left_holding_it(frontdesk, emulator,
                                                                                               admin):
    """An emergency's alert reaches the admin group; an admin who never opened a private chat with
    the bot presses Claim there. The toast said "#1 is yours, the details are sent to you", every
    other alert said "taken by Wang" and the resident "Wang is on the way", but the address and phone
    never reached him (Telegram refuses a first message to a user): nobody was going, and nobody knew.
    Now the group is asked to open a private chat, and the request goes back to the volunteers."""
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    await _admin_group(emulator, admin)
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    emulator.never_started.add(ADMIN)
    resident.send("My father fell down the stairs and is not moving")
    await zhang.next_message("#1")
    frontdesk.clock.advance(120)                      # the admins: an emergency's step 2, two minutes on
    await frontdesk.services.tick()                   # (the escalation table in DESIGN.md)
    alert = await emulator.wait_for(
        lambda: next((m for m in emulator.chat(GROUP) if "#1" in m.text and m.buttons), None), 5, "the group's alert")
    admin.press(alert, "claim:1")
    await emulator.wait_for(lambda: any("t.me/frontdesk_bot" in m.text for m in emulator.chat(GROUP)), 5,
                            "'open a private chat with me first' in the group")
    await settled(frontdesk, emulator)
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 1") == "open"
    assert "13800001111" not in "\n".join(m.text for m in emulator.chat(GROUP))
