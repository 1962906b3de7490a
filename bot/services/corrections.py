"""An admin corrects the triage: the ticket follows the committee's verdict, and the correction
is kept as a labelled example (exported with `frontdesk triage corrections`)."""

from __future__ import annotations

from bot.core import RANK, detect_language, lifecycle
from bot.delivery import Lane
from bot.services.alerts import Alerts
from bot.services.base import Service, Ticket
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, tickets as repo, triage as triage_repo


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
                await self._relabel(tx, person, chat_id, before, urgency or before["urgency"],
                                    category or before["category"])
        self.outbox.kick()

    async def _relabel(self, tx: Tx, person: Person, chat_id: int, before: Ticket, urgency: str,
                       category: str) -> None:
        now = self.clock.now()
        ticket_id = before["id"]
        await repo.update(tx, ticket_id, {"urgency": urgency, "category": category}, now)
        await repo.add_event(tx, ticket_id, "triage_corrected", now, person.telegram_id, person.display_name,
                             f"{before['urgency']}/{before['category']} -> {urgency}/{category}")
        await triage_repo.add_correction(tx, {
            "ticket_id": ticket_id, "text": before["text"], "lang": detect_language(before["text"]),
            "from_urgency": before["urgency"], "from_category": before["category"], "urgency": urgency,
            "category": category, "by_id": person.telegram_id, "by_name": person.display_name, "at": now,
        })
        ticket = await repo.get(tx, ticket_id)
        assert ticket is not None
        raised = RANK[urgency] > RANK[before["urgency"]]
        realert = raised and ticket["status"] == lifecycle.OPEN
        if realert:
            await self.alerts.alert(tx, ticket)
        if raised and urgency == "emergency" and ticket["status"] in lifecycle.ACTIVE:
            await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "raised_to_emergency",
                                   lane=Lane.EMERGENCY, purpose="update", ticket_id=ticket_id, ticket=ticket,
                                   numbers=self.numbers(category))
        await self.alerts.tell(tx, "triage_corrected", ticket, before=before)
        await self.outbox.say(tx, chat_id, person.lang, "triage_corrected", ticket=ticket, before=before,
                              realerted=realert)
