"""The conversation: what a person's text means here and now, and who handles it.

Intent before slot. Whatever the bot is waiting for (an address, a rating comment, a
registration answer), a text is first read (`bot.intent`): an answer that fits the question
is taken; a problem becomes a request, or an update of the open request it is about; cancel,
thanks and greetings get their own answers. The question still pending is asked again after
anything that was not its answer, so nothing is swallowed and nothing is forgotten.
"""

from __future__ import annotations

from bot import intent
from bot.desk import Desk
from bot.intent import Move, OpenTicket
from bot.people import Person
from bot.registration import Registration


class Conversation:
    def __init__(self, desk: Desk, registration: Registration) -> None:
        self.desk = desk
        self.registration = registration

    async def text(self, person: Person, chat_id: int, text: str, *, update_id: int | None = None,
                   message_id: int | None = None) -> Move:
        said = intent.read(text, await self.desk.verdict(text))
        ticket, held = await self.desk.thread(person, chat_id)
        open_ticket = OpenTicket(ticket["id"], ticket["status"], ticket["category"]) if ticket else None
        queue = person.step_data.get("queue") or []
        question = queue[0] if person.step == "profile" and queue else None
        move = intent.decide(said, person.step, question, open_ticket, bool(held))
        desk = self.desk
        if move is Move.ANSWER:
            if person.step == "ticket_address":
                await desk.add_address(person, chat_id, text)
                if said.named and ticket is not None:  # "5号楼2单元301，水还在漏": the address and more
                    await desk.add_update(person, chat_id, ticket["id"], text)
            elif person.step == "rating_comment":
                await desk.comment(person, text)
            else:
                await self.registration.answer(person, chat_id, text=text)
            return move
        if move is Move.NEW:
            await desk.report(person, chat_id, text, update_id=update_id, message_id=message_id)
        elif move is Move.RELAY:
            await desk.offer_relay(person, chat_id, text, held)
        elif ticket is not None and move is Move.UPDATE:
            await desk.add_update(person, chat_id, ticket["id"], text)
        elif ticket is not None and move is Move.ASK_CANCEL:
            await desk.ask_cancel(person, chat_id, ticket["id"], text)
        elif ticket is not None and move in (Move.CONFIRM, Move.NOT_FIXED):
            close = desk.confirm_fixed if move is Move.CONFIRM else desk.not_fixed
            answer = await close(person, ticket["id"], None)
            if answer.alert and answer.template:  # refused (it changed meanwhile): say so, never silence
                await desk.reply(person, chat_id, answer.template, **(answer.context or {}))
        elif move is Move.THANKS:
            await desk.thanks(person, chat_id, ticket["id"] if ticket else None, text)
        elif move is Move.GREETING:
            await desk.greet(person, chat_id)
        elif move is Move.NOTHING_OPEN:
            await desk.reply(person, chat_id, "nothing_open")
        await self._ask_again(person, chat_id, move)
        return move

    async def _ask_again(self, person: Person, chat_id: int, move: Move) -> None:
        """The question still waiting (if this message did not replace it) is asked again."""
        now = await self.desk.who(person.telegram_id, person.first_name)
        if now.step != person.step or now.step_data != person.step_data or now.step in (None, "relay"):
            return
        if move is Move.CONFIRM:
            return  # the rating question that follows is the newest question
        if now.step in ("profile", "language"):
            await self.registration.ask_again(person, chat_id)
        else:
            await self.desk.ask_again(person, chat_id)
