"""/start, /profile, /language and the buttons of the registration conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.delivery import buttons
from bot.services import Answer
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Person

STALE = Answer("toast_stale_button")  # a button whose question has passed

@message_handler
async def start(s: "Services", person: "Person", msg: Incoming) -> None:
    if msg.args and msg.args[0].lower().startswith("join_"):
        # t.me/<bot>?start=join_CODE: a volunteer's invite link
        await s.teams.join(person, msg.chat_id, msg.args[0][5:])
        return
    await s.registration.start(person, msg.chat_id)


@message_handler
async def profile(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.registration.profile(person, msg.chat_id)


@message_handler
async def language(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.registration.ask_language(person, msg.chat_id)


@press_handler
async def on_language(s: "Services", person: "Person", press: Press) -> Answer | None:
    await s.registration.choose_language(person, press.chat_id, press.parts[1])
    return None


@press_handler
async def on_step_button(s: "Services", person: "Person", press: Press) -> Answer | None:
    """Yes/No for "do you live alone" and Skip for the emergency contact: answers to the current step."""
    queue = person.step_data.get("queue") or []
    if person.step == "profile" and queue and queue[0] == press.parts[0]:
        await s.registration.answer(person, press.chat_id, text=press.parts[1])
        return None
    return STALE


@press_handler
async def on_edit(s: "Services", person: "Person", press: Press) -> Answer | None:
    if press.parts[1] == "language":
        await s.registration.ask_language(person, press.chat_id)
    elif not await s.registration.edit(person, press.chat_id, press.parts[1]):
        return STALE
    return None


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("profile", profile, filters=private))
    application.add_handler(CommandHandler("language", language, filters=private))
    application.add_handler(CallbackQueryHandler(on_language, pattern=buttons.LANGUAGE.pattern))
    application.add_handler(CallbackQueryHandler(on_step_button,
                                                 pattern=buttons.any_of(buttons.ALONE, buttons.CONTACT_SKIP)))
    application.add_handler(CallbackQueryHandler(on_edit, pattern=buttons.EDIT.pattern))
