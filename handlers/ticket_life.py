"""The rest of a ticket's life (issue #12): `/cancel [N]` and "✖️ Cancel #N" (residents),
`/reply N TEXT` and `/close N [REASON]` (admins; grid leaders for their grids), "✅ Close #N" after
a reply, and 💬 Message / 💬 Reply between a ticket's claimant and its resident."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import ticket_end
from bot.delivery import buttons
from bot.services.relays import CLAIMANT, RESIDENT
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person


@message_handler
async def cancel(s: "Services", person: "Person", msg: Incoming) -> None:
    """/cancel [N]: the resident's own request (extra words after the number are ignored)."""
    command = ticket_end.read_command(msg.message.text or "", ticket_end.REASON_MAX)
    if command.problem == "number":
        await s.inbox.reply(person, msg.chat_id, "usage_cancel")
    else:
        await s.ticket_desk.cancel_command(person, msg.chat_id, command.number)


async def _committee_words(s: "Services", person: "Person", msg: Incoming, limit: int,
                           usage: str) -> ticket_end.Command | None:
    """A /reply or /close: the role first (someone who may not is told that, not how to ask), then
    the number and the words. None when the person has been answered already."""
    if not await s.ticket_desk.may_use(person):
        await s.inbox.reply(person, msg.chat_id, "admin_only")
        return None
    command = ticket_end.read_command(msg.message.text or "", limit)
    if command.number is None:
        await s.inbox.reply(person, msg.chat_id, usage)
        return None
    if command.problem == "long":
        await s.inbox.reply(person, msg.chat_id, "text_too_long", limit=limit, length=len(command.text),
                            usage=usage)
        return None
    return command


@message_handler
async def reply(s: "Services", person: "Person", msg: Incoming) -> None:
    """/reply N TEXT: the committee's answer to the resident, through the bot."""
    command = await _committee_words(s, person, msg, ticket_end.REPLY_MAX, "usage_reply")
    if command is None:
        return
    if not command.text:
        await s.inbox.reply(person, msg.chat_id, "reply_empty", number=command.number)
    else:
        await s.ticket_desk.reply(person, msg.chat_id, command.number, command.text)  # type: ignore[arg-type]


@message_handler
async def close(s: "Services", person: "Person", msg: Incoming) -> None:
    """/close N [REASON]."""
    command = await _committee_words(s, person, msg, ticket_end.REASON_MAX, "usage_close")
    if command is not None:
        await s.ticket_desk.close(person, msg.chat_id, command.number, command.text)  # type: ignore[arg-type]


@press_handler
async def on_cancel_ask(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.ticket_desk.cancel_pressed(person, int(press.parts[1]))


@press_handler
async def on_close_answered(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.ticket_desk.close_answered(person, int(press.parts[1]), press.chat_id, press.message_id)


@press_handler
async def on_talk(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """💬 Message (the claimant) / 💬 Reply (the resident): the next text goes across."""
    side = CLAIMANT if press.parts[0] == buttons.TALK.name else RESIDENT
    return await s.relays.start(person, int(press.parts[1]), side)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("cancel", cancel, filters=filters.ChatType.PRIVATE))
    application.add_handler(CommandHandler("reply", reply))
    application.add_handler(CommandHandler("close", close))
    application.add_handler(CallbackQueryHandler(on_cancel_ask, pattern=buttons.CANCEL_ASK.pattern))
    application.add_handler(CallbackQueryHandler(on_close_answered, pattern=buttons.CLOSE_ANSWERED.pattern))
    application.add_handler(CallbackQueryHandler(on_talk, pattern=buttons.any_of(buttons.TALK, buttons.TALK_BACK)))
