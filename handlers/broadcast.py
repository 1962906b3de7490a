"""Announcements: /broadcast all|GRID|BUILDING TEXT (or a photo with that caption), and the Send,
Cancel and Stop buttons. The service checks the role, the audience and the text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.delivery import buttons
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person

CAPTION = r"(?i)^\s*/broadcast(@\w+)?(\s|$)"


@message_handler
async def broadcast(s: "Services", person: "Person", msg: Incoming) -> None:
    """The whole text (its line breaks kept), not the command's split words; a photo's largest size."""
    message = msg.message
    photo = message.photo[-1].file_id if message.photo else None
    await s.broadcasts.preview(person, msg.chat_id, message.text or message.caption, photo)


@press_handler
async def on_press(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.broadcasts.press(person, press.parts[0], int(press.parts[1]))


def register(application: Application) -> None:
    # new messages only: an edited /broadcast is not a second announcement
    application.add_handler(CommandHandler("broadcast", broadcast, filters=filters.UpdateType.MESSAGE))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.PHOTO & filters.CaptionRegex(CAPTION),
                                           broadcast))
    application.add_handler(CallbackQueryHandler(on_press, pattern=buttons.any_of(
        buttons.BROADCAST_SEND, buttons.BROADCAST_CANCEL, buttons.BROADCAST_STOP)))
