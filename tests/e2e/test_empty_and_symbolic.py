"""Issue #15, finding 12: "a message of spaces or zero-width characters becomes a ticket and an
alert; '🆘' or 'SOS' alone is routine." A blank message gets "please write what you need" and
nothing else (no ticket, no alert, nothing added to an open ticket, never taken as an answer); a
cry alone (🆘, SOS, 救命) is an emergency: the emergency answer with the number to call."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import make_team, staffed_grid

# spaces, zero-width spaces and joiners, the ideographic space, the Hangul filler and the braille
# blank (what people use to send a message that looks empty), a byte-order mark
BLANKS = ["   ", "\u200b\u200b", "\u3000", "\u3164", "\u2800", "\u200b \u200d\ufeff\u2060"]
ASK = {"en": "write what you need", "zh": "写下您需要"}

BYSTANDERS = itertools.count(5900)


async def _settled(frontdesk, emulator) -> None:
    bystander = emulator.user(next(BYSTANDERS), "Bystander", "en")  # a new one each time: its answer is new
    bystander.send_media("sticker")
    await bystander.next_message("in words")
    await frontdesk.drain()


@pytest.mark.parametrize("blank", BLANKS, ids=["spaces", "zero-width", "ideographic-space", "hangul-filler",
                                              "braille-blank", "mixed"])
async def test_a_blank_message_asks_what_they_need_and_makes_no_ticket(frontdesk, emulator, admin, blank):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send(blank)
    assert ASK["en"] in (await stranger.next_message()).text
    await _settled(frontdesk, emulator)
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 0
    assert len(stranger.messages()) == 1
    assert not [m for m in zhang.messages() if "#" in m.text] and not [m for m in admin.messages() if "#" in m.text]


async def test_a_blank_message_adds_nothing_to_an_open_request(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("No water in the kitchen")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    before = len(zhang.messages())
    for blank in ("\u3164", " \u200b "):
        resident.send(blank)
        assert ASK["en"] in (await resident.next_message(ASK["en"])).text
    await _settled(frontdesk, emulator)
    assert await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'update'") == 0
    assert len(zhang.messages()) == before                                     # the volunteer is not bothered


async def test_a_blank_message_is_not_an_answer_to_a_question(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "zh")
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, "lang:zh")
    for _ in range(3):
        await resident.next_message(None)
    resident.share_contact("13800001111")
    await resident.next_message("称呼")
    resident.send("\u3164")                                                    # looks empty: not a name
    await resident.next_message(ASK["zh"])
    await resident.next_message("称呼")                                        # the question again
    resident.send("李秀英")
    await resident.next_message("楼")
    answers = await frontdesk.value("SELECT step_data FROM users WHERE telegram_id = ?", (resident.id,))
    assert '"name": "李秀英"' in answers and "\u3164" not in answers and "\\u3164" not in answers


@pytest.mark.parametrize("cry", ["🆘", "SOS", "sos!!", "救命", "救命啊", "🆘🆘🆘", "S.O.S"])
async def test_a_cry_alone_is_an_emergency(frontdesk, emulator, admin, cry):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send(cry)
    ack = await resident.next_message("#1")
    assert ack.text.startswith("🚨") and "120" in ack.text                     # call now: the number first
    alert = await zhang.next_message("#1")
    assert "EMERGENCY" in alert.text
    frontdesk.clock.advance(120)                      # the admins: an emergency's step 2, two minutes on
    await frontdesk.services.tick()                   # (the escalation table in DESIGN.md)
    assert "#1" in (await admin.next_message("紧急求助")).text
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "emergency"


async def test_a_cry_from_someone_unregistered_is_an_emergency_and_asks_where(frontdesk, emulator, admin):
    stranger = emulator.user(5100, "Tom", "zh")
    stranger.send("🆘")
    ack = await stranger.next_message("#1")
    assert ack.text.startswith("🚨") and "120" in ack.text
    await stranger.next_message("在哪里")
    assert "#1" in (await admin.next_message("紧急求助")).text


async def test_a_cry_with_an_open_request_is_not_swallowed(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The lift is broken")
    await resident.next_message("#1")
    resident.send("🆘")
    ack = await resident.next_message("🚨")
    assert "120" in ack.text
    urgencies = [r["urgency"] for r in await frontdesk.rows("SELECT urgency FROM tickets ORDER BY id")]
    assert "emergency" in urgencies
    await zhang.next_message("EMERGENCY")
