"""Duplicates: /split N (admins; grid leaders for their grids) makes a linked report a request of
its own, and "Not fixed for me" does it for its reporter. The service checks who may."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.core import ticket_end
from bot.delivery import buttons
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person


def _number(words: list[str]) -> int | None:
    """"/split 12", "/split #12", "/split ＃１２": one ticket number (read as /reply and /close read
    theirs), else None (the service says how to ask)."""
    return ticket_end.ticket_number(words[0]) if len(words) == 1 else None


@message_handler
async def split(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.duplicates.split(person, msg.chat_id, _number(msg.args))


@press_handler
async def not_fixed_for_me(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.duplicates.not_fixed_for_me(person, int(press.parts[1]), press.message_id)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("split", split))
    application.add_handler(CallbackQueryHandler(not_fixed_for_me, pattern=buttons.UNFIXED.pattern))
