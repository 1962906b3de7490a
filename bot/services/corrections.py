"""Corrections of the triage: an admin's verdict, a resident's "🚨 This is an emergency", and the
answer (or the silence) to "is someone hurt or in danger right now?". The ticket follows, and each
correction is kept as a labelled example (`frontdesk triage corrections`, then `triage train`)."""

from __future__ import annotations

import json

from bot.core import DANGER_FLOOR, RANK, detect_language, lifecycle
from bot.delivery import Lane
from bot.services.alerts import Alerts
from bot.services.base import Answer, Service, Ticket
from bot.services.followup import urgency_raised
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, tickets as repo, triage as triage_repo

DANGER_WAIT = 120.0  # seconds: no answer to "is someone in danger?" after a danger word counts as yes


class Corrections(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts

    async def correct(self, person: Person, chat_id: int, ticket_id: int, urgency: str | None,
                      category: str | None) -> None:
        """An admin's verdict replaces the engine's: the ticket follows it (a raised, unclaimed
        ticket is alerted again at its new level), and the correction is kept as a labelled example."""
        async with self.db.transaction() as tx:
            before = await repo.get(tx, ticket_id)
            if before is None:
                await self.outbox.say(tx, chat_id, person.lang, "unknown_ticket", number=ticket_id)
            elif (urgency or before["urgency"], category or before["category"]) == (before["urgency"],
                                                                                  before["category"]):
                await self.outbox.say(tx, chat_id, person.lang, "triage_unchanged", ticket=before)
            else:
                ticket, realert = await self._relabel(tx, person, before, urgency or before["urgency"],
                                                      category or before["category"])
                await self.outbox.say(tx, chat_id, person.lang, "triage_corrected", ticket=ticket, before=before,
                                      realerted=realert)
        self.outbox.kick()

    async def _reporters_active_ticket(self, tx: Tx, person: Person, ticket_id: int) -> Ticket | Answer:
        """The resident's own ticket while it is still open; a press on an ended one is stale."""
        ticket = await self.reporters_ticket(tx, person, ticket_id)
        if not isinstance(ticket, Answer) and ticket["status"] not in lifecycle.ACTIVE:
            return Answer("toast_stale", {"ticket": ticket}, alert=True)
        return ticket

    async def sos(self, person: Person, ticket_id: int) -> Answer:
        """The resident pressed "🚨 This is an emergency" under our answer: it is one, now."""
        async with self.db.transaction() as tx:
            before = await self._reporters_active_ticket(tx, person, ticket_id)
            if isinstance(before, Answer):
                return before
            if before["urgency"] != "emergency":
                await self._relabel(tx, person, before, "emergency", before["category"])
        self.outbox.kick()
        return Answer("toast_raised", {"ticket": before})

    async def answer_danger(self, person: Person, ticket_id: int, yes: bool, message_id: int | None) -> Answer:
        """The answer to "is someone hurt or in danger right now?": yes makes it an emergency."""
        async with self.db.transaction() as tx:
            before = await self._reporters_active_ticket(tx, person, ticket_id)
            if isinstance(before, Answer):
                return before
            if before["danger_answer"] is not None:  # answered already (or the wait ran out)
                return Answer("toast_stale_button", alert=True)
            ticket = await self._answer(tx, person, before, "yes" if yes else "no")
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, before["lang"], "danger_answered", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id, ticket=ticket,
                                       yes=yes)
        self.outbox.kick()
        return Answer()

    async def danger_unanswered(self) -> int:
        """The tick: questions nobody answered in DANGER_WAIT. After a danger word ("血", "help")
        silence counts as yes; otherwise the ticket stays as it is. Returns how many timed out."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            waiting = await repo.unanswered_danger_questions(tx, now - DANGER_WAIT)
            for ticket in waiting:
                reasons = json.loads(ticket["triage_reasons"] or "[]")
                danger_word = bool(reasons) and reasons[0].startswith(DANGER_FLOOR)
                system = Person(0, "", ticket["lang"], False)
                await self._answer(tx, system, ticket, "silent", raise_it=danger_word)
        if waiting:
            self.outbox.kick()
        return len(waiting)

    async def _answer(self, tx: Tx, person: Person, before: Ticket, answer: str,
                      raise_it: bool | None = None) -> Ticket:
        now = self.clock.now()
        await repo.update(tx, before["id"], {"danger_answer": answer}, now)
        await repo.add_event(tx, before["id"], "danger_answer", now, person.telegram_id or None,
                             person.display_name or None, answer)
        if (answer == "yes" if raise_it is None else raise_it) and before["urgency"] != "emergency":
            ticket, _ = await self._relabel(tx, person, before, "emergency", before["category"])
            return ticket
        fresh = await repo.get(tx, before["id"])
        assert fresh is not None
        return fresh

    async def _relabel(self, tx: Tx, person: Person, before: Ticket, urgency: str,
                       category: str) -> tuple[Ticket, bool]:
        """The ticket takes the new label; raised and unclaimed, it is alerted again; raised to an
        emergency, the resident is told the number to call. Returns (ticket, alerted again)."""
        now = self.clock.now()
        ticket_id = before["id"]
        await repo.update(tx, ticket_id, {"urgency": urgency, "category": category}, now)
        await repo.add_event(tx, ticket_id, "triage_corrected", now, person.telegram_id or None,
                             person.display_name or None,
                             f"{before['urgency']}/{before['category']} -> {urgency}/{category}")
        if person.telegram_id:  # silence (the system) is not a judgement to learn from
            await triage_repo.add_correction(tx, {
                "ticket_id": ticket_id, "text": before["text"], "lang": detect_language(before["text"]),
                "from_urgency": before["urgency"], "from_category": before["category"], "urgency": urgency,
                "category": category, "by_id": person.telegram_id, "by_name": person.display_name, "at": now,
            })
        ticket = await repo.get(tx, ticket_id)
        assert ticket is not None
        raised = RANK[urgency] > RANK[before["urgency"]]
        if raised:
            await urgency_raised(tx, self.settings, ticket, now)
        realert = raised and ticket["status"] == lifecycle.OPEN
        if realert:
            await self.alerts.alert(tx, ticket)
        if raised and urgency == "emergency" and ticket["status"] in lifecycle.ACTIVE:
            await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "raised_to_emergency",
                                   lane=Lane.EMERGENCY, purpose="update", ticket_id=ticket_id, ticket=ticket,
                                   numbers=self.numbers(category))
        await self.alerts.tell(tx, "triage_corrected", ticket, before=before)
        return ticket, realert
