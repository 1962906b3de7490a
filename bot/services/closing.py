"""The resident closes the loop: fixed or not yet, stars and a comment; and the tickets nobody
confirms close themselves."""

from __future__ import annotations

from bot.core import lifecycle
from bot.delivery import Lane, buttons
from bot.services.alerts import Alerts
from bot.services.base import Answer, Service
from bot.services.followup import fresh_timer
from bot.services.kit import Kit
from bot.services.people import Person, first_name_of
from storage import tickets as repo, users as users_repo


class Closing(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts

    async def confirm_fixed(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            moved = await self.move(tx, person, ticket_id, "confirm", {"closed_at": self.clock.now()}, "reporter")
            if isinstance(moved, Answer):
                return moved
            found, _ = moved
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, found["lang"], "fixed_thanks", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id, ticket=found)
            # two rows of big buttons: five in a row are too small for an old thumb
            stars = [[(f"star{n}", buttons.RATE.data(ticket_id, n)) for n in (1, 2, 3)],
                     [(f"star{n}", buttons.RATE.data(ticket_id, n)) for n in (4, 5)]]
            await self.outbox.say(tx, person.telegram_id, found["lang"], "ask_rating", ticket_id=ticket_id,
                                  buttons=stars, ticket=found)
            # a typed "5" or "非常满意" is an answer too
            await users_repo.set_step(tx, person.telegram_id, "rating", {"ticket_id": ticket_id}, self.clock.now())
            await self.alerts.tell(tx, "confirmed", found)
        self.outbox.kick()
        return Answer("toast_thanks")

    async def not_fixed(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        """"Not yet": back to the volunteer who did the work (who can still release it); a ticket
        nobody had claimed goes back to the pool and is alerted again."""
        async with self.db.transaction() as tx:
            found = await self.reporters_ticket(tx, person, ticket_id)
            if isinstance(found, Answer):
                return found
            if found["status"] != lifecycle.RESOLVED:  # an old "Not yet": a closed ticket stays closed
                return await self.stale(tx, ticket_id)
            if found["claimed_by"] is not None:
                # back with the same volunteer: their ack timer starts again (bot/services/followup.py)
                moved = await self.move(tx, person, ticket_id, "redo",
                                        {"resolved_at": None, **fresh_timer(self.settings, found["urgency"],
                                                                            self.clock.now())}, "reporter")
            else:
                moved = await self.move(tx, person, ticket_id, "reopen",
                                        {"claimed_by": None, "claimed_at": None, "resolved_at": None}, "reporter")
            if isinstance(moved, Answer):
                return moved
            _, ticket = moved
            await self.alerts.tell(tx, "reopened", ticket)
            said = {"ticket_id": ticket_id, "ticket": ticket, "volunteer": first_name_of(ticket["claimant_name"])}
            if message_id is not None:  # the button: the question itself says what happens now
                await self.outbox.edit(tx, person.telegram_id, ticket["lang"], "reopened_for_resident",
                                       lane=Lane.REPLY, purpose="reply", message_id=message_id, **said)
            else:  # typed ("还没好"): an answer of its own
                await self.outbox.say(tx, person.telegram_id, ticket["lang"], "reopened_for_resident", **said)
            if ticket["status"] == lifecycle.OPEN:
                await self.alerts.alert(tx, ticket)
        self.outbox.kick()
        return Answer("toast_reopened")

    async def close_unconfirmed(self) -> int:
        """Resolved tickets the resident never confirmed close themselves after AUTOCLOSE_DAYS,
        with a note to the resident. Called by the scheduler tick; returns how many closed."""
        now = self.clock.now()
        closed = 0
        async with self.db.transaction() as tx:
            for ticket_id in await repo.resolved_before(tx, now - self.settings.autoclose_days * 86400):
                values = {"status": lifecycle.CLOSED, "closed_at": now}
                if not await repo.change(tx, ticket_id, (lifecycle.RESOLVED,), values, now):
                    continue
                await repo.add_event(tx, ticket_id, "auto_closed", now, None, None,
                                     f"{self.settings.autoclose_days:g}")
                ticket = await repo.get(tx, ticket_id)
                assert ticket is not None
                await self.alerts.tell(tx, "auto_closed", ticket, days=self.settings.autoclose_days)
                closed += 1
        if closed:
            self.outbox.kick()
        return closed

    async def rate(self, person: Person, ticket_id: int, stars: int, message_id: int | None) -> Answer:
        now = self.clock.now()
        if not 1 <= stars <= 5:
            return Answer("toast_invalid", alert=True)
        async with self.db.transaction() as tx:
            found = await self.reporters_ticket(tx, person, ticket_id)
            if isinstance(found, Answer):
                return found
            if found["status"] != lifecycle.CLOSED or found["rating"] is not None:
                return await self.stale(tx, ticket_id)
            await repo.update(tx, ticket_id, {"rating": stars}, now)
            await repo.add_event(tx, ticket_id, "rated", now, person.telegram_id, person.display_name, str(stars))
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, found["lang"], "rated", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id,
                                       ticket=found, stars=stars)
            await self.outbox.say(tx, person.telegram_id, found["lang"], "ask_comment", ticket_id=ticket_id,
                                  buttons=[[("skip", buttons.NO_COMMENT.data(ticket_id))]], ticket=found)
            await users_repo.set_step(tx, person.telegram_id, "rating_comment", {"ticket_id": ticket_id}, now)
        self.outbox.kick()
        return Answer("toast_thanks")

    async def comment(self, person: Person, text: str | None) -> None:
        """The optional words after a rating (None: the resident skipped)."""
        ticket_id = int(person.step_data.get("ticket_id", 0))
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await users_repo.set_step(tx, person.telegram_id, None, {}, now)
            ticket = await repo.get(tx, ticket_id)
            if ticket is None or ticket["reporter_chat_id"] != person.telegram_id:
                return
            if text:
                await repo.update(tx, ticket_id, {"rating_comment": text[:1000]}, now)
                await repo.add_event(tx, ticket_id, "commented", now, person.telegram_id, person.display_name,
                                     text[:1000])
            await self.outbox.say(tx, person.telegram_id, ticket["lang"], "comment_thanks", ticket_id=ticket_id,
                                  ticket=ticket, commented=bool(text))
        self.outbox.kick()
