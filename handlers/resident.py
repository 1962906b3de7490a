"""Residents: plain words are requests; photos and voice notes join them; buttons close the loop."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from handlers.common import person_of, press_of, services, toast

MAX_TEXT = 4000


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every plain text goes to the conversation, which decides what it means (bot/conversation.py)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    person = await person_of(update, context)
    await services(context).conversation.text(person, message.chat.id, message.text[:MAX_TEXT],
                                              update_id=update.update_id, message_id=message.message_id)


def _media(message) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    if message.photo:
        return "photo", message.photo[-1].file_id  # the largest size
    for kind in ("voice", "video", "document"):
        item = getattr(message, kind)
        if item:
            return kind, item.file_id
    if message.audio:
        return "document", message.audio.file_id
    if message.video_note:
        return "video", message.video_note.file_id
    return None


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A caption is words like any text; a voice note or photo alone joins the open request or is
    one; a file is never a request."""
    s = services(context)
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    media = _media(message)
    assert media is not None
    kind, file_id = media
    if kind == "document":
        await s.desk.document(person, message.chat.id)
    elif message.caption:
        await s.desk.report(person, message.chat.id, message.caption[:MAX_TEXT], update_id=update.update_id,
                            message_id=message.message_id, attachment=media)
    elif kind in ("voice", "photo", "video"):
        await s.desk.media_request(person, message.chat.id, kind, file_id, update_id=update.update_id,
                                   message_id=message.message_id)
    elif await s.desk.attach(person, message.chat.id, kind, file_id) is None:
        await s.desk.reply(person, message.chat.id, "media_needs_words", kind=kind)


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.location is not None
    person = await person_of(update, context)
    where = f"📍 {message.location.latitude:.5f}, {message.location.longitude:.5f}"
    await services(context).desk.add_address(person, message.chat.id, where)


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    s = services(context)
    message = update.effective_message
    assert message is not None and message.contact is not None
    person = await person_of(update, context)
    contact = message.contact
    queue = person.step_data.get("queue") or []
    if person.step == "profile" and queue and queue[0] == "phone" and contact.user_id == person.telegram_id:
        await s.registration.answer(person, message.chat.id, phone=contact.phone_number)
    elif person.step == "profile" and queue and queue[0] == "contact":
        name = " ".join(filter(None, [contact.first_name, contact.last_name]))
        await s.registration.answer(person, message.chat.id, text=f"{name} {contact.phone_number}")
    else:
        await s.desk.reply(person, message.chat.id, "contact_unexpected")


async def on_sticker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    await services(context).desk.reply(person, message.chat.id, "sticker_reply")


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.edited_message
    assert message is not None
    person = await person_of(update, context)
    text = (message.text or message.caption or "")[:MAX_TEXT]
    await services(context).desk.edited(person, message.chat.id, message.message_id, text)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    person = await person_of(update, context)
    await services(context).desk.status(person, message.chat.id)


async def on_ticket_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The resident's buttons on their own ticket: fixed / not yet, cancel / keep it."""
    press = press_of(update)
    person = await person_of(update, context)
    desk = services(context).desk
    action, ticket_id = press.parts[0], int(press.parts[1])
    if action == "cancel":  # cancel:N:R, R the ticket's urgency when the question was asked
        answer = await desk.cancel(person, ticket_id, press.message_id, asked_at=int(press.parts[2]))
    else:
        move = {"fixed": desk.confirm_fixed, "notyet": desk.not_fixed, "keep": desk.keep}[action]
        answer = await move(person, ticket_id, press.message_id)
    await toast(context, press, person, answer)


async def on_as_new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = press_of(update)
    person = await person_of(update, context)
    answer = await services(context).desk.update_as_new(person, press.chat_id, int(press.parts[1]), press.message_id)
    await toast(context, press, person, answer)


async def on_rate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = press_of(update)
    person = await person_of(update, context)
    answer = await services(context).desk.rate(person, int(press.parts[1]), int(press.parts[2]), press.message_id)
    await toast(context, press, person, answer)


async def on_no_comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = press_of(update)
    person = await person_of(update, context)
    if person.step == "rating_comment" and str(person.step_data.get("ticket_id")) == press.parts[1]:
        await services(context).desk.comment(person, None)
    await press.query.answer()


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("status", status, filters=private))
    application.add_handler(CallbackQueryHandler(on_ticket_answer, pattern=r"^((fixed|notyet|keep):\d{1,9}|cancel:\d{1,9}:[0-3])$"))
    application.add_handler(CallbackQueryHandler(on_as_new, pattern=r"^asnew:\d{1,12}$"))
    application.add_handler(CallbackQueryHandler(on_rate, pattern=r"^rate:\d{1,9}:[1-5]$"))
    application.add_handler(CallbackQueryHandler(on_no_comment, pattern=r"^nocomment:\d{1,9}$"))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, on_edited))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.TEXT & ~filters.COMMAND,
                                           on_text))
    media = filters.PHOTO | filters.VOICE | filters.VIDEO | filters.Document.ALL | filters.AUDIO | filters.VIDEO_NOTE
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & media, on_media))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.LOCATION, on_location))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.CONTACT, on_contact))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.Sticker.ALL, on_sticker))
