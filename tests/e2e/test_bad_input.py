"""Bad input gets a clear, kind answer: never a crash, never silence."""

from __future__ import annotations

from tests.conftest import register, staffed_grid


async def test_sticker_gets_a_kind_answer(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    resident.send_media("sticker")
    assert "in words" in (await resident.next_message()).text


async def test_photo_without_words_is_a_request(frontdesk, emulator):
    """Issue #7: a photo alone from someone with no open request is a request (urgent: we cannot read it)."""
    resident = emulator.user(5001, "Li", "en")
    resident.send_media("photo")
    assert "#1" in (await resident.next_message()).text
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "urgent"


async def test_photo_with_caption_is_a_request_with_attachment(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send_media("photo", caption="This crack in the stair railing is getting wider")
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("1 attachment")
    photo = await emulator.wait_for(lambda: next((m for m in zhang.messages() if m.kind == "photo"), None), 5,
                                    "the photo forwarded to the claimant")
    assert photo.text == "#1"
    assert await frontdesk.value("SELECT count(*) FROM attachments WHERE ticket_id = 1") == 1


async def test_voice_note_right_after_a_request_joins_it(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("Water is dripping from the ceiling in my kitchen")
    await resident.next_message("#1")
    resident.send_media("voice")
    assert "voice" in (await resident.next_message("Added")).text
    assert await frontdesk.value("SELECT kind FROM attachments WHERE ticket_id = 1") == "voice"


async def test_location_is_added_to_the_request(frontdesk, emulator):
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("My neighbour collapsed on the stairs and is not responding")
    await stranger.next_message("Where are you")
    stranger.send_location(39.9042, 116.4074)
    await stranger.next_message("Address added")
    assert "39.90420" in await frontdesk.value("SELECT location FROM tickets WHERE id = 1")


async def test_document_and_unknown_kinds(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    resident.send_media("document")
    assert "cannot open files" in (await resident.next_message()).text
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0


async def test_edited_request_is_noted_on_the_ticket(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    message = resident.send("The bin area smells awful")
    await resident.next_message("#1")
    resident.edit(message, "The bin area smells awful and there are rats")
    await resident.next_message("correction")
    events = await frontdesk.rows("SELECT kind, detail FROM ticket_events WHERE ticket_id = 1 AND kind = 'edited'")
    assert events and "rats" in events[0]["detail"]


async def test_a_4000_character_message_is_kept_and_alerts_stay_short(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    text = "Our heating is off. " + "It is very cold in the flat and nobody answers the phone. " * 70
    text = text[:4000]
    resident.send(text)
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    assert len(alert.text) < 4096 and "…" in alert.text
    assert len(await frontdesk.value("SELECT text FROM tickets WHERE id = 1")) == 4000


async def test_unknown_command(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    resident.send("/fly_to_the_moon")
    assert "/help" in (await resident.next_message()).text
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0


async def test_non_admin_gets_a_clear_refusal(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    for command in ("/tickets", "/invite north", "/ticket 1", "/team"):
        resident.send(command)
        assert "Only committee staff" in (await resident.next_message()).text


async def test_join_with_a_wrong_code(frontdesk, emulator):
    volunteer = emulator.user(7009, "Ma", "en")
    volunteer.send("/join NOPE1234")
    assert "wrong or has expired" in (await volunteer.next_message()).text
    volunteer.send("/join")
    assert "Usage" in (await volunteer.next_message()).text


async def test_an_emergency_typed_mid_registration_is_not_lost(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:en")
    await resident.next_message("phone number")
    resident.send("My husband has chest pain and can't breathe")
    ack = await resident.next_message("#1")
    assert ack.text.startswith("🚨")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"
