"""Check-ins: /checkin (the resident's plan, or `/checkin 08:30`: a request for other times; admins:
add, remove, show, missing), /away, /visited, /elderly (the desk's list), /allwell (the family),
and the buttons on a question (😊 I'm fine / 🙋 I need help) and on a missed check-in's alert
(Visited). The words are parsed here; the service checks who may do what."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import checkins as rules
from bot.delivery import buttons
from handlers.admin import subcommand
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person

UNTIL = ("until", "till", "to", "到", "至", "直到")
GRACE = ("grace", "宽限", "宽限期")
SHOW = ("show", "显示", "查看计划")
MISSING = ("missing", "未登记", "缺少", "没有计划")


def parse_add(args: list[str]) -> tuple[str, str, str | None, str | None] | None:
    """WHO TIMES [DAYS] [grace 2h] -> (who, times, days, grace); WHO may have spaces."""
    at = next((i for i, word in enumerate(args) if i >= 1 and rules.parse_times(word) is not None), None)
    if at is None:
        # no valid times: the first word with a digit and a colon is the (bad) times, for the answer
        at = next((i for i, word in enumerate(args) if i >= 1 and any(c in word for c in ":：")), None)
    if at is None:
        return None
    rest = args[at + 1:]
    grace = None
    for i, word in enumerate(rest):
        if word.lower() in GRACE and i + 1 < len(rest):
            grace = rest[i + 1]
            rest = rest[:i] + rest[i + 2:]
            break
    return " ".join(args[:at]), args[at], " ".join(rest) or None, grace


@message_handler
async def checkin(s: "Services", person: "Person", msg: Incoming) -> None:
    args = msg.args
    if not args:
        await s.checkins.show(person, msg.chat_id, None)
        return
    action = subcommand(args[0]) or ("show" if args[0].lower() in SHOW else
                                     "missing" if args[0].lower() in MISSING else None)
    if not person.is_admin:
        if action is None:  # /checkin 08:30: a resident asks for other times; an admin decides
            await s.checkin_desk.request_times(person, msg.chat_id, "".join(args))
        else:
            await s.inbox.reply(person, msg.chat_id, "admin_only")
        return
    added = parse_add(args[1:]) if action == "add" and len(args) >= 3 else None
    if added is not None:
        await s.checkins.enrol(person, msg.chat_id, *added)
    elif action == "remove" and len(args) >= 2:
        await s.checkins.remove(person, msg.chat_id, " ".join(args[1:]))
    elif action == "show" and len(args) >= 2:
        await s.checkins.show(person, msg.chat_id, " ".join(args[1:]))
    elif action in ("missing", "list") and len(args) == 1:
        await s.checkins.missing(person, msg.chat_id)
    else:
        await s.inbox.reply(person, msg.chat_id, "usage_checkin")


@message_handler
async def away(s: "Services", person: "Person", msg: Incoming) -> None:
    """/away [WHO] until DATE [reason]."""
    args = msg.args
    at = next((i for i, word in enumerate(args) if word.lower() in UNTIL), None)
    if at is None or at + 1 >= len(args):
        await s.inbox.reply(person, msg.chat_id, "usage_away")
        return
    who = " ".join(args[:at]) or None
    await s.checkins.away(person, msg.chat_id, who, args[at + 1], " ".join(args[at + 2:]) or None)


@message_handler
async def visited(s: "Services", person: "Person", msg: Incoming) -> None:
    """/visited WHO [note]: WHO is a Telegram id, a phone, or a name (then the note follows a
    name of one word; write a note after a full name with " - ")."""
    args = msg.args
    if not args:
        await s.inbox.reply(person, msg.chat_id, "usage_visited")
        return
    text = " ".join(args)
    who, sep, note = text.partition(" - ")
    if not sep:
        who, note = args[0], " ".join(args[1:])
    await s.checkins.visited(person, msg.chat_id, who.strip(), note.strip() or None)


@message_handler
async def elderly(s: "Services", person: "Person", msg: Incoming) -> None:
    """/elderly [GRID]: admins and grid leaders; the service checks who may see which grid."""
    await s.checkin_desk.elderly(person, msg.chat_id, " ".join(msg.args) or None)


@message_handler
async def allwell(s: "Services", person: "Person", msg: Incoming) -> None:
    """/allwell on|off (开|关): a family contact's daily "all well today"."""
    await s.checkin_desk.allwell(person, msg.chat_id, " ".join(msg.args) or None)


@press_handler
async def on_elderly_page(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.checkin_desk.elderly_page(person, press.chat_id, press.message_id, int(press.parts[1]),
                                             press.parts[2])


@press_handler
async def on_request(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.checkin_desk.decide(person, int(press.parts[1]), press.parts[0] == buttons.CHECKIN_REQUEST_OK.name)


@press_handler
async def on_answer(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.checkins.answer(person, int(press.parts[1]), press.parts[0] == buttons.CHECKIN_OK.name)


@press_handler
async def on_visited(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.checkins.visited_button(person, int(press.parts[1]))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("checkin", checkin))
    application.add_handler(CommandHandler("away", away))
    application.add_handler(CommandHandler("visited", visited))
    application.add_handler(CommandHandler("elderly", elderly, filters=filters.ChatType.PRIVATE))  # names stay out of groups
    application.add_handler(CommandHandler("allwell", allwell))
    application.add_handler(CallbackQueryHandler(on_elderly_page, pattern=buttons.ELDERLY_PAGE.pattern))
    application.add_handler(CallbackQueryHandler(on_request, pattern=buttons.any_of(
        buttons.CHECKIN_REQUEST_OK, buttons.CHECKIN_REQUEST_NO)))
    application.add_handler(CallbackQueryHandler(on_answer, pattern=buttons.any_of(
        buttons.CHECKIN_OK, buttons.CHECKIN_HELP)))
    application.add_handler(CallbackQueryHandler(on_visited, pattern=buttons.CHECKIN_VISITED.pattern))
