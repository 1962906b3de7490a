"""Issue #11: the safety net for what any classifier misses. A one-tap "this is an emergency" under
every other answer, one question when the engine is unsure, and the number that fits."""

from __future__ import annotations

from tests.conftest import make_team, register, staffed_grid


async def test_every_other_answer_has_an_emergency_button_that_raises_the_ticket(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The corridor light on our floor is broken")
    ack = await resident.next_message("#1")
    assert "routine" in ack.text
    answer = await resident.answer_to(resident.press(ack, ack.button("sos:")))
    assert "emergency" in answer["text"].lower()
    told = await resident.next_message("EMERGENCY")
    assert "call" in told.text.lower()
    again = await zhang.next_message("alert 2")
    assert again.text.startswith("🚨🚨")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    kept = await frontdesk.rows("SELECT * FROM triage_corrections")
    assert kept and kept[0]["urgency"] == "emergency" and kept[0]["by_id"] == resident.id


async def test_an_emergency_answer_has_no_such_button_and_names_one_number(frontdesk, emulator):
    stranger = emulator.user(5100, "Ann", "en")
    stranger.send("There is a fire in the stairwell, lots of smoke!")
    ack = await stranger.next_message("#1")
    assert ack.text.startswith("🚨 Call 119")
    assert "120" not in ack.text and "110" not in ack.text
    assert not [d for _, d in ack.buttons if d.startswith("sos:")]


async def test_a_danger_word_the_engine_cannot_place_asks_and_yes_is_an_emergency(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "zh")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", "zh")
    await register(resident, lang="zh")
    resident.send("不对劲 有血")
    question = await resident.next_message("有危险吗")
    assert {d for _, d in question.buttons} == {"danger:1:yes", "danger:1:no"}
    resident.press(question, "danger:1:yes")
    await resident.next_message("紧急")
    await zhang.next_message("第 2 次通知")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    assert await frontdesk.value("SELECT danger_answer FROM tickets WHERE id = 1") == "yes"


async def test_no_answer_in_two_minutes_after_a_danger_word_counts_as_yes(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("help blood")
    await resident.next_message("in danger right now")
    frontdesk.clock.advance(60)
    await frontdesk.services.tick()
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") != "emergency"
    frontdesk.clock.advance(61)
    await frontdesk.services.tick()
    await resident.next_message("EMERGENCY")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
    assert await frontdesk.value("SELECT danger_answer FROM tickets WHERE id = 1") == "silent"


async def test_no_means_the_request_goes_ahead_as_it_is(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("help blood")
    question = await resident.next_message("in danger right now")
    resident.press(question, question.button("danger:1:no"))
    await emulator.wait_for(lambda: "goes ahead" in question.text, 5, "the question to be answered")
    frontdesk.clock.advance(300)
    await frontdesk.services.tick()
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "urgent"


async def test_someone_else_cannot_answer_for_the_resident(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("help blood")
    question = await resident.next_message("in danger right now")
    answer = await zhang.answer_to(zhang.press(question, "danger:1:no"))
    assert answer["show_alert"]
    assert await frontdesk.value("SELECT danger_answer FROM tickets WHERE id = 1") is None
