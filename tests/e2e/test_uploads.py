"""Files both ways over the emulator: the bot uploads a file it made (a chart, a spreadsheet)
through the outbox, and fetches a file a person sent it (a spreadsheet to import)."""

from __future__ import annotations

from bot.delivery import Lane


async def _upload(frontdesk, chat_id: int, kind: str, data: bytes, filename: str, caption: str | None) -> None:
    services = frontdesk.services
    async with services.db.transaction() as tx:
        await services.outbox.upload(tx, chat_id, kind, data, filename, lane=Lane.REPLY, purpose="test",
                                     caption=caption)
    services.outbox.kick()


async def test_a_file_the_bot_made_is_uploaded_with_its_caption_and_then_forgotten(frontdesk, emulator):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    await _upload(frontdesk, 4101, "photo", png, "week.png", "<b>This week</b> &amp; last")
    reader = emulator.user(4101, "A")
    photo = await reader.next_message("This week")
    assert photo.kind == "photo" and photo.file == png and photo.filename == "week.png"
    assert photo.text == "This week & last" and photo.entities[0]["type"] == "bold"
    await _upload(frontdesk, 4101, "document", b"a,b\n1,2\n", "tickets.csv", None)
    document = await reader.next_message()
    assert document.kind == "document" and document.file == b"a,b\n1,2\n" and document.filename == "tickets.csv"
    await frontdesk.drain()
    # the bytes are kept only until the message is sent
    assert await frontdesk.value("SELECT count(*) FROM uploads") == 0


async def test_an_upload_waits_out_a_crash_before_it_is_sent(frontdesk, emulator):
    await frontdesk.restart(paused=True)
    await _upload(frontdesk, 4102, "document", b"rows", "export.xlsx", "Export")
    assert await frontdesk.value("SELECT count(*) FROM uploads") == 1
    await frontdesk.restart()
    document = await emulator.user(4102, "B").next_message("Export")
    assert document.file == b"rows"


async def test_the_bot_can_fetch_a_file_a_person_sent(frontdesk, emulator):
    person = emulator.user(4103, "C", "en")
    message = person.send_document(b"name,phone\n", "residents.csv", caption="/import residents")
    telegram_file = await frontdesk.application.bot.get_file(message["document"]["file_id"])
    assert bytes(await telegram_file.download_as_bytearray()) == b"name,phone\n"
