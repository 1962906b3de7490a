"""Spreadsheets: /export KIND [PERIOD] (admins), /import KIND and the file that comes with it or
after it. A file or photo that is no import goes on to the residents' media handler, as before."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.services.sheets import Document
from handlers import resident
from handlers.admin import admin_command
from handlers.common import Context, Incoming, message_handler, person_of

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Person


@admin_command
async def export(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/export tickets|residents|volunteers|ratings [7d|30d|month|YYYY-MM|all]: the file goes privately."""
    await s.sheets.export(person, chat_id, args)


@message_handler
async def ask_import(s: "Services", person: "Person", msg: Incoming) -> None:
    """/import residents|volunteers|shifts: the file may follow (the service checks the role)."""
    await s.sheets.ask_import(person, msg.chat_id, msg.message.chat.type == ChatType.PRIVATE, msg.args)


async def on_file(update: Update, context: Context) -> None:
    """A document or photo: an import when its caption says so or the bot waits for one from this
    admin; anything else is what it always was (resident.on_media)."""
    message = update.effective_message
    assert message is not None
    document = None
    if message.document is not None:
        found = message.document

        async def fetch() -> bytes:
            telegram_file = await context.bot.get_file(found.file_id)
            return bytes(await telegram_file.download_as_bytearray())

        document = Document(found.file_name or "file", found.file_size, fetch)
    taken = await context.services.sheets.receive(
        await person_of(update, context), message.chat.id, message.chat.type == ChatType.PRIVATE, message.caption,
        document)
    if not taken and message.chat.type == ChatType.PRIVATE:
        await resident.on_media(update, context)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("export", export))
    application.add_handler(CommandHandler("import", ask_import))
    files = filters.Document.ALL | filters.PHOTO
    # in a group only a file captioned /import is ours (to refuse kindly); other group files are not the bot's
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & files & (
        filters.ChatType.PRIVATE | filters.CaptionRegex(r"^/import\b")), on_file))
