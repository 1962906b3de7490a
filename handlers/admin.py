"""Admins: teams and invites, buildings and their grids, the admin group, the ticket list, a ticket's
history, triage corrections, the committee's keywords and the link requests (/links). Sub-command words come in Chinese too
(`/team 一队 网格 G1,G2`, `/keyword 删除 化粪池`): see SUBCOMMANDS."""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.core.ticket_end import ticket_number
from bot.delivery import buttons
from bot.services import parse_label
from handlers.common import Context, Handler, Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person

AdminBody = Callable[["Services", "Person", int, list[str]], Awaitable[None]]


# Every sub-command word an admin may type, by what it means. Add a synonym here, not an if.
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "grids": ("grids", "grid", "网格", "负责网格"),
    "add": ("add", "添加", "增加", "新增"),
    "remove": ("remove", "delete", "del", "rm", "删除", "移除", "删掉", "去掉"),
    "list": ("list", "ls", "列表", "列出", "查看", "全部"),
}
# /links approve|reject N: kept apart from SUBCOMMANDS, whose Chinese words are also unglued from names
LINK_WORDS = {**{w: "approve" for w in ("approve", "ok", "yes", "同意", "批准", "通过", "绑定")},
              **{w: "reject" for w in ("reject", "no", "decline", "拒绝", "不同意", "驳回")},
              **{w: "merge" for w in ("merge", "合并")},
              **{w: "keep" for w in ("keep", "保留", "不合并")}}
_MEANING = {word: meaning for meaning, words in SUBCOMMANDS.items() for word in words}


def subcommand(word: str) -> str | None:
    """'网格' -> 'grids', 'DELETE' -> 'remove'; None for a word that is no sub-command."""
    return _MEANING.get(unicodedata.normalize("NFKC", word).strip().lower())


def _unglue(word: str) -> list[str]:
    """'网格G3、G4' -> ['网格', 'G3、G4']: a Chinese sub-command word typed without a space before
    Latin letters or digits; anything else is left alone (a keyword such as 添加剂 stays whole)."""
    folded = unicodedata.normalize("NFKC", word)
    for synonym in sorted(_MEANING, key=len, reverse=True):
        rest = folded[len(synonym):]
        if not synonym.isascii() and folded.startswith(synonym) and rest[:1].isascii() and rest[:1].isalnum():
            return [synonym, rest]
    return [word]


def admin_command(body: AdminBody) -> Handler:
    """A command only admins may run: anyone else is told so. The body gets the services,
    the admin, the chat and the command's words."""

    @message_handler
    @wraps(body)
    async def handler(s: "Services", person: "Person", msg: Incoming) -> None:
        if not person.is_admin:
            await s.inbox.reply(person, msg.chat_id, "admin_only")
            return
        await body(s, person, msg.chat_id, msg.args)

    return handler


def _ticket_number(word: str) -> int | None:
    return ticket_number(word)   # '12', '#12', and '＃１２' as a Chinese keyboard types it


