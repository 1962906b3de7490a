"""What nobody else took: unknown commands, unsupported messages, forged buttons, and errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from handlers.common import person_of, services

log = logging.getLogger(__name__)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    await services(context).desk.reply(person, message.chat.id, "help", me=person)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    await services(context).desk.reply(person, message.chat.id, "unknown_command")


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    await services(context).desk.reply(person, message.chat.id, "unsupported")


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Callback data we did not make (or no longer understand): refuse politely, change nothing."""
    query = update.callback_query
    assert query is not None
    log.warning("unknown callback data %r from %s", query.data, query.from_user.id)
    person = await person_of(update, context)
    await query.answer(text=services(context).renderer.text(person.lang, "toast_invalid"), show_alert=True)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    try:
        person = await person_of(update, context)
        renderer = services(context).renderer
        if update.callback_query:
            await update.callback_query.answer(text=renderer.text(person.lang, "toast_error"), show_alert=True)
        elif update.effective_chat:
            await services(context).desk.reply(person, update.effective_chat.id, "error")
    except Exception:  # telling the person failed too; the log has the first error
        log.exception("could not tell the user about an error")


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGES & private, unsupported))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_error_handler(on_error)
