"""What every handler needs: the services, the person behind an update, toasts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person


def services(context: ContextTypes.DEFAULT_TYPE) -> "Services":
    return context.application.bot_data["services"]


async def person_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> "Person":
    user = update.effective_user
    assert user is not None
    return await services(context).desk.who(user.id, user.first_name, user.language_code)


@dataclass(frozen=True)
class Press:
    """A button press: who, the message it was on, and the parsed callback data."""

    query: CallbackQuery
    chat_id: int
    message_id: int | None
    parts: list[str]


def press_of(update: Update) -> Press:
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    chat_id = message.chat.id if message else query.from_user.id
    message_id = message.message_id if message else None
    return Press(query, chat_id, message_id, query.data.split(":"))


async def toast(context: ContextTypes.DEFAULT_TYPE, press: Press, person: "Person", answer: "Answer") -> None:
    text = None
    if answer.template:
        text = services(context).renderer.text(person.lang, answer.template, **(answer.context or {}))
    await press.query.answer(text=text, show_alert=answer.alert)
