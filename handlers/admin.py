"""Admins: teams and invites, the admin group, the ticket list, a ticket's history,
triage corrections and the committee's keywords."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.vocabulary import parse_label
from handlers.common import person_of, services


async def _admin(update: Update, context: ContextTypes.DEFAULT_TYPE):  # type: ignore[no-untyped-def]
    """The person if they are an admin; otherwise they are told so and None comes back."""
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    if not person.is_admin:
        await services(context).desk.reply(person, message.chat.id, "admin_only")
        return None
    return person


def _ticket_number(word: str) -> int | None:
    word = word.lstrip("#")
    return int(word) if word.isdigit() and len(word) <= 10 else None


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await _admin(update, context)
    if person is None:
        return
    chat_id = update.effective_message.chat.id  # type: ignore[union-attr]
    if not context.args:
        await services(context).desk.reply(person, chat_id, "usage_invite")
        return
    await services(context).teams.invite(person, chat_id, " ".join(context.args))


async def team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await _admin(update, context)
    if person is None:
        return
    chat_id = update.effective_message.chat.id  # type: ignore[union-attr]
    args = context.args or []
    if not args:
        await services(context).teams.list_teams(person, chat_id)
    elif len(args) >= 3 and args[1].lower() == "grids":
        await services(context).teams.set_grids(person, chat_id, args[0], " ".join(args[2:]))
    else:
        await services(context).desk.reply(person, chat_id, "usage_team")


async def tickets(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await _admin(update, context)
    if person is not None:
        await services(context).desk.ticket_list(person, update.effective_message.chat.id)  # type: ignore[union-attr]


async def ticket(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await _admin(update, context)
    if person is None:
        return
    chat_id = update.effective_message.chat.id  # type: ignore[union-attr]
    args = context.args or []
    number = _ticket_number(args[0]) if len(args) == 1 else None
    if number is None:
        await services(context).desk.reply(person, chat_id, "usage_ticket")
        return
    await services(context).desk.ticket_detail(person, chat_id, number)


async def triage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/triage N URGENCY [CATEGORY]: the committee's verdict replaces the engine's."""
    person = await _admin(update, context)
    if person is None:
        return
    s = services(context)
    chat_id = update.effective_message.chat.id  # type: ignore[union-attr]
    args = context.args or []
    number = _ticket_number(args[0]) if args else None
    label = parse_label(args[1:], s.renderer) if 2 <= len(args) <= 3 else None
    if number is None or label is None or (label.urgency is None and label.category is None):
        await s.desk.reply(person, chat_id, "usage_triage")
        return
    await s.desk.correct(person, chat_id, number, label.urgency, label.category)


async def keyword(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/keyword list | add TERM URGENCY CATEGORY | remove TERM."""
    person = await _admin(update, context)
    if person is None:
        return
    s = services(context)
    chat_id = update.effective_message.chat.id  # type: ignore[union-attr]
    args = context.args or []
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
