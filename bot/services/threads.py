"""The thread of an open request: more words about it, cancelling it, thanks, a greeting, and
the question still waiting, asked again."""

from __future__ import annotations

from typing import Any

from bot.core import RANK, lifecycle
from bot.delivery import Lane, buttons
from bot.services.alerts import Alerts
from bot.services.base import Answer, Service, Ticket
from bot.services.followup import urgency_raised
from bot.services.intake import Intake
from bot.services.kit import Kit
from bot.services.people import Person
from bot.services.throttle import Throttle
from storage import tickets as repo, users as users_repo


class Threads(Service):
    def __init__(self, kit: Kit, alerts: Alerts, intake: Intake, throttle: Throttle | None = None) -> None:
        super().__init__(kit)
        self.alerts = alerts
        self.intake = intake
        self.throttle = throttle

    async def open_requests(self, person: Person, chat_id: int) -> tuple[list[Ticket], list[Ticket]]:
        """The sender's open requests (newest first), and the tickets they hold as a volunteer."""
        async with self.db.transaction() as tx:
            tickets = await repo.open_for_reporter(tx, chat_id)
            held = await repo.held_by(tx, person.volunteer["id"]) if person.volunteer else []
        return tickets, held

    async def add_update(self, person: Person, chat_id: int, ticket_id: int, text: str, *,
                         message_id: int | None = None, quiet: bool = False) -> bool:
        """More words about the open request: noted on it, shown in /ticket, passed to the
        volunteer who holds it. Words that make it more urgent raise it (and alert again if
        nobody has it yet; an emergency tells the resident to call now). `quiet` (held back by
        the throttle): only noted, unless the words raise it. True when they raised it."""
        now = self.clock.now()
        verdict = await self.intake.verdict(text)
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            if ticket is None or ticket["reporter_chat_id"] != chat_id:
                return False
            event_id = await repo.add_event(tx, ticket_id, "update", now, person.telegram_id, person.display_name,
                                            text[:1000])
            if message_id is not None:  # so an edit of these words finds the ticket
                await repo.link_message(tx, chat_id, message_id, ticket_id)
            raised = RANK[verdict.urgency] > RANK[ticket["urgency"]]
            if quiet and not raised:
                return False
            if raised:
                await repo.update(tx, ticket_id, {"urgency": verdict.urgency}, now)
                await repo.add_event(tx, ticket_id, "raised", now, None, None,
                                     f"{ticket['urgency']}/{ticket['category']} -> {verdict.urgency}/{ticket['category']}")
                ticket = await repo.get(tx, ticket_id)
                assert ticket is not None
                await urgency_raised(tx, self.settings, ticket, now)
            # Taking words as an update is a guess: one press makes them a request of their own
            # (not when the throttle held them back: that press would open the ticket it withheld).
            await self.outbox.post(tx, chat_id, ticket["lang"], "update_noted",
                                   lane=Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.REPLY,
                                   purpose="reply", ticket_id=ticket_id, ticket=ticket, raised=raised,
                                   numbers=self.numbers(ticket["category"]),
                                   buttons=None if quiet else [[("as_new", buttons.AS_NEW.data(event_id))]])
            await self.alerts.tell(tx, "update", ticket, text=text)
            if raised and ticket["status"] == lifecycle.OPEN:
                await self.alerts.alert(tx, ticket)
        self.outbox.kick()
        return raised

    async def about_a_ticket(self, chat_id: int, message_id: int) -> bool:
        """Does this message belong to an unfinished ticket (an edit of it is read by `edited`)?"""
        async with self.db.transaction() as tx:
            ticket = await repo.by_message(tx, chat_id, message_id)
        return ticket is not None and ticket["status"] in lifecycle.ACTIVE

    async def edited(self, person: Person, chat_id: int, message_id: int, text: str, quiet: bool = False) -> bool:
        """An edit of a message that made an unfinished ticket, or was added to one, is read again:
        words that are more urgent raise the ticket (the edited words name its category) and alert
        again as that urgency, as more words would; less urgent ones never lower it (a person
        does). The edit is in the history and goes to the volunteer who holds the ticket. False
        when the message belongs to no unfinished ticket. `quiet` (a burst of edits, see Throttle):
        only noted, unless the words raise the ticket."""
        now = self.clock.now()
        verdict = await self.intake.verdict(text)
        async with self.db.transaction() as tx:
            ticket = await repo.by_message(tx, chat_id, message_id)
            if ticket is None or ticket["status"] not in lifecycle.ACTIVE:
                return False
            before = ticket
            await repo.add_event(tx, ticket["id"], "edited", now, person.telegram_id, person.display_name, text[:1000])
            raised = RANK[verdict.urgency] > RANK[ticket["urgency"]]
            if raised:
                category = verdict.category if verdict.names_a_problem else ticket["category"]
                await repo.update(tx, ticket["id"], {"urgency": verdict.urgency, "category": category}, now)
                await repo.add_event(tx, ticket["id"], "raised", now, None, None,
                                     f"{before['urgency']}/{before['category']} -> {verdict.urgency}/{category}")
                ticket = await repo.get(tx, ticket["id"])
                assert ticket is not None
                await urgency_raised(tx, self.settings, ticket, now)
            elif quiet:
                return True
            await self.outbox.post(tx, chat_id, ticket["lang"], "edit_noted",
                                   lane=Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.REPLY,
                                   purpose="reply", ticket_id=ticket["id"], ticket=ticket, raised=raised,
                                   kept=RANK[verdict.urgency] < RANK[ticket["urgency"]],
                                   numbers=self.numbers(ticket["category"]))
            await self.alerts.tell(tx, "edited", ticket, text=text, raised=raised)
            if raised and ticket["status"] == lifecycle.OPEN:
                await self.alerts.alert(tx, ticket)
        self.outbox.kick()
        return True

    async def describe(self, person: Person, chat_id: int, ticket_id: int, text: str, *,
                       message_id: int | None = None) -> None:
        """The answer to "what is wrong?" after "I need help": the ticket takes what the words name
        (their category, and their urgency if higher) and the words go to its volunteer."""
        verdict = await self.intake.verdict(text)
        async with self.db.transaction() as tx:
            await users_repo.set_step(tx, person.telegram_id, None, {}, self.clock.now())
            ticket = await repo.get(tx, ticket_id)
            if ticket is not None and verdict.names_a_problem and ticket["category"] != verdict.category:
                await repo.update(tx, ticket_id, {"category": verdict.category}, self.clock.now())
        await self.add_update(person, chat_id, ticket_id, text, message_id=message_id)

    async def update_as_new(self, person: Person, chat_id: int, event_id: int, message_id: int | None) -> Answer:
        """"It's a new request": the words taken as an update become a ticket of their own."""
        async with self.db.transaction() as tx:
            found = await repo.event(tx, event_id)
            if found is None or found["kind"] != "update" or found["actor_id"] != person.telegram_id:
                return Answer("toast_stale_button", alert=True)
            if self.throttle is not None and await self.throttle.capped(tx, chat_id):
                return Answer("toast_capped", {"cap": self.throttle.policy.tickets_per_hour}, alert=True)
            await repo.mark_event(tx, event_id, "update_moved")
            if message_id is not None:
                await self.outbox.edit(tx, chat_id, person.lang, "update_moved", lane=Lane.REPLY, purpose="reply",
                                       message_id=message_id, ticket_id=found["ticket_id"])
        await self.intake.report(person, chat_id, found["detail"] or "")
        return Answer()

    async def ask_cancel(self, person: Person, chat_id: int, ticket_id: int, text: str) -> None:
        """"不用来了", "it's working again": ask before cancelling, with buttons. The button
        remembers how urgent the ticket was, so it cannot cancel a ticket that got worse since."""
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            if ticket is None:
                return
            await repo.add_event(tx, ticket_id, "update", self.clock.now(), person.telegram_id, person.display_name,
                                 text[:1000])
            keyboard = [[("cancel_yes", buttons.CANCEL.data(ticket_id, RANK[ticket["urgency"]])),
                         ("cancel_no", buttons.KEEP.data(ticket_id))]]
            await self.outbox.say(tx, chat_id, ticket["lang"], "ask_cancel", ticket_id=ticket_id, ticket=ticket,
                                  buttons=keyboard)
        self.outbox.kick()

    async def cancel(self, person: Person, ticket_id: int, message_id: int | None, asked_at: int = 3) -> Answer:
        """The resident confirmed: no one needs to come. Every alert says so; the volunteer is told.
        A question asked before the ticket became more urgent (`asked_at`, its rank then) no longer
        cancels it: a flood is not the drip the resident wanted to cancel."""
        async with self.db.transaction() as tx:
            current = await repo.get(tx, ticket_id)
            if current is not None and RANK[current["urgency"]] > asked_at:
                return Answer("toast_changed", {"ticket": current}, alert=True)
            moved = await self.move(tx, person, ticket_id, "cancel", {"closed_at": self.clock.now()}, "reporter")
            if isinstance(moved, Answer):
                return moved
            _, ticket = moved
            await self.alerts.close(tx, ticket, "alert_cancelled")
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, ticket["lang"], "cancelled_for_resident",
                                       lane=Lane.REPLY, purpose="reply", message_id=message_id, ticket_id=ticket_id,
                                       ticket=ticket)
            await self.alerts.tell(tx, "cancelled", ticket)
        self.outbox.kick()
        return Answer("toast_cancelled")

    async def keep(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            ticket = await self.reporters_ticket(tx, person, ticket_id)
            if isinstance(ticket, Answer):
                return ticket
            if ticket["status"] not in lifecycle.ACTIVE:
                return await self.stale(tx, ticket_id)
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, ticket["lang"], "kept_for_resident", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id, ticket=ticket)
        self.outbox.kick()
        return Answer()

    async def thanks(self, person: Person, chat_id: int, ticket_id: int | None, text: str) -> None:
        """Thanks: noted on the open request and passed to its volunteer; answered kindly."""
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id) if ticket_id else None
            if ticket is not None:
                await repo.add_event(tx, ticket["id"], "thanks", self.clock.now(), person.telegram_id,
                                     person.display_name, text[:1000])
                await self.alerts.tell(tx, "thanks", ticket, text=text)
            await self.outbox.say(tx, chat_id, person.lang, "thanks_reply", ticket=ticket)
        self.outbox.kick()

    async def greet(self, person: Person, chat_id: int) -> None:
        """A greeting gets a short menu (and where their requests stand), not a ticket."""
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, person.lang, "greeting", me=person,
                                  tickets=await repo.open_for_reporter(tx, chat_id))
        self.outbox.kick()

    async def ask_again(self, person: Person, chat_id: int) -> None:
        """The question the bot was waiting on, asked again after a message that was not its answer."""
        async with self.db.transaction() as tx:
            ticket_id = person.step_data.get("ticket_id")
            ticket = await repo.get(tx, int(ticket_id)) if ticket_id else None
            again: dict[str, Any] = {"ticket_id": ticket["id"], "ticket": ticket, "again": True} if ticket else {}
            if person.step == "ticket_address" and ticket:
                await self.outbox.say(tx, chat_id, person.lang, "ask_address", **again)
            elif person.step == "rating_comment" and ticket:
                await self.outbox.say(tx, chat_id, ticket["lang"], "ask_comment", **again,
                                      buttons=[[("skip", buttons.NO_COMMENT.data(ticket["id"]))]])
        self.outbox.kick()
