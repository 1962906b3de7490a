"""What the ticket services share: the answer a handler shows, who a Telegram id is, and one
checked, audited move of the ticket state machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core import lifecycle
from bot.delivery import Lane
from bot.services.kit import Kit
from bot.services.people import Person, load_person
from storage import Tx, teams as teams_repo, tickets as repo


@dataclass(frozen=True)
class Answer:
    """What the handler shows right away: a template name and its context (toast or nothing)."""

    template: str | None = None
    context: dict[str, Any] | None = None
    alert: bool = False  # show as a pop-up rather than a toast


Ticket = dict[str, Any]

SERVICE_FOR = {"fire": "fire", "gas": "fire", "power": "fire", "water": "fire", "lift": "fire",
               "security": "police", "dispute": "police", "care": "police"}


def lane_of(ticket: Ticket) -> Lane:
    """News about a ticket travels in the emergency lane when the ticket is an emergency."""
    return Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.UPDATE


async def grid_scope(tx: Tx, person: Person) -> list[str] | None | bool:
    """The grids whose tickets this person may see and act on: None for all (an admin), the grids
    of the teams they lead (a grid leader), or False (anyone else)."""
    if person.is_admin:
        return None
    volunteer = person.volunteer
    led = await teams_repo.leader_grids(tx, volunteer["id"]) if volunteer and volunteer["active"] else []
    return led or False


class Service:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.db = kit.db
        self.outbox = kit.outbox
        self.settings = kit.settings
        self.clock = kit.clock

    async def person(self, tx: Tx, telegram_id: int, first_name: str | None = None,
                     language_code: str | None = None) -> Person:
        return await load_person(tx, telegram_id, first_name, self.settings.admin_ids,
                                 self.settings.default_language, self.clock.now(), language_code)

    async def lang_of(self, tx: Tx, telegram_id: int) -> str | None:
        return (await self.person(tx, telegram_id)).lang

    def numbers(self, category: str) -> list[tuple[str, str]]:
        """The one emergency number that fits: 119 for fire, gas, electrics, water and lifts (the
        fire brigade also rescues), 110 for crime, violence and people not seen (the police open
        the door), 120 for a person hurt or ill and anything else."""
        service = SERVICE_FOR.get(category, "ambulance")
        configured = self.settings.emergency_numbers
        if service in configured:
            return [(service, configured[service])]
        return list(configured.items())[:1]

    @staticmethod
    def own_claim(person: Person, ticket: Ticket) -> bool:
        return person.is_admin or (person.volunteer is not None and ticket["claimed_by"] == person.volunteer["id"])

    @staticmethod
    async def stale(tx: Tx, ticket_id: int) -> Answer:
        """A button pressed on a ticket that has moved on: say what it is now (claimed, closed,
        cancelled...), read again here rather than from what the press was checked against."""
        return Answer("toast_stale", {"ticket": await repo.get(tx, ticket_id)}, alert=True)

    async def reporters_ticket(self, tx: Tx, person: Person, ticket_id: int) -> Ticket | Answer:
        ticket = await repo.get(tx, ticket_id)
        if ticket is None:
            return Answer("toast_unknown_ticket", alert=True)
        if ticket["reporter_chat_id"] != person.telegram_id:
            return Answer("toast_not_yours", alert=True)
        return ticket

    async def move(self, tx: Tx, person: Person, ticket_id: int, action: str, values: dict[str, Any],
                   who: str) -> tuple[Ticket, Ticket] | Answer:
        """One state-machine move, checked and audited: (before, after) or the refusal to show.
        `who` says who may make it: the claimant (or an admin), or the reporter."""
        now = self.clock.now()
        before = await repo.get(tx, ticket_id)
        if before is None:
            return Answer("toast_unknown_ticket", alert=True)
        allowed = self.own_claim(person, before) if who == "claimant" else before["reporter_chat_id"] == person.telegram_id
        if not allowed:
            return Answer("toast_not_yours", alert=True)
        move = lifecycle.MOVES[action]
        if not await repo.change(tx, ticket_id, move.sources, {"status": move.target, **values}, now):
            return await self.stale(tx, ticket_id)
        await repo.add_event(tx, ticket_id, move.event, now, person.telegram_id, person.display_name)
        after = await repo.get(tx, ticket_id)
        assert after is not None
        return before, after
