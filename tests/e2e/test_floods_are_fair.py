"""Issue #15, finding 3 (the throttle): "One person can send hundreds of messages a minute and each
becomes a ticket and a round of alerts." A burst from one person becomes one ticket with its
messages attached, and they are told once to wait; a cap on new tickets per person per hour, past
which messages join their open ticket and the admins hear of the flood once; an emergency in a
flood still goes through as an emergency. Counters live in the database, on the fake clock."""

from __future__ import annotations

import itertools

from tests.conftest import register, staffed_grid

# seven problems of seven kinds, each a request of its own if it came alone (the urgent ones first,
# so that none joins a less urgent request and raises it: a raise is always answered)
PROBLEMS = ["No water in the kitchen", "The heating is off", "My electricity is off", "The lift is broken",
            "The corridor light is out", "Rats in the bin area", "My neighbour plays loud music"]
WAIT = "no need to send them again"

BYSTANDERS = itertools.count(5900)


async def settled(frontdesk, emulator) -> None:
    """Every update sent so far has been handled (the bot handles updates in order: a bystander's
    sticker answered means all before it were), and everything queued has been sent."""
    bystander = emulator.user(next(BYSTANDERS), "Bystander", "en")  # a new one each time: its answer is new
    bystander.send_media("sticker")
    await bystander.next_message("in words")
    await frontdesk.drain()


def texts(user) -> list[str]:
    return [m.text for m in user.messages()]


