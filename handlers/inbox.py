"""Every update is written to the inbox before anything answers it; a replay stops here."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.common import Context

log = logging.getLogger(__name__)


def _kind(update: Update) -> str:
    if update.callback_query:
        return "callback"
    if update.edited_message:
        return "edited"
    message = update.effective_message
    if message is None:
        return "other"
    for kind in ("text", "contact", "photo", "voice", "video", "document", "sticker", "location", "audio"):
        if getattr(message, kind, None):
            return kind
    return "other"


async def remember(update: Update, context: Context) -> None:
    message = update.effective_message
    text = None
    if update.callback_query:
        text = update.callback_query.data
    elif message is not None:
        text = message.text or message.caption
    new = await context.services.inbox.remember(
        update.update_id,
        update.effective_chat.id if update.effective_chat else None,
        update.effective_user.id if update.effective_user else None,
        _kind(update),
        text,
    )
    if not new:
        log.info("update %s was seen before: dropped", update.update_id)
        raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, remember), group=-1)
