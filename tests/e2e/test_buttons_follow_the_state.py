"""Issue #15, finding 8: stale state must not come back.

A button press is checked against the ticket as it is now (and answered with what it is now, in
the presser's language); an alert that lands after its ticket was claimed is edited like the
others instead of showing a live Claim button; an old "Not yet" never reopens a closed ticket.
"""

from __future__ import annotations

import asyncio

from tests.conftest import make_team, register


async def _cast(emulator, admin):
    zhang, liu = emulator.user(7001, "Zhang", "en"), emulator.user(7002, "Liu", "zh")
    await make_team(admin, [zhang, liu])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    return zhang, liu, resident


async def test_an_alert_delivered_after_the_claim_does_not_keep_a_claim_button(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    arrives = emulator.hold("sendMessage", chat_id=7002)   # Liu's alert is slow on the wire
    welcomed = sum(1 for _, name, chat in emulator.calls if name == "sendMessage" and chat == 7002)
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    alert = await zhang.next_message("#1")
    for _ in range(250):   # Liu's alert is on the wire (not the welcome before it)
        if sum(1 for _, name, chat in emulator.calls if name == "sendMessage" and chat == 7002) > welcomed:
            break
        await asyncio.sleep(0.02)
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    await asyncio.sleep(0.2)   # the claim's own work is done while Liu's alert is still in flight
    arrives.set()
    late = await liu.next_message("#1")
    await emulator.wait_for(lambda: "Zhang 认领" in late.text, 5, "Liu's late alert to say Zhang took it")
    assert late.buttons == []
    await frontdesk.drain()
    assert late.buttons == [] and "Zhang 认领" in late.text   # and nothing puts the button back


async def test_a_stale_button_says_what_the_ticket_is_now(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    await resident.next_message("#1")
    alert_zhang, alert_liu = await zhang.next_message("#1"), await liu.next_message("#1")
    zhang.press(alert_zhang, "claim:1")
    details = await zhang.next_message("is yours now")

    # "Can't go" on a ticket someone took: nothing is recorded, Liu hears it in Chinese
    answer = await liu.answer_to(liu.press(alert_liu, "decline:1"))
    assert "#1" in answer["text"] and "已经有人接" in answer["text"]
    assert await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'declined'") == 0

    zhang.press(details, details.button("resolve:"))
    fixed = await resident.next_message("Is it fixed?")
    resident.press(fixed, "fixed:1")
    await resident.next_message("rate")
    # a second tap on the same question: the ticket is closed, and the resident is told so in English
    answer = await resident.answer_to(resident.press(fixed, "fixed:1"))
    assert answer["text"] == "#1 is already closed."
    answer = await zhang.answer_to(zhang.press(details, "release:1"))
    assert answer["text"] == "#1 is already closed."

    # a cancelled ticket: a Claim pressed afterwards says it was cancelled, not "taken"
    resident.send("There is a crack in the stairwell wall on the 3rd floor")
    await resident.next_message("#2")
    alert2 = await liu.next_message("#2")
    resident.send("never mind, cancel it")
    question = await resident.next_message("Cancel request #2?")
    resident.press(question, question.button("cancel:"))
    await emulator.wait_for(lambda: "is cancelled" in question.text, 5, "the cancel to be confirmed")
    answer = await liu.answer_to(liu.press(alert2, "claim:2"))
    assert "#2" in answer["text"] and "取消" in answer["text"]
    assert await frontdesk.value("SELECT status FROM tickets WHERE id = 2") == "cancelled"


async def test_an_old_not_yet_does_not_reopen_a_closed_rated_ticket(frontdesk, emulator, admin):
    zhang, liu, resident = await _cast(emulator, admin)
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1")
    # an admin settles it without anyone claiming it (admins may act on any ticket)
    services = frontdesk.services
    await services.volunteering.resolve(await services.inbox.who(admin.id, "Wang"), 1, None)
    question = await resident.next_message("Is it fixed?")
    resident.press(question, "fixed:1")
    stars = await resident.next_message("rate")
    resident.press(stars, "rate:1:5")
    await resident.next_message("Skip")
    # days later the resident taps the old question's other button
    answer = await resident.answer_to(resident.press(question, "notyet:1"))
    assert answer["text"] == "#1 is already closed."
    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 1"))[0]
    assert ticket["status"] == "closed" and ticket["rating"] == 5
    kinds = [e["kind"] for e in await frontdesk.rows("SELECT kind FROM ticket_events WHERE ticket_id = 1")]
    assert "reopened" not in kinds
