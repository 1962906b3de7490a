"""/start, /profile, /language and the buttons of the registration conversation."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from handlers.common import person_of, press_of, services


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    args = context.args or []
    if args and args[0].lower().startswith("join_"):
        # t.me/<bot>?start=join_CODE: a volunteer's invite link
        await services(context).teams.join(person, message.chat.id, args[0][5:])
        return
    await services(context).registration.start(person, message.chat.id)


async def profile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await services(context).registration.profile(await person_of(update, context), message.chat.id)


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await services(context).registration.ask_language(await person_of(update, context), message.chat.id)


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = press_of(update)
    person = await person_of(update, context)
    await services(context).registration.choose_language(person, press.chat_id, press.parts[1])
    await press.query.answer()


async def on_step_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Yes/No for "do you live alone" and Skip for the emergency contact: answers to the current step."""
    press = press_of(update)
    person = await person_of(update, context)
    queue = person.step_data.get("queue") or []
    expected = {"alone": "alone", "contact": "contact"}[press.parts[0]]
    if person.step == "profile" and queue and queue[0] == expected:
        await services(context).registration.answer(person, press.chat_id, text=press.parts[1])
        await press.query.answer()
    else:
        text = services(context).renderer.text(person.lang, "toast_stale_button")
        await press.query.answer(text=text)


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = press_of(update)
    person = await person_of(update, context)
    registration = services(context).registration
    if press.parts[1] == "language":
        await registration.ask_language(person, press.chat_id)
    elif not await registration.edit(person, press.chat_id, press.parts[1]):
        await press.query.answer(text=services(context).renderer.text(person.lang, "toast_stale_button"))
        return
    await press.query.answer()


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("profile", profile, filters=private))
    application.add_handler(CommandHandler("language", language, filters=private))
    application.add_handler(CallbackQueryHandler(on_language, pattern=r"^lang:(zh|en)$"))
    application.add_handler(CallbackQueryHandler(on_step_button, pattern=r"^(alone:(yes|no)|contact:skip)$"))
    application.add_handler(CallbackQueryHandler(on_edit, pattern=r"^edit:(name|address|phone|alone|contact|language)$"))
