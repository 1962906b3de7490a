"""What people look up: a resident's open requests, a volunteer's tickets, the admins' list and
a ticket's full history (a grid leader sees those of the grids their teams cover, and only those). Lists come a page at a time (Outbox.paged: ⬅️ ➡️ show the page again,
checked again for the person who pressed); a ticket's details (phones, addresses) go to the
admin's private chat when asked for in a group."""

from __future__ import annotations

import json

from bot.clock import local_time
from bot.delivery import buttons
from bot.services.base import Answer, Service, grid_scope
from bot.services.people import Person
from storage import duplicates as duplicates_repo, residents as residents_repo, tickets as repo

PER_PAGE = 10        # tickets on a page of a list (fewer when their words are long)
LIST_LIMIT = 2000    # open tickets an admin can page through


class Views(Service):
    async def status(self, person: Person, chat_id: int, page: int = 0, message_id: int | None = None) -> None:
        """/status: the person's own open requests (a page press shows the presser's own)."""
        async with self.db.transaction() as tx:
            # each request with its own "✖️ Cancel #N" (asks first: TicketDesk.cancel_pressed)
            await self.outbox.paged(tx, chat_id, person.lang, "status", await repo.open_for_reporter(tx, person.telegram_id),
                                    listing="status", name="tickets", page=page, message_id=message_id, most=PER_PAGE,
                                    item_buttons=lambda shown: [[(f"cancel_n:{t['id']}", buttons.CANCEL_ASK.data(t["id"]))]
                                                                 for t in shown])
        self.outbox.kick()

    async def my_tickets(self, person: Person, chat_id: int, page: int = 0, message_id: int | None = None) -> None:
        async with self.db.transaction() as tx:
            if not person.volunteer:
                await self.outbox.say(tx, chat_id, person.lang, "not_volunteer")
            else:
                await self.outbox.paged(tx, chat_id, person.lang, "mytickets",
                                        await repo.held_by(tx, person.volunteer["id"]), listing="mine", name="tickets",
                                        page=page, message_id=message_id, most=PER_PAGE)
        self.outbox.kick()

    async def ticket_list(self, person: Person, chat_id: int, page: int = 0,
                          message_id: int | None = None) -> Answer | None:
        """/tickets (and its pages): every open request for an admin, a leader's grids' for a leader."""
        async with self.db.transaction() as tx:
            scope = await grid_scope(tx, person)
            if scope is False:
                if message_id is not None:  # a page press: the toast
                    return Answer("toast_admins_only", alert=True)
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            else:
                tickets = await (repo.open_tickets(tx, LIST_LIMIT) if scope is None
                                 else repo.open_tickets_in(tx, list(scope), LIST_LIMIT))
                await self.outbox.paged(tx, chat_id, person.lang, "admin_tickets", tickets, listing="tickets",
                                        name="tickets", page=page, message_id=message_id, most=PER_PAGE,
                                        grids=scope or [])
        self.outbox.kick()
        return None

    async def ticket_detail(self, person: Person, chat_id: int, ticket_id: int | None) -> None:
        """/ticket N: the details, triage reasons and whole history, in as many messages as it takes;
        privately (it has the resident's phone and flat). A leader sees the tickets of their grids."""
        async with self.db.transaction() as tx:
            scope = await grid_scope(tx, person)
            ticket = await repo.get(tx, ticket_id) if ticket_id is not None and scope is not False else None
            if scope is False:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            elif ticket_id is None:
                await self.outbox.say(tx, chat_id, person.lang, "usage_ticket")
            elif ticket is None:
                await self.outbox.say(tx, chat_id, person.lang, "unknown_ticket", number=ticket_id)
            elif scope is not None and ticket["grid"] not in scope:
                await self.outbox.say(tx, chat_id, person.lang, "ticket_not_your_grid", number=ticket_id,
                                      grids=scope)
            else:
                events = await repo.events(tx, ticket["id"])
                reports = await duplicates_repo.reports_of(tx, ticket["id"])  # duplicates linked to it
                resident = await residents_repo.by_id(tx, ticket["resident_id"]) if ticket["resident_id"] else None
                tz = self.settings.timezone

                async def details(chat: int) -> int | None:
                    return await self.outbox.say(
                        tx, chat, person.lang, "admin_ticket", ticket=ticket, resident=resident,
                        reasons=json.loads(ticket["triage_reasons"]),
                        events=[{**e, "when": local_time(e["at"], tz)} for e in events],
                        created=local_time(ticket["created_at"], tz), reports=reports,
                    )

                await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, details, person.first_name)
        self.outbox.kick()
