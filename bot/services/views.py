"""What people look up: a resident's open requests, a volunteer's tickets, the admins' list and
a ticket's full history."""

from __future__ import annotations

import json

from bot.clock import local_time
from bot.services.base import Service
from bot.services.people import Person
from storage import residents as residents_repo, tickets as repo


class Views(Service):
    async def status(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, person.lang, "status", tickets=await repo.open_for_reporter(tx, chat_id))
        self.outbox.kick()

    async def my_tickets(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            if not person.volunteer:
                await self.outbox.say(tx, chat_id, person.lang, "not_volunteer")
            else:
                await self.outbox.say(tx, chat_id, person.lang, "mytickets",
                                      tickets=await repo.held_by(tx, person.volunteer["id"]))
        self.outbox.kick()

    async def ticket_list(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, person.lang, "admin_tickets", tickets=await repo.open_tickets(tx, 30),
                                  total=await repo.count_open(tx))
        self.outbox.kick()

    async def ticket_detail(self, person: Person, chat_id: int, ticket_id: int) -> None:
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            if ticket is None:
                await self.outbox.say(tx, chat_id, person.lang, "unknown_ticket", number=ticket_id)
            else:
                events = await repo.events(tx, ticket_id)
                resident = await residents_repo.by_id(tx, ticket["resident_id"]) if ticket["resident_id"] else None
                tz = self.settings.timezone
                await self.outbox.say(
                    tx, chat_id, person.lang, "admin_ticket", ticket=ticket, resident=resident,
                    reasons=json.loads(ticket["triage_reasons"]),
                    events=[{**e, "when": local_time(e["at"], tz)} for e in events],
                    created=local_time(ticket["created_at"], tz),
                )
        self.outbox.kick()
