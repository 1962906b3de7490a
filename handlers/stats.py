"""/stats [PERIOD] [GRID]: the community's figures and a chart (admins: everything; grid leaders:
their grids; the service checks who may see what)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CommandHandler

from handlers.common import Incoming, message_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Person


@message_handler
async def stats(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.stats.stats(person, msg.chat_id, msg.args)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("stats", stats))
