"""/health (admins): the facts /healthz gives a load balancer (database, the oldest due timer and
message, who sends), in the chat. Its own command rather than /status: /status is the asker's own
requests (paged, with Cancel buttons), and an admin is often a resident with requests too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CommandHandler

from handlers.admin import admin_command

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Person


@admin_command
async def health(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    await s.health.report(chat_id, person.lang)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("health", health))
