"""Issue #15, finding 4: "An edited message is ignored: 'the stairs light is out' edited to 'the
stairs light is out, my father fell down the stairs and is not moving' stays a routine ticket."
An edit of a message that belongs to an open ticket is triaged again: a higher urgency raises the
ticket and alerts again as that urgency; a lower one never lowers it; the edit is in the history."""

from __future__ import annotations

from tests.conftest import staffed_grid

FALL = "the stairs light is out, my father fell down the stairs and is not moving"


async def _events(frontdesk, kind: str) -> list[dict]:
    return await frontdesk.rows("SELECT ticket_id, detail FROM ticket_events WHERE kind = ? ORDER BY id", (kind,))


async def test_an_edit_that_names_an_emergency_raises_the_ticket_and_alerts_as_one(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    message = resident.send("the stairs light is out")
    await resident.next_message("#1")
    first = await zhang.next_message("#1")
    assert "New request" in first.text
    await resident.next_message("✅")                                          # the volunteers have it
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "routine"

    resident.edit(message, FALL)
    answer = await resident.next_message("#1")
    assert answer.text.startswith("🚨") and "120" in answer.text                # the number to call, first
    alert = await zhang.next_message("EMERGENCY")
    assert "#1" in alert.text and "my father fell down the stairs" in alert.text
    frontdesk.clock.advance(120)                      # the admins: an emergency's step 2, two minutes on
    await frontdesk.services.tick()                   # (the escalation table in DESIGN.md)
    assert "#1" in (await admin.next_message("紧急求助")).text                     # emergencies reach the admins
    ticket = (await frontdesk.rows("SELECT * FROM tickets WHERE id = 1"))[0]
    assert (ticket["urgency"], ticket["category"], ticket["alert_round"]) == ("emergency", "medical", 2)
    assert [e["detail"] for e in await _events(frontdesk, "edited")] == [FALL]
    raised = await _events(frontdesk, "raised")
    assert raised and raised[0]["detail"] == "routine/infrastructure -> emergency/medical"
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_a_claimed_ticket_raised_by_an_edit_tells_its_volunteer(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    message = resident.send("the stairs light is out")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    resident.edit(message, FALL)
    await resident.next_message("🚨")
    told = await zhang.next_message("my father fell")
    assert "#1" in told.text and "EMERGENCY" in told.text
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"


async def test_an_edit_that_reads_less_urgent_never_lowers_the_ticket(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    message = resident.send("My father fell down the stairs and is not moving")
    await resident.next_message("🚨")
    await resident.next_message("✅")                                          # the volunteers have it
    resident.edit(message, "the stairs light is out")
    answer = await resident.next_message("#1")
    assert "emergency" in answer.text.lower()                                  # it stays, and says so
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    assert [e["detail"] for e in await _events(frontdesk, "edited")] == ["the stairs light is out"]


async def test_an_edit_of_words_added_to_a_request_retriages_that_request(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The kitchen tap drips")
    await resident.next_message("#1")
    added = resident.send("I am home all afternoon")
    await resident.next_message("Added to request #1")
    resident.edit(added, "I am home all afternoon, and now water is pouring through the ceiling onto the sockets")
    await resident.next_message("🚨")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    assert (await _events(frontdesk, "edited"))[0]["ticket_id"] == 1
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_an_edit_of_a_message_that_made_no_ticket_is_read_when_it_names_a_problem(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    hello = resident.send("Hello")
    await resident.next_message("Just write what you need")
    resident.edit(hello, "Hello there")                                        # nothing to act on
    await resident.next_message("new message")
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0
    resident.edit(hello, "Hello, my father fell down the stairs and is not moving")
    ack = await resident.next_message("#1")
    assert ack.text.startswith("🚨")
    await zhang.next_message("EMERGENCY")
    assert await frontdesk.value("SELECT source_message_id FROM tickets WHERE id = 1") == hello["message_id"]
