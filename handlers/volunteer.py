"""Volunteers: /join a team, Claim / Can't go on alerts, On my way / Resolved / Release, words for
the resident, /mytickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.delivery import buttons
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person


@message_handler
async def join(s: "Services", person: "Person", msg: Incoming) -> None:
    if not msg.args:
        await s.inbox.reply(person, msg.chat_id, "usage_join")
    else:
        await s.teams.join(person, msg.chat_id, msg.args[0])


@message_handler
async def my_tickets(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.views.my_tickets(person, msg.chat_id)


@press_handler
async def on_ticket_button(s: "Services", person: "Person", press: Press) -> "Answer | None":
    action, ticket_id = press.parts[0], int(press.parts[1])
    work = s.volunteering
    if action == buttons.CLAIM.name:
        return await work.claim(person, ticket_id, press.chat_id)
    if action == buttons.DECLINE.name:
        return await work.decline(person, ticket_id, press.message_id, press.chat_id)
    if action == buttons.RESOLVE.name:
        return await work.resolve(person, ticket_id, press.message_id)
    if action == buttons.ON_MY_WAY.name:
        return await s.followup.on_my_way(person, ticket_id)
    return await work.release(person, ticket_id, press.message_id)


@press_handler
async def on_relay(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """"Send to the resident of #N?": yes (to that ticket) or "it is a new request"."""
    target, key = press.parts[1], press.parts[2]
    if target != "new":
        return await s.volunteering.relay(person, int(target), key, press.message_id)
    text = await s.volunteering.take_relay_text(person, key)
    if text:
        await s.intake.report(person, press.chat_id, text)
    return None


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("join", join, filters=private))
    application.add_handler(CommandHandler("mytickets", my_tickets, filters=private))
    application.add_handler(CallbackQueryHandler(on_relay, pattern=buttons.RELAY.pattern))
    application.add_handler(CallbackQueryHandler(on_ticket_button, pattern=buttons.any_of(
        buttons.CLAIM, buttons.DECLINE, buttons.RESOLVE, buttons.RELEASE, buttons.ON_MY_WAY)))