@admin_command
async def invite(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    if not args:
        await s.inbox.reply(person, chat_id, "usage_invite")
    else:
        await s.teams.invite(person, chat_id, " ".join(args))


@admin_command
async def team(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/team | /team TEAM grids G1,G2 (网格); a team's name may have spaces."""
    args = args[:1] + [part for word in args[1:] for part in _unglue(word)]
    at = next((i for i, word in enumerate(args) if i >= 1 and subcommand(word) == "grids"), None)
    if not args or (len(args) == 1 and subcommand(args[0]) == "list"):
        await s.teams.list_teams(person, chat_id)
    elif at is not None and at + 1 < len(args):
        await s.teams.set_grids(person, chat_id, " ".join(args[:at]), " ".join(args[at + 1:]))
    else:
        await s.inbox.reply(person, chat_id, "usage_team")


@admin_command
async def building(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/building | /building 7号楼[,8栋] [grid|网格] G2: buildings and their grids; residents follow."""
    if args:
        args = args[:-1] + _unglue(args[-1])
    if len(args) >= 3 and subcommand(args[-2]) == "grids":
        del args[-2]
    if not args or (len(args) == 1 and subcommand(args[0]) == "list"):
        await s.teams.list_buildings(person, chat_id, s.settings.default_grid)
    elif len(args) >= 2 and subcommand(args[-1]) != "grids":
        await s.teams.set_building(person, chat_id, " ".join(args[:-1]), args[-1])
    else:
        await s.inbox.reply(person, chat_id, "usage_building")


@message_handler
async def ticket_list(s: "Services", person: "Person", msg: Incoming) -> None:
    """/tickets: admins, and grid leaders (their grids' tickets); the service checks who may see what."""
    await s.views.ticket_list(person, msg.chat_id)


@message_handler
async def ticket_detail(s: "Services", person: "Person", msg: Incoming) -> None:
    """/ticket N: admins, and grid leaders for the tickets of their grids (checked by the service,
    before the usage: someone who may not see tickets is told that, not how to ask)."""
    number = _ticket_number(msg.args[0]) if len(msg.args) == 1 else None
    await s.views.ticket_detail(person, msg.chat_id, number)


@admin_command
async def triage(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/triage N URGENCY [CATEGORY]: the committee's verdict replaces the engine's."""
    number = _ticket_number(args[0]) if args else None
    label = parse_label(args[1:], s.renderer) if 2 <= len(args) <= 3 else None
    if number is None or label is None or (label.urgency is None and label.category is None):
        await s.inbox.reply(person, chat_id, "usage_triage")
    else:
        await s.corrections.correct(person, chat_id, number, label.urgency, label.category)


@admin_command
async def keyword(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/keyword list | add TERM URGENCY CATEGORY | remove TERM (列表 | 添加 | 删除, 移除)."""
    action = subcommand(args[0]) if args else "list"
    if action == "list" and len(args) <= 1:
        await s.vocabulary.show(person, chat_id)
    elif action == "add" and len(args) >= 4:
        await s.vocabulary.add(person, chat_id, " ".join(args[1:-2]), args[-2:])
    elif action == "remove" and len(args) >= 2:
        await s.vocabulary.remove(person, chat_id, " ".join(args[1:]))
    else:
        await s.inbox.reply(person, chat_id, "usage_keyword")


@admin_command
async def links(s: "Services", person: "Person", chat_id: int, args: list[str]) -> None:
    """/links | /links approve|reject N (同意 | 拒绝): who asked for which record; /links merge|keep N
    (合并 | 保留): the phone numbers the conversion could not settle."""
    action = (LINK_WORDS.get(args[0].strip().lower()) or subcommand(args[0])) if args else "list"
    number = _ticket_number(args[1]) if len(args) == 2 else None
    if action == "list" and len(args) <= 1:
        await s.identity.listing(person, chat_id)
    elif action in ("approve", "reject") and number is not None:
        answer = await s.identity.decide(person, number, action == "approve")
        await s.inbox.reply(person, chat_id, answer.template or "toast_invalid", **(answer.context or {}))
    elif action in ("merge", "keep") and number is not None:
        await s.identity.settle_number(person, chat_id, number, action == "merge")
    else:
        await s.inbox.reply(person, chat_id, "usage_links")


@press_handler
async def on_link(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """Approve / Reject on a link request (the service checks that an admin pressed)."""
    return await s.identity.decide(person, int(press.parts[1]), press.parts[0] == buttons.LINK_OK.name)


@message_handler
async def set_admin_group(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.teams.set_admin_group(person, msg.chat_id, msg.message.chat.type)


async def chat_migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: Telegram says so in both chats (no person to load: a service
    message). The stored ids follow it."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id:
        await context.services.teams.chat_migrated(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await context.services.teams.chat_migrated(message.migrate_from_chat_id, message.chat.id)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated))
    application.add_handler(CommandHandler("invite", invite))
    application.add_handler(CommandHandler("team", team))
    application.add_handler(CommandHandler("building", building))
    application.add_handler(CommandHandler("tickets", ticket_list))
    application.add_handler(CommandHandler("ticket", ticket_detail))
    application.add_handler(CommandHandler("triage", triage))
    application.add_handler(CommandHandler("keyword", keyword))
    application.add_handler(CommandHandler("set_admin_group", set_admin_group))
    application.add_handler(CommandHandler("links", links))  # names, flats and phones: answered privately
    application.add_handler(CallbackQueryHandler(on_link, pattern=buttons.any_of(buttons.LINK_OK, buttons.LINK_NO)))
