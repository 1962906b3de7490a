"""/escalation (admins): the escalation policies, and new delays for one urgency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CommandHandler

from handlers.admin import admin_command

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Person


@admin_command
async def escalation(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/escalation | /escalation URGENCY DELAY,DELAY,… [repeat DELAY] (e.g. urgent 15m,30m repeat 30m)."""
    await s.escalation.command(person, chat_id, args)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("escalation", escalation))
