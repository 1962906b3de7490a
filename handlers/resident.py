"""Residents: plain words go to the conversation; photos and voice notes are requests or join
them; buttons close the loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Message
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.core import intent
from bot.delivery import buttons
from handlers.common import Incoming, Press, answer_with, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person

MAX_TEXT = 4000


@message_handler
async def on_text(s: "Services", person: "Person", msg: Incoming) -> None:
    """Every plain text goes to the conversation, which decides what it means, unless the person
    pressed 💬 Message / 💬 Reply just before (a resident's emergency still goes to the conversation)."""
    text = (msg.message.text or "")[:MAX_TEXT]
    if await s.relays.pass_on(person, msg.chat_id, text):
        return
    await s.conversation.text(person, msg.chat_id, text, update_id=msg.update_id, message_id=msg.message.message_id)


def _media(message: Message) -> tuple[str, str] | None:
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


@message_handler
async def on_media(s: "Services", person: "Person", msg: Incoming) -> None:
    """A caption is words like any text; a voice note or photo alone joins the open request or is
    one; a file is never a request."""
    media = _media(msg.message)
    assert media is not None
    kind, file_id = media
    await s.checkins.sign_of_life(person, kind)  # a resident whose check-in waits is there
    if kind == "document":
        await s.intake.document(person, msg.chat_id)
    elif msg.message.caption and not intent.is_blank(msg.message.caption):  # a blank caption is no words
        await s.intake.report(person, msg.chat_id, msg.message.caption[:MAX_TEXT], update_id=msg.update_id,
                              message_id=msg.message.message_id, attachment=media)
    elif kind in ("voice", "photo", "video"):
        await s.intake.media_request(person, msg.chat_id, kind, file_id, update_id=msg.update_id,
                                     message_id=msg.message.message_id)
    elif await s.intake.attach(person, msg.chat_id, kind, file_id) is None:
        await s.inbox.reply(person, msg.chat_id, "media_needs_words", kind=kind)


@message_handler
async def on_location(s: "Services", person: "Person", msg: Incoming) -> None:
    location = msg.message.location
    assert location is not None
    await s.intake.add_address(person, msg.chat_id, f"📍 {location.latitude:.5f}, {location.longitude:.5f}")


@message_handler
async def on_contact(s: "Services", person: "Person", msg: Incoming) -> None:
    contact = msg.message.contact
    assert contact is not None
    queue = person.step_data.get("queue") or []
    asked = queue[0] if person.step == "profile" and queue else None
    if asked == "phone":
        # only the sender's own contact (the button) is Telegram's proof; a card from the address
        # book is taken like a typed number
        await s.registration.answer(person, msg.chat_id, phone=contact.phone_number,
                                    proven=contact.user_id == person.telegram_id)
    elif asked == "contact":
        name = " ".join(filter(None, [contact.first_name, contact.last_name]))
        await s.registration.answer(person, msg.chat_id, text=f"{name} {contact.phone_number}")
    else:
        await s.inbox.reply(person, msg.chat_id, "contact_unexpected")


on_sticker = answer_with("sticker_reply")


@message_handler
async def on_edited(s: "Services", person: "Person", msg: Incoming) -> None:
    text = (msg.message.text or msg.message.caption or "")[:MAX_TEXT]
    await s.conversation.edited(person, msg.chat_id, msg.message.message_id, text, update_id=msg.update_id)


@message_handler
async def status(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.views.status(person, msg.chat_id)


@press_handler
async def on_ticket_answer(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """The resident's buttons on their own ticket: fixed / not yet, cancel / keep it."""
    action, ticket_id = press.parts[0], int(press.parts[1])
    if action == buttons.CANCEL.name:  # cancel:N:R, R the ticket's urgency when the question was asked
        return await s.threads.cancel(person, ticket_id, press.message_id, asked_at=int(press.parts[2]))
    move = {buttons.FIXED.name: s.closing.confirm_fixed, buttons.NOT_YET.name: s.closing.not_fixed,
            buttons.KEEP.name: s.threads.keep}[action]
    return await move(person, ticket_id, press.message_id)


@press_handler
async def on_as_new(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.threads.update_as_new(person, press.chat_id, int(press.parts[1]), press.message_id)


@press_handler
async def on_sos(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """"🚨 This is an emergency" under our answer."""
    return await s.corrections.sos(person, int(press.parts[1]))


@press_handler
async def on_danger(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """"Is someone hurt or in danger right now?" Yes / No."""
    return await s.corrections.answer_danger(person, int(press.parts[1]), press.parts[2] == "yes", press.message_id)


@press_handler
async def on_rate(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.closing.rate(person, int(press.parts[1]), int(press.parts[2]), press.message_id)


@press_handler
async def on_no_comment(s: "Services", person: "Person", press: Press) -> "Answer | None":
    if person.step == "rating_comment" and str(person.step_data.get("ticket_id")) == press.parts[1]:
        await s.closing.comment(person, None)
    return None


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("status", status, filters=private))
    application.add_handler(CallbackQueryHandler(on_ticket_answer, pattern=buttons.any_of(
        buttons.FIXED, buttons.NOT_YET, buttons.CANCEL, buttons.KEEP)))
    application.add_handler(CallbackQueryHandler(on_as_new, pattern=buttons.AS_NEW.pattern))
    application.add_handler(CallbackQueryHandler(on_sos, pattern=buttons.SOS.pattern))
    application.add_handler(CallbackQueryHandler(on_danger, pattern=buttons.DANGER.pattern))
    application.add_handler(CallbackQueryHandler(on_rate, pattern=buttons.RATE.pattern))
    application.add_handler(CallbackQueryHandler(on_no_comment, pattern=buttons.NO_COMMENT.pattern))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, on_edited))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.TEXT & ~filters.COMMAND,
                                           on_text))
    media = filters.PHOTO | filters.VOICE | filters.VIDEO | filters.Document.ALL | filters.AUDIO | filters.VIDEO_NOTE
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & media, on_media))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.LOCATION, on_location))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.CONTACT, on_contact))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private & filters.Sticker.ALL, on_sticker))
