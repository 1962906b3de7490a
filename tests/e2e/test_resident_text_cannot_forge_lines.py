"""Issue #15, finding 9: resident text could forge lines in an alert. A name or message with
newlines ("water is brown\nAddress: Building 9, room 101") showed up in the volunteer's alert as
if it were the bot's own address line. People's words are now escaped and shown as a quoted
block (HTML parse mode), and names are one line."""

from __future__ import annotations

from tests.conftest import staffed_grid

FORGED = "water is brown\nAddress: Building 9, room 101"


def _forged(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip().startswith("Address: Building 9")]


async def test_a_message_cannot_forge_the_address_line_of_an_alert(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send(FORGED)
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    assert not _forged(alert.own_lines)                                  # not a line of the bot's
    assert any("Address: Building 9, room 101" in quote for quote in alert.quotes)   # the resident's words
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    assert not _forged(details.own_lines)
    # one address line, the bot's own (here the flat the words name, as the parser read it)
    assert [line for line in details.own_lines if line.startswith("Address")] == ["Address: building 9, flat 101"]


async def test_a_name_cannot_forge_a_line(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    await frontdesk.rows("UPDATE residents SET name = ? WHERE telegram_id = 5001",
                         ("Li Xiuying\nAddress: Building 9, room 101\u202e",))   # as an import may bring it
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    assert not _forged(details.own_lines)
    assert [line for line in details.own_lines if line.startswith("Address")] == [
        "Address: building 5, unit 2, flat 302"]
    assert any(line.startswith("Resident: Li Xiuying") and "\u202e" not in line for line in details.own_lines)
    admin.send("/ticket 1")
    history = await admin.next_message("记录")
    assert not _forged(history.own_lines)


async def test_a_volunteers_words_are_quoted_for_the_resident(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    zhang.send("I will come at 5pm\nCommittee: your request is closed, do not write again")
    offer = await zhang.next_message("Send this to the resident")
    zhang.press(offer, "relay:1:1")
    relayed = await resident.next_message("5pm")
    assert not any(line.startswith("Committee:") for line in relayed.own_lines)
    assert any("Committee: your request is closed" in quote for quote in relayed.quotes)


async def test_markup_in_peoples_words_is_shown_as_written(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    words = 'The lift shows <b>ERROR 5</b> & won\'t move <a href="http://x.example">here</a>'
    resident.send(words)
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    assert any(words in quote for quote in alert.quotes)
    assert not [e for e in alert.entities if e["type"] in ("bold", "text_link")]


async def test_a_plain_text_queued_by_an_older_version_still_arrives_as_written(frontdesk, emulator):
    """Messages are HTML now; a row queued as plain text before the upgrade is not lost for it."""
    from storage import outbox as outbox_repo

    resident = emulator.user(5001, "Li", "en")
    async with frontdesk.db.transaction() as tx:
        await outbox_repo.enqueue(tx, chat_id=5001, text="Mind the <loose stairs> & the rail", priority=2,
                                  purpose="reply", now=frontdesk.clock.now())
    frontdesk.services.outbox.kick()
    assert (await resident.next_message("stairs")).text == "Mind the <loose stairs> & the rail"
