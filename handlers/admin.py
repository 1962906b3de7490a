"""Admins: teams and invites, the admin group, the ticket list and a ticket's history."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

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
    if len(args) != 1 or not args[0].lstrip("#").isdigit() or len(args[0]) > 10:
        await services(context).desk.reply(person, chat_id, "usage_ticket")
        return
    await services(context).desk.ticket_detail(person, chat_id, int(args[0].lstrip("#")))


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
    application.add_handler(CommandHandler("set_admin_group", set_admin_group))
