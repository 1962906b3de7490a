"""What every handler needs: the typed context, the person behind an update, and two decorators
that do the preamble once: `message_handler` (a message and who sent it) and `press_handler`
(a button press; the service's Answer becomes the toast)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, Message, Update
from telegram.ext import CallbackContext, ExtBot

from bot.delivery import buttons

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person


class Context(CallbackContext[ExtBot, dict, dict, dict]):  # type: ignore[misc]
    """The handlers' context (PTB's contexttypesbot pattern): the services, typed."""

    @property
    def services(self) -> "Services":
        return self.application.bot_data["services"]


async def person_of(update: Update, context: Context) -> "Person":
    user = update.effective_user
    assert user is not None
    return await context.services.inbox.who(user.id, user.first_name, user.language_code)


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
    return Press(query, chat_id, message_id, buttons.parts(query.data))


async def toast(context: Context, press: Press, person: "Person", answer: "Answer | None") -> None:
    text = None
    if answer is not None and answer.template:
        text = context.services.renderer.text(person.lang, answer.template, **(answer.context or {}))
    # answered once what the press did is committed: the round trip to Telegram holds no database
    await context.services.db.after_commit(
        lambda: press.query.answer(text=text, show_alert=bool(answer and answer.alert)))


@dataclass(frozen=True)
class Incoming:
    """A message as the services need it: where from, which update, and a command's words."""

    message: Message
    update_id: int
    args: list[str]

    @property
    def chat_id(self) -> int:
        return self.message.chat.id


Handler = Callable[[Update, Context], Awaitable[None]]
MessageBody = Callable[["Services", "Person", Incoming], Awaitable[None]]
PressBody = Callable[["Services", "Person", Press], Awaitable["Answer | None"]]


def message_handler(body: MessageBody) -> Handler:
    """A handler for a message: the body gets the services, the sender and the message."""

    @wraps(body)
    async def handler(update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        incoming = Incoming(message, update.update_id, list(context.args or []))
        await body(context.services, await person_of(update, context), incoming)

    return handler


def press_handler(body: PressBody) -> Handler:
    """A handler for a button press: the body returns the service's Answer, shown as the toast."""

    @wraps(body)
    async def handler(update: Update, context: Context) -> Any:
        press = press_of(update)
        person = await person_of(update, context)
        await toast(context, press, person, await body(context.services, person, press))

    return handler


def answer_with(template: str) -> Handler:
    """A handler whose whole answer is one template (a sticker, an unknown command)."""

    @message_handler
    async def handler(s: "Services", person: "Person", msg: Incoming) -> None:
        await s.inbox.reply(person, msg.chat_id, template)

    return handler
