"""Micro-wishes (微心愿): /wish TEXT (a resident), /wish N approve|decline [REASON] (admins),
/wish N adopt [UNIT NAME] (a volunteer; a local unit: admins), /wish N done|giveback (the adopter),
/wish N withdraw|thanks [TEXT] (the resident), /wishes (each sees their own list), and the
buttons under them. Sub-command words come in Chinese too: see WISH_WORDS."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.delivery import buttons
from handlers.common import Incoming, Press, message_handler, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Answer, Person

# every sub-command word of /wish N WORD, by what it means; add a synonym here, not an if
WISH_WORDS: dict[str, tuple[str, ...]] = {
    "approve": ("approve", "ok", "同意", "批准", "通过"),
    "decline": ("decline", "reject", "no", "拒绝", "不同意", "驳回"),
    "adopt": ("adopt", "认领", "领取"),
    "done": ("done", "fulfilled", "fulfil", "fulfill", "完成", "已完成", "办好了"),
    "giveback": ("giveback", "give_back", "back", "退回", "放弃"),
    "withdraw": ("withdraw", "cancel", "撤回", "取消"),
    "thanks": ("thanks", "thank", "感谢", "谢谢"),
}
_MEANING = {word: meaning for meaning, words in WISH_WORDS.items() for word in words}


def _number(word: str) -> int | None:
    word = unicodedata.normalize("NFKC", word).lstrip("#")
    return int(word) if word.isdigit() and len(word) <= 9 else None


def parse(args: list[str]) -> tuple[int, str, str] | None:
    """'/wish 12 decline no budget' -> (12, "decline", "no budget"); None when the words are a
    wish's text ('/wish 2 winter coats' stays a wish)."""
    if len(args) < 2:
        return None
    number = _number(args[0])
    meaning = _MEANING.get(unicodedata.normalize("NFKC", args[1]).strip().lower())
    if number is None or meaning is None:
        return None
    return number, meaning, " ".join(args[2:])


@message_handler
async def wish(s: "Services", person: "Person", msg: Incoming) -> None:
    command = parse(msg.args)
    if command is None and len(msg.args) == 1 and _number(msg.args[0]) is not None:
        await s.inbox.reply(person, msg.chat_id, "wish_usage")   # "/wish 3": a number is no wish
        return
    if command is None:
        await s.wishes.make(person, msg.chat_id, " ".join(msg.args), update_id=msg.update_id)
        return
    number, meaning, rest = command
    work = s.wishes
    if meaning in ("approve", "decline"):
        answer = await work.decide(person, number, meaning == "approve", rest)
    elif meaning == "adopt":
        answer = await work.adopt(person, number, msg.chat_id, rest or None)
    elif meaning == "done":
        answer = await work.fulfil(person, number)
    elif meaning == "giveback":
        answer = await work.give_back(person, number)
    elif meaning == "withdraw":
        answer = await work.withdraw(person, number)
    else:
        answer = await work.confirm(person, number, rest or None) if rest else None
        if answer is None:
            await s.inbox.reply(person, msg.chat_id, "wish_usage")
            return
    # the command's answer is the toast a button would have shown
    await s.inbox.reply(person, msg.chat_id, answer.template or "toast_invalid", **(answer.context or {}))


@message_handler
async def wishes(s: "Services", person: "Person", msg: Incoming) -> None:
    await s.wishes.listing(person, msg.chat_id)


@press_handler
async def on_wish(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """Every wish button: wish:<action>:<wish>; the service checks who pressed and the wish's state."""
    action, number, work = press.parts[1], int(press.parts[2]), s.wishes
    if action in ("ok", "no"):
        return await work.decide(person, number, action == "ok", chat_id=press.chat_id, message_id=press.message_id)
    if action == "adopt":
        return await work.adopt(person, number, press.chat_id)
    if action == "done":
        return await work.fulfil(person, number, press.message_id)
    if action == "back":
        return await work.give_back(person, number, press.message_id)
    if action == "yes":
        return await work.confirm(person, number, message_id=press.message_id)
    if action == "notyet":
        return await work.not_yet(person, number, press.message_id)
    return await work.withdraw(person, number)


@press_handler
async def on_wish_in_list(s: "Services", person: "Person", press: Press) -> "Answer | None":
    """The same moves under a /wishes list (wishl:<action>:<wish>:<page>): the list is shown again."""
    return await s.wishes.from_list(person, press.parts[1], int(press.parts[2]), int(press.parts[3]), press.chat_id,
                                    press.message_id)


def register(application: Application) -> None:
    # /wish and /wishes work in groups too (an admin in the staff group); the service says what
    # needs a private chat (making a wish) and sends lists and contact details privately
    application.add_handler(CommandHandler("wish", wish))
    application.add_handler(CommandHandler("wishes", wishes))
    application.add_handler(CallbackQueryHandler(on_wish, pattern=buttons.WISH.pattern))
    application.add_handler(CallbackQueryHandler(on_wish_in_list, pattern=buttons.WISH_IN_LIST.pattern))