async def test_a_burst_from_one_person_becomes_one_ticket_and_one_wait(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    before_resident, before_zhang = len(resident.messages()), len(zhang.messages())
    flood = list(itertools.islice(itertools.cycle(PROBLEMS), 40))  # "hundreds a minute": 40 at once
    for text in flood:
        resident.send(text)
    await settled(frontdesk, emulator)

    tickets = await frontdesk.rows("SELECT id, text FROM tickets ORDER BY id")
    # the first messages, before it was a burst, are a person's: each distinct problem is a request;
    # from the burst on, nothing opens a ticket: every message joins an open one (its own kind's, or the newest)
    assert [t["text"] for t in tickets] == PROBLEMS[:4]
    joined = await frontdesk.rows("SELECT ticket_id, detail FROM ticket_events WHERE kind = 'update' ORDER BY id")
    assert [e["detail"] for e in joined] == flood[4:]                       # every word kept, in order
    assert {e["ticket_id"] for e in joined if e["detail"] in PROBLEMS[4:]} == {4}
    alerts = [t for t in texts(zhang)[before_zhang:] if "New request" in t]
    assert len(alerts) == 4                                                 # a round per ticket, not per message
    answers = texts(resident)[before_resident:]
    assert sum(WAIT in t for t in answers) == 1                             # told once, not per message
    reached = [t for t in answers if t.startswith("✅")]                   # "the volunteers have #N now"
    assert len(answers) - len(reached) == 4 + 1                             # four acknowledgements and the wait
    assert len(reached) <= 4
    assert "#4" in next(t for t in answers if WAIT in t)
    notices = [t for t in texts(admin) if "消息过多" in t]                  # 40 in a row: the admins hear of it once
    assert len(notices) == 1 and "Li Xiuying" in notices[0]
    assert await frontdesk.value("SELECT count(*) FROM inbox WHERE chat_id = ?", (resident.id,)) >= 40


async def test_the_throttle_counters_survive_a_restart(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The lift is broken")
    await resident.next_message("#1")
    for text in ("It is the east lift", "I live on the 9th floor"):
        resident.send(text)
        await resident.next_message("Added to request #1")
    await frontdesk.restart()
    before = len(resident.messages())
    for text in ("Please hurry", "Are you coming?", "I am home all day", "Hello?"):
        resident.send(text)
    await settled(frontdesk, emulator)
    answers = texts(resident)[before:]
    # the fifth message in a minute, counted across the restart, is a burst: told once to wait
    assert answers[0].startswith("Added to request #1") and sum(WAIT in t for t in answers) == 1
    assert len(answers) == 2
    details = await frontdesk.rows("SELECT detail FROM ticket_events WHERE kind = 'update' ORDER BY id")
    assert len(details) == 6

    # calm for a while: an answer of its own again; a later burst is told again, once
    frontdesk.clock.advance(600)
    resident.send("The lift is still broken")
    await resident.next_message("Added to request #1")
    for text in ("Hello?", "Anyone?", "Please", "Hurry", "Come"):
        resident.send(text)
    await settled(frontdesk, emulator)
    assert sum(WAIT in t for t in texts(resident)[before:]) == 2


async def test_the_hourly_cap_joins_new_requests_to_the_open_ticket_and_tells_admins_once(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    for index, text in enumerate(PROBLEMS):                                # one every two minutes: no burst
        resident.send(text)
        if index < 5:
            await resident.next_message(f"#{index + 1}")
        else:
            capped = await resident.next_message("last hour")
            assert "#5" in capped.text
        frontdesk.clock.advance(120)
        if index == 5:
            await frontdesk.restart()                                       # the cap is counted in the database
    await settled(frontdesk, emulator)
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 5
    joined = await frontdesk.rows("SELECT detail FROM ticket_events WHERE kind = 'update' AND ticket_id = 5")
    assert [e["detail"] for e in joined] == PROBLEMS[5:]
    notices = [t for t in texts(admin) if "消息过多" in t]
    assert len(notices) == 1 and "Li Xiuying" in notices[0] and "#5" in notices[0]

    # an hour after the first ones, a new problem is a request of its own again
    frontdesk.clock.advance(3600)
    resident.send("My father feels dizzy")
    await resident.next_message("#6")


async def test_an_emergency_in_a_flood_raises_the_ticket_and_alerts_as_an_emergency(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("My father feels dizzy")
    await resident.next_message("#1")
    await zhang.next_message("#1")
    for text in ("Please come", "Hello?", "Anyone there?", "Please", "Please hurry", "Hello?"):
        resident.send(text)
    await settled(frontdesk, emulator)
    resident.send("My father fell down the stairs and is not moving")
    ack = await resident.next_message("🚨")
    assert "120" in ack.text and "#1" in ack.text
    alert = await zhang.next_message("EMERGENCY")
    assert "#1" in alert.text
    frontdesk.clock.advance(120)                      # the admins: an emergency's step 2, two minutes on
    await frontdesk.services.tick()                   # (the escalation table in DESIGN.md)
    assert "#1" in (await admin.next_message("紧急求助")).text                 # the admins, in their language
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_an_emergency_of_another_kind_in_a_flood_is_a_new_emergency(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    for text in PROBLEMS * 2:
        resident.send(text)
    await settled(frontdesk, emulator)
    tickets = await frontdesk.value("SELECT count(*) FROM tickets")
    resident.send("There is a smell of gas in the stairwell")
    ack = await resident.next_message("🚨")
    assert "119" in ack.text and f"#{tickets + 1}" in ack.text
    await zhang.next_message("EMERGENCY")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = ?", (tickets + 1,)) == "emergency"


async def test_a_registered_persons_ordinary_conversation_is_not_a_burst(frontdesk, emulator, admin):
    """Registration answers, and a few messages about one problem, are no burst."""
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water in the kitchen")
    await resident.next_message("#1")
    for text in ("Since this morning", "The whole building I think", "I am home all day"):
        resident.send(text)
        await resident.next_message("Added to request #1")
    other = emulator.user(5002, "Zhao", "en")
    await register(other, name="Zhao Lei", phone="13800002222")
    other.send("The lift is broken")
    await other.next_message("#2")
    await settled(frontdesk, emulator)
    assert not any(WAIT in t for t in texts(resident) + texts(other))


async def test_words_in_a_burst_that_make_a_request_more_urgent_are_answered_and_alerted(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The lift is broken")
    await resident.next_message("#1")
    for text in ("It is the east lift", "I live on the 9th floor", "Please hurry", "Hello?", "Anyone?"):
        resident.send(text)
    await resident.next_message(WAIT)
    resident.send("The heating is off")                                     # a new problem, held in the burst...
    raised = await resident.next_message("more serious")                    # ...but it raises #1: that is said
    assert "#1" in raised.text and not raised.buttons                       # (no "new request" button: it is held)
    alert = await zhang.next_message("(alert 2)")
    assert "urgent" in alert.text and "The heating is off" in alert.text
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 1


async def test_past_the_cap_the_new_request_button_opens_nothing(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    for index, text in enumerate(PROBLEMS[:5]):
        resident.send(text)
        await resident.next_message(f"#{index + 1}")
        frontdesk.clock.advance(120)
    resident.send("It has been like this since Monday")
    noted = await resident.next_message("Added to request #5")
    answer = await resident.answer_to(resident.press(noted, noted.button("asnew:")))
    assert "last hour" in answer["text"] and answer["show_alert"]
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 5
