"""What nobody else took: unknown commands, unsupported messages, forged buttons, and errors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.delivery import links
from bot.services import Answer
from handlers.common import Context, Incoming, Press, answer_with, message_handler, person_of, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Person

log = logging.getLogger(__name__)


@message_handler
async def help_command(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.inbox.reply(person, msg.chat_id, "help", me=person)


unknown_command = answer_with("unknown_command")
# Commands that work only in a private chat (a person's own requests and details): asked in a
# group, the group hears where to ask, rather than nothing. Other bots' commands stay unanswered.
PRIVATE_ONLY = ("start", "profile", "language", "status", "cancel", "join", "mytickets", "elderly")


@message_handler
async def private_only(s: "Services", person: "Person", msg: Incoming) -> None:
    command = "/" + (msg.message.text or "/").split()[0].lstrip("/").split("@")[0]
    await s.inbox.reply(person, msg.chat_id, "private_only", command=command,
                        link=links.chat_link(s.outbox.bot_username))
unsupported = answer_with("unsupported")


@press_handler
async def stale_button(s: "Services", person: "Person", press: Press) -> Answer:
    """Callback data we did not make (or no longer understand): refuse politely, change nothing."""
    log.warning("unknown callback data %r from %s", press.query.data, person.telegram_id)
    return Answer("toast_invalid", alert=True)


async def on_error(update: object, context: Context) -> None:
    if update is None and context.job is None and isinstance(context.error, TelegramError):
        # getUpdates failed (python-telegram-bot routes it here): a 409 means another copy polls
        # with our token, and the guard decides what to do about it
        context.services.guard.on_polling_error(context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    try:
        person = await person_of(update, context)
        if update.callback_query:
            text = context.services.renderer.text(person.lang, "toast_error")
            query = update.callback_query
            await context.services.db.after_commit(lambda: query.answer(text=text, show_alert=True))
        elif update.effective_chat:
            await context.services.inbox.reply(person, update.effective_chat.id, "error")
    except Exception:  # telling the person failed too; the log has the first error
        log.exception("could not tell the user about an error")


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler(PRIVATE_ONLY, private_only, filters=~private))
    application.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGES & private, unsupported))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_error_handler(on_error)
