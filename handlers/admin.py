"""Admins: teams and invites, the admin group, the ticket list, a ticket's history,
triage corrections and the committee's keywords."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.vocabulary import parse_label
from handlers.common import person_of, services

if TYPE_CHECKING:
    from bot.app import Services
    from bot.people import Person

Command = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
AdminBody = Callable[["Services", "Person", int, list[str]], Awaitable[None]]


def admin_command(body: AdminBody) -> Command:
    """A command only admins may run: anyone else is told so. The body gets the services,
    the admin, the chat and the command's words."""

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        person = await person_of(update, context)
        if not person.is_admin:
            await services(context).desk.reply(person, message.chat.id, "admin_only")
            return
        await body(services(context), person, message.chat.id, list(context.args or []))

    return handler


def _ticket_number(word: str) -> int | None:
    word = word.lstrip("#")
    return int(word) if word.isdigit() and len(word) <= 10 else None


@admin_command
async def invite(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    if not args:
        await s.desk.reply(person, chat_id, "usage_invite")
    else:
        await s.teams.invite(person, chat_id, " ".join(args))


@admin_command
async def team(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    if not args:
        await s.teams.list_teams(person, chat_id)
    elif len(args) >= 3 and args[1].lower() == "grids":
        await s.teams.set_grids(person, chat_id, args[0], " ".join(args[2:]))
    else:
        await s.desk.reply(person, chat_id, "usage_team")


@admin_command
async def tickets(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    await s.desk.ticket_list(person, chat_id)


@admin_command
async def ticket(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    number = _ticket_number(args[0]) if len(args) == 1 else None
    if number is None:
        await s.desk.reply(person, chat_id, "usage_ticket")
    else:
        await s.desk.ticket_detail(person, chat_id, number)


@admin_command
async def triage(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/triage N URGENCY [CATEGORY]: the committee's verdict replaces the engine's."""
    number = _ticket_number(args[0]) if args else None
    label = parse_label(args[1:], s.renderer) if 2 <= len(args) <= 3 else None
    if number is None or label is None or (label.urgency is None and label.category is None):
        await s.desk.reply(person, chat_id, "usage_triage")
    else:
        await s.desk.correct(person, chat_id, number, label.urgency, label.category)


@admin_command
async def keyword(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/keyword list | add TERM URGENCY CATEGORY | remove TERM."""
    action = args[0].lower() if args else "list"
    if action == "list" and len(args) <= 1:
        await s.vocabulary.show(person, chat_id)
    elif action == "add" and len(args) >= 4:
        await s.vocabulary.add(person, chat_id, " ".join(args[1:-2]), args[-2:])
    elif action in ("remove", "delete") and len(args) >= 2:
        await s.vocabulary.remove(person, chat_id, " ".join(args[1:]))
    else:
        await s.desk.reply(person, chat_id, "usage_keyword")


async def set_admin_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    await services(context).teams.set_admin_group(person, message.chat.id, message.chat.type)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("invite", invite))
    application.add_handler(CommandHandler("team", team))
    application.add_handler(CommandHandler("tickets", tickets))
    application.add_handler(CommandHandler("ticket", ticket))
    application.add_handler(CommandHandler("triage", triage))
    application.add_handler(CommandHandler("keyword", keyword))
    application.add_handler(CommandHandler("set_admin_group", set_admin_group))
