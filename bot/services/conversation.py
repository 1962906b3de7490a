"""The conversation: what a person's text means here and now, and who handles it.

Intent before slot. Whatever the bot is waiting for (an address, a rating comment, a
registration answer), a text is first read (`bot.intent`): an answer that fits the question
is taken; a problem becomes a request, or an update of the open request it is about; cancel,
thanks and greetings get their own answers. The question still pending is asked again after
anything that was not its answer, so nothing is swallowed and nothing is forgotten.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.core import intent, lifecycle, throttle
from bot.services.base import Answer
from bot.services.checkins import Checkins
from bot.services.closing import Closing
from bot.services.inbox import Inbox
from bot.services.intake import Intake
from bot.services.people import Person
from bot.services.registration import Registration
from bot.services.threads import Threads
from bot.services.throttle import Throttle
from bot.services.volunteering import Volunteering

Move, OpenTicket = intent.Move, intent.OpenTicket

# In a burst (see Throttle) these say nothing that needs an answer of its own: the words join an
# open request, and the person is told once to wait. Answers to a question, the volunteer's relay,
# closing the loop and every red flag are never held back.
HELD_IN_A_BURST = frozenset({Move.NEW, Move.UPDATE, Move.ASK_CANCEL, Move.THANKS, Move.GREETING, Move.NOTHING,
                             Move.NOTED, Move.NOTHING_OPEN, Move.REASK})


@dataclass(frozen=True)
class Conversation:
    inbox: Inbox
    intake: Intake
    threads: Threads
    closing: Closing
    volunteering: Volunteering
    registration: Registration
    checkins: Checkins | None = None
    throttle: Throttle | None = None

    async def text(self, person: Person, chat_id: int, text: str, *, update_id: int | None = None,
                   message_id: int | None = None) -> Move:
        # -- check-ins (issue #10): a text while a check-in waits is its answer; "我很好" is all it
        # was, anything else is read on below like any message ("dizzy since morning" is a request)
        if self.checkins is not None and await self.checkins.text_answer(person, chat_id, text):
            return Move.ANSWER
        # --
        if intent.is_blank(text):  # spaces, zero-width characters: nothing to act on, nothing to add
            await self.inbox.reply(person, chat_id, "blank_message")
            await self._ask_again(person, chat_id, Move.BLANK)
            return Move.BLANK
        piece = None
        if person.step == "fragment":  # the rest of a sentence typed in pieces
            piece = text
            text = f"{person.step_data.get('text', '')} {text}".strip()
            person = await self.intake.drop_fragment(person)
        verdict = await self.intake.verdict(text)
        said = intent.read(text, verdict)
        if not (person.language_chosen or person.resident or person.volunteer):
            person = dataclasses.replace(person, lang=verdict.lang)  # answer in the language they write
        tickets, held = await self.threads.open_requests(person, chat_id)
        if person.step == "describe" and not any(t["id"] == person.step_data.get("ticket_id") and t["status"] in
                                                 ("open", "claimed") for t in tickets):
            person = await self.intake.drop_fragment(person)  # that request is done: the question has lapsed
        chosen = intent.pick(said, [OpenTicket(t["id"], t["status"], t["category"]) for t in tickets])
        ticket = next((t for t in tickets if chosen and t["id"] == chosen.id), None)
        queue = person.step_data.get("queue") or []
        question = queue[0] if person.step == "profile" and queue else None
        move = intent.decide(said, person.step, question, chosen, bool(held))
        if piece is not None and move is Move.NEW and not said.named and len(text) <= intent.FRAGMENT_MAX:
            if intent.is_fragment(intent.read(piece, await self.intake.verdict(piece))):
                move = Move.FRAGMENT  # still pieces: "我家" "厨房" "那个管子" ...
        if move is Move.ANSWER:
            await self._answer(person, chat_id, text, said, ticket, message_id)
            return move
        if self.throttle is not None and move is not Move.RELAY and not said.red_flag:
            flow = await self.throttle.note(chat_id)
            if await self._hold(person, chat_id, text, move, ticket, tickets, flow, update_id, message_id):
                if not flow.burst:
                    await self._ask_again(person, chat_id, move)
                return move
        threads, reply = self.threads, self.inbox.reply
        if move is Move.NEW:
            await self.intake.report(person, chat_id, text, update_id=update_id, message_id=message_id)
        elif move is Move.RELAY:
            await self.volunteering.offer_relay(person, chat_id, text, held)
        elif ticket is not None and move is Move.UPDATE:
            await threads.add_update(person, chat_id, ticket["id"], text, message_id=message_id)
        elif ticket is not None and move is Move.ASK_CANCEL:
            await threads.ask_cancel(person, chat_id, ticket["id"], text)
        elif ticket is not None and move in (Move.CONFIRM, Move.NOT_FIXED):
            close = self.closing.confirm_fixed if move is Move.CONFIRM else self.closing.not_fixed
            await self._say_refusal(person, chat_id, await close(person, ticket["id"], None))
        elif move is Move.THANKS:
            await threads.thanks(person, chat_id, ticket["id"] if ticket else None, text)
        elif move is Move.GREETING:
            await threads.greet(person, chat_id)
        elif move is Move.NOTHING_OPEN:
            await reply(person, chat_id, "nothing_open")
        elif move is Move.NOTHING:
            await reply(person, chat_id, "sticker_reply")
        elif move is Move.NOTED:
            await reply(person, chat_id, "noted_reply")
        elif move is Move.FRAGMENT:
            await self.intake.hold_fragment(person, chat_id, text)
        await self._ask_again(person, chat_id, move)
        return move

    async def _hold(self, person: Person, chat_id: int, text: str, move: Move, ticket: dict | None,
                    tickets: list[dict], flow: throttle.Flow, update_id: int | None, message_id: int | None) -> bool:
        """One person's flood: True when the throttle took this message. In a burst, a message that
        needs no answer of its own joins the request it is about (a new problem: the newest one
        still waiting for help) and the person is told once to wait; the first problem of a burst,
        with nothing open, is still a request. Past the hourly cap a new problem joins that
        request too, or is one if there is none; the admins hear of the flood once an hour."""
        held_by = self.throttle
        assert held_by is not None
        if move is Move.NEW:
            waiting = [t for t in tickets if t["status"] in (lifecycle.OPEN, lifecycle.CLAIMED)]
            ticket = ticket if ticket in waiting else (waiting[0] if waiting else None)
        if flow.burst and move in HELD_IN_A_BURST and not (move is Move.NEW and ticket is None):
            if ticket is not None:
                await self.threads.add_update(person, chat_id, ticket["id"], text, message_id=message_id, quiet=True)
            await held_by.held(person, chat_id, flow, ticket["id"] if ticket else None,
                               capped=move is Move.NEW and flow.capped)
            return True
        if move is not Move.NEW or not flow.capped:
            return False
        if ticket is None:  # nothing to join: a problem must still reach a person
            made = await self.intake.report(person, chat_id, text, update_id=update_id, message_id=message_id)
            await held_by.over_cap(person, chat_id, flow, made)
        else:
            raised = await self.threads.add_update(person, chat_id, ticket["id"], text, message_id=message_id,
                                                   quiet=True)
            await held_by.held(person, chat_id, flow, ticket["id"], capped=True, said=raised)
        return True

    async def edited(self, person: Person, chat_id: int, message_id: int, text: str, *,
                     update_id: int | None = None) -> None:
        """An edited message. One that made an unfinished ticket, or was added to one, is triaged
        again (see Threads.edited). One that belongs to no open ticket (a greeting, an answer, a
        closed request) is read like a new message when the new words name a problem, so an
        emergency written into an old message is never lost; otherwise the person is asked to
        write anew (we do not go back over what an answer already set)."""
        if intent.is_blank(text):
            await self.inbox.reply(person, chat_id, "blank_message")
            return
        verdict = await self.intake.verdict(text)
        flow = None  # a burst of edits is a burst like any other (an emergency is never held back)
        if (self.throttle is not None and not intent.read(text, verdict).red_flag
                and await self.threads.about_a_ticket(chat_id, message_id)):
            flow = await self.throttle.note(chat_id)  # (any other edit is counted where it is read: text)
        quiet = flow is not None and flow.burst
        if await self.threads.edited(person, chat_id, message_id, text, quiet=quiet):
            if quiet and flow is not None:
                await self.throttle.held(person, chat_id, flow, None)  # type: ignore[union-attr]
        else:
            if verdict.names_a_problem or verdict.urgency in ("emergency", "urgent"):
                await self.text(person, chat_id, text, update_id=update_id, message_id=message_id)
            else:
                await self.inbox.reply(person, chat_id, "edit_not_read")

    async def _say_refusal(self, person: Person, chat_id: int, answer: Answer) -> None:
        """A move refused because the ticket changed meanwhile: said as a message, never silence."""
        if answer.alert and answer.template:
            await self.inbox.reply(person, chat_id, answer.template, **(answer.context or {}))

    async def _answer(self, person: Person, chat_id: int, text: str, said: intent.Said,
                      ticket: dict | None, message_id: int | None) -> None:
        """The answer to the question the bot was waiting on."""
        step = person.step
        if step == "ticket_address":
            await self.intake.add_address(person, chat_id, text)
            if said.named and ticket is not None:  # "5号楼2单元301，水还在漏": the address and more
                await self.threads.add_update(person, chat_id, ticket["id"], text, message_id=message_id)
        elif step == "rating":
            stars = intent.stars_of(text)
            assert stars is not None
            ticket_id = int(person.step_data.get("ticket_id", 0))
            await self._say_refusal(person, chat_id, await self.closing.rate(person, ticket_id, stars, None))
        elif step == "rating_comment":
            await self.closing.comment(person, text)
        elif step == "describe":
            await self.threads.describe(person, chat_id, int(person.step_data.get("ticket_id", 0)), text,
                                        message_id=message_id)
        elif step == "language":
            lang = intent.language_of(text)
            assert lang is not None
            await self.registration.choose_language(person, chat_id, lang)
        else:
            await self.registration.answer(person, chat_id, text=text)

    async def _ask_again(self, person: Person, chat_id: int, move: Move) -> None:
        """The question still waiting (if this message did not replace it) is asked again."""
        step, step_data = await self.inbox.step_of(person.telegram_id)
        if step != person.step or step_data != person.step_data or step in (None, "relay", "rating", "fragment"):
            return  # nothing waiting, a newer question, or buttons that are still there
        if move is Move.CONFIRM:
            return  # the rating question that follows is the newest question
        if step in ("profile", "language"):
            await self.registration.ask_again(person, chat_id)
        else:
            await self.threads.ask_again(person, chat_id)
