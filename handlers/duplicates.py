"""Duplicates: /split N (admins; grid leaders for their grids) makes a linked report a request of
its own, and "Not fixed for me" does it for its reporter. The service checks who may."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.delivery import buttons
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person


def _number(words: list[str]) -> int | None:
    """"/split 12" or "/split #12": one ticket number, else None (the service says how to ask)."""
    word = words[0].lstrip("#") if len(words) == 1 else ""
    return int(word) if word.isdigit() and len(word) <= 9 else None


@message_handler
async def split(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.duplicates.split(person, msg.chat_id, _number(msg.args))


@press_handler
async def not_fixed_for_me(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.duplicates.not_fixed_for_me(person, int(press.parts[1]), press.message_id)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("split", split))
    application.add_handler(CallbackQueryHandler(not_fixed_for_me, pattern=buttons.UNFIXED.pattern))
