"""Fair under floods: one person's messages, counted (bot/core/throttle.py decides, the counters
are rows), so a burst opens no more tickets and gets one "please wait", and past the hourly cap
new problems join the person's open request while the admins hear of it once. The conversation
asks before it acts; an emergency never reaches here."""

from __future__ import annotations

from bot.core import throttle as rules
from bot.delivery import Lane
from bot.services.alerts import Alerts
from bot.services.base import Service, Ticket
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, throttle as repo, tickets as tickets_repo


class Throttle(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts
        self.policy = rules.Policy(tickets_per_hour=kit.settings.tickets_per_hour)

    async def note(self, chat_id: int) -> rules.Flow:
        """One more message from this person: counted, and judged."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            made = await tickets_repo.count_made_since(tx, chat_id, now - rules.HOUR)
            counters, flow = rules.note(self.policy, await repo.get(tx, chat_id), now, made)
            await repo.put(tx, chat_id, counters)
        return flow

    async def capped(self, tx: Tx, chat_id: int) -> bool:
        """Has this person opened as many tickets in the last hour as the cap allows?"""
        made = await tickets_repo.count_made_since(tx, chat_id, self.clock.now() - rules.HOUR)
        return made >= self.policy.tickets_per_hour

    async def held(self, person: Person, chat_id: int, flow: rules.Flow, ticket_id: int | None,
                   capped: bool = False, said: bool = False) -> None:
        """A message the throttle held back (its words, if any, are already on `ticket_id`). In a
        burst: "please wait", once per burst. Past the cap (`capped`: a new problem joined the open
        request): said so, unless the words raised the ticket (`said`: that answer was given).
        The admins hear of a flood (a long burst, or the cap) once an hour."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            counters = await repo.get(tx, chat_id)
            ticket = await tickets_repo.get(tx, ticket_id) if ticket_id else None
            numbers = list(self.settings.emergency_numbers.items())  # whoever may be in danger, of whatever
            if flow.burst:
                if flow.wait_due:
                    await self.outbox.post(tx, chat_id, person.lang, "flood_wait", lane=Lane.REPLY, purpose="reply",
                                           ticket_id=ticket_id, ticket=ticket, numbers=numbers)
                    counters = rules.waited(counters, now)
            elif capped and ticket is not None and not said:
                await self.outbox.post(tx, chat_id, person.lang, "flood_capped", lane=Lane.REPLY, purpose="reply",
                                       ticket_id=ticket_id, ticket=ticket, numbers=numbers,
                                       cap=self.policy.tickets_per_hour)
            if (flow.flood or capped) and flow.notice_due:
                await self._tell_admins(tx, person, chat_id, ticket, flow, capped)
                counters = rules.admins_told(counters, now)
            await repo.put(tx, chat_id, counters)
        self.outbox.kick()

    async def over_cap(self, person: Person, chat_id: int, flow: rules.Flow, ticket_id: int) -> None:
        """Past the cap with no open request to join: the ticket was made (a problem must reach a
        person), and the admins hear of the flood once an hour."""
        if not flow.notice_due:
            return
        async with self.db.transaction() as tx:
            ticket = await tickets_repo.get(tx, ticket_id)
            await self._tell_admins(tx, person, chat_id, ticket, flow, True)
            await repo.put(tx, chat_id, rules.admins_told(await repo.get(tx, chat_id), self.clock.now()))
        self.outbox.kick()

    async def _tell_admins(self, tx: Tx, person: Person, chat_id: int, ticket: Ticket | None, flow: rules.Flow,
                           capped: bool) -> None:
        made = await tickets_repo.count_made_since(tx, chat_id, self.clock.now() - rules.HOUR)
        counters = await repo.get(tx, chat_id)
        for admin_chat, lang, _ in await self.alerts.admins(tx):
            await self.outbox.post(tx, admin_chat, lang, "flood_admins", lane=Lane.UPDATE, purpose="flood",
                                   ticket_id=ticket["id"] if ticket else None, ticket=ticket,
                                   who=person.display_name, telegram_id=chat_id, capped=capped, tickets=made,
                                   messages=counters.burst_count if flow.burst else 0,
                                   cap=self.policy.tickets_per_hour)
