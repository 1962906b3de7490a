"""Rosters: /shift (admins), /oncall (team members and admins), /duty (volunteers), /cover
(admins), /swap (volunteers) and Accept / Decline on a swap request. The words are parsed here;
the service checks who may do what and whether the values make sense."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.core import roster as rules
from bot.delivery import buttons
from handlers.admin import admin_command, subcommand
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person

UNTIL = ("until", "till", "to", "到", "至", "直到")
OFF = ("off", "休息", "下班", "请假", "暂停")
ON = ("on", "上班", "回来", "恢复")


DASHES = ("-", "–", "—", "~", "～", "至", "到")


def _glue_span(args: list[str]) -> list[str]:
    """`08:00 - 20:00` typed with spaces is one span: `08:00-20:00`."""
    for i in range(len(args) - 2):
        if args[i + 1] in DASHES and rules.parse_time(args[i]) is not None and rules.parse_time(args[i + 2]) is not None:
            return args[:i] + [f"{args[i]}-{args[i + 2]}"] + args[i + 3:]
    return args


def parse_shift(args: list[str]) -> tuple[str, str, str, str] | None:
    """TEAM DAYS HH:MM-HH:MM WHO[,WHO…] -> (team, days, span, who); TEAM and names may have spaces.
    The span is the word that looks like one (even a wrong one, so its answer can name it)."""
    args = _glue_span(args)
    at = next((i for i, word in enumerate(args) if i >= 2 and rules.looks_like_span(word)), None)
    if at is None:
        at = next((i for i, word in enumerate(args) if i >= 2 and any(c in word for c in ":：")), None)
    if at is None or at + 1 >= len(args):
        return None
    return " ".join(args[:at - 1]), args[at - 1], args[at], " ".join(args[at + 1:])


@admin_command
async def shift(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/shift add TEAM DAYS HH:MM-HH:MM WHO[,WHO…] | /shift list [TEAM] | /shift remove N."""
    action = subcommand(args[0]) if args else "list"
    added = parse_shift(args[1:]) if action == "add" else None
    if added is not None:
        await s.rosters.add_shift(person, chat_id, *added)
    elif action == "list":
        await s.rosters.list_shifts(person, chat_id, " ".join(args[1:]) or None)
    elif action == "remove" and len(args) == 2:
        await s.rosters.remove_shift(person, chat_id, args[1])
    else:
        await s.inbox.reply(person, chat_id, "roster", what="usage_shift")


@message_handler
async def oncall(s: "Services", person: "Person", msg: Incoming) -> None:
    """/oncall [GRID]."""
    await s.rosters.oncall(person, msg.chat_id, " ".join(msg.args).strip() or None)


@message_handler
async def duty(s: "Services", person: "Person", msg: Incoming) -> None:
    """/duty off [2h | until 18:00] | /duty on | /duty (where I stand)."""
    word = msg.args[0].lower() if msg.args else None
    action = "off" if word in OFF else "on" if word in ON else None
    rest = msg.args[1:]
    until_ = action == "off" and bool(rest) and rest[0].lower() in UNTIL
    if until_:
        rest = rest[1:]
    if action == "off":
        usable = len(rest) == 1 if until_ else len(rest) <= 1   # "until" needs its time
    else:
        usable = word is None or (action == "on" and not rest)
    if not usable and person.volunteer is not None:
        await s.inbox.reply(person, msg.chat_id, "roster", what="usage_duty")
        return
    # a resident is told that /duty is for volunteers, whatever the words
    await s.rosters.duty(person, msg.chat_id, action if usable else None, rest[0] if usable and rest else None)


@admin_command
async def cover(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/cover GRID WHO until HH:MM (or a duration: 2h)."""
    at = next((i for i, word in enumerate(args) if i >= 2 and word.lower() in UNTIL), None)
    if at is None or at + 2 != len(args):
        await s.inbox.reply(person, chat_id, "roster", what="usage_cover")
        return
    await s.rosters.cover(person, chat_id, args[0], " ".join(args[1:at]), args[at + 1])


@message_handler
async def swap(s: "Services", person: "Person", msg: Incoming) -> None:
    """/swap DATE WHO."""
    if len(msg.args) < 2:
        await s.inbox.reply(person, msg.chat_id, "roster", what="usage_swap")
        return
    await s.rosters.swap(person, msg.chat_id, msg.args[0], " ".join(msg.args[1:]))


@press_handler
async def on_swap(s: "Services", person: "Person", press: Press) -> "Answer | None":
    return await s.rosters.answer_swap(person, press.chat_id, press.message_id, int(press.parts[1]),
                                       press.parts[0] == buttons.SWAP_OK.name)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("shift", shift))
    application.add_handler(CommandHandler("oncall", oncall))
    application.add_handler(CommandHandler("duty", duty))
    application.add_handler(CommandHandler("cover", cover))
    application.add_handler(CommandHandler("swap", swap))
    application.add_handler(CallbackQueryHandler(on_swap, pattern=buttons.any_of(buttons.SWAP_OK, buttons.SWAP_NO)))
