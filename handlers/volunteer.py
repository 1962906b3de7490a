"""Volunteers: /join a team, Claim / Can't go on alerts, Resolved / Release, /mytickets."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from handlers.common import person_of, press_of, services, toast


async def join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    if not context.args:
        await services(context).desk.reply(person, message.chat.id, "usage_join")
        return
    await services(context).teams.join(person, message.chat.id, context.args[0])


async def my_tickets(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await services(context).desk.my_tickets(await person_of(update, context), message.chat.id)


async def on_ticket_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = press_of(update)
    person = await person_of(update, context)
    desk = services(context).desk
    action, ticket_id = press.parts[0], int(press.parts[1])
    if action == "claim":
        answer = await desk.claim(person, ticket_id)
    elif action == "decline":
        answer = await desk.decline(person, ticket_id, press.message_id, press.chat_id)
    elif action == "resolve":
        answer = await desk.resolve(person, ticket_id, press.message_id)
    else:
        answer = await desk.release(person, ticket_id, press.message_id)
    await toast(context, press, person, answer)


async def on_relay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Send to the resident of #N?": yes (to that ticket) or "it is a new request"."""
    press = press_of(update)
    person = await person_of(update, context)
    s = services(context)
    target, key = press.parts[1], press.parts[2]
    if target == "new":
        text = await s.desk.take_relay_text(person, key)
        await press.query.answer()
        if text:
            await s.desk.report(person, press.chat_id, text)
        return
    await toast(context, press, person, await s.desk.relay(person, int(target), key, press.message_id))


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("join", join, filters=private))
    application.add_handler(CommandHandler("mytickets", my_tickets, filters=private))
    application.add_handler(CallbackQueryHandler(on_relay, pattern=r"^relay:(\d{1,9}|new):\d{1,6}$"))
    application.add_handler(CallbackQueryHandler(on_ticket_button, pattern=r"^(claim|decline|resolve|release):\d{1,9}$"))
