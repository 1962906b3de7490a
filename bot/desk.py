"""The front desk service: requests become tickets, tickets reach volunteers and come back.

Each public method is one unit of work in one transaction: it checks who may do it,
changes the database (ticket, event, outbox rows) and returns a short `Answer` for the
handler to show (a toast for a button press). Every message a person receives is queued
in the outbox inside the same transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from bot import tickets as machine
from bot.clock import Clock, local_time
from bot.config import Settings
from bot.outbox import Lane, Outbox
from bot.people import Person, first_name_of, load_person
from bot.roster import Member, can_act_for_grid, on_duty
from bot.teams import ADMIN_GROUP
from bot.triage import Triage
from bot.triage.engine import RANK, detect_language
from bot.vocabulary import Vocabulary
from storage import Database, Tx
from storage import inbox as inbox_repo
from storage import residents as residents_repo
from storage import outbox as outbox_repo
from storage import settings as settings_repo
from storage import teams as teams_repo
from storage import tickets as repo
from storage import triage as triage_repo
from storage import users as users_repo

log = logging.getLogger(__name__)

ATTACH_WINDOW = 15 * 60  # a photo sent this soon after a request belongs to it
# The audit trail names what happened; the state machine names the move.
EVENT_OF = {"resolve": "resolved", "release": "released", "confirm": "confirmed", "reopen": "reopened"}


@dataclass(frozen=True)
class Answer:
    """What the handler shows right away: a template name and its context (toast or nothing)."""

    template: str | None = None
    context: dict[str, Any] | None = None
    alert: bool = False  # show as a pop-up rather than a toast


class Desk:
    def __init__(self, db: Database, outbox: Outbox, settings: Settings, clock: Clock,
                 vocabulary: Vocabulary) -> None:
        self.db = db
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.vocabulary = vocabulary

    def classify(self, text: str) -> Triage:
        return self.vocabulary.classify(text)

    # -- people -----------------------------------------------------------------------------

    async def person(
        self, tx: Tx, telegram_id: int, first_name: str | None, language_code: str | None = None
    ) -> Person:
        return await load_person(
            tx, telegram_id, first_name, self.settings.admin_ids, self.settings.default_language, self.clock.now(),
            language_code,
        )

    async def who(self, telegram_id: int, first_name: str | None, language_code: str | None = None) -> Person:
        async with self.db.transaction() as tx:
            return await self.person(tx, telegram_id, first_name, language_code)

    async def remember_update(
        self, update_id: int, chat_id: int | None, user_id: int | None, kind: str, text: str | None
    ) -> bool:
        """Store an incoming update before anything answers it; False for a replay."""
        async with self.db.transaction() as tx:
            return await inbox_repo.remember(tx, update_id, chat_id, user_id, kind, text, self.clock.now())

    # -- a request for help --------------------------------------------------------------------

    async def report(
        self, person: Person, chat_id: int, text: str, *, update_id: int | None = None,
        message_id: int | None = None, attachment: tuple[str, str] | None = None,
    ) -> int:
        """A resident's words become a ticket, an answer, and alerts. Returns the ticket id."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self.vocabulary.refresh(tx)  # the committee's newest words count at once
            verdict = self.classify(text)
            person = await self.person(tx, person.telegram_id, person.first_name)
            lang = person.lang if person.language_chosen or person.resident else verdict.lang
            resident = person.resident
            grid = (resident or {}).get("grid") or self.settings.default_grid
            ticket_id, created = await repo.create(tx, {
                "status": machine.OPEN, "urgency": verdict.urgency, "category": verdict.category,
                "triage_reasons": json.dumps(list(verdict.reasons), ensure_ascii=False), "lang": lang,
                "text": text, "grid": grid, "building": (resident or {}).get("building"),
                "resident_id": (resident or {}).get("id"), "reporter_chat_id": chat_id,
                "reporter_name": person.display_name, "source_update_id": update_id,
                "source_message_id": message_id,
            }, now)
            if not created:
                return ticket_id  # a replay: everything below was done the first time
            await repo.add_event(tx, ticket_id, "created", now, person.telegram_id, person.display_name,
                                 "; ".join(verdict.reasons[:3]))
            if attachment:
                await repo.add_attachment(tx, ticket_id, attachment[0], attachment[1], now)
            ticket = await repo.get(tx, ticket_id)
            assert ticket is not None
            lane = Lane.EMERGENCY if verdict.urgency == "emergency" else Lane.REPLY
            await self.outbox.post(
                tx, chat_id, lang, "ack", lane=lane, purpose="ack", ticket_id=ticket_id,
                dedupe=f"ack:{ticket_id}", ticket=ticket, numbers=self._numbers(verdict.category),
                registered=person.registered,
            )
            if verdict.urgency != "info":
                await self._alert(tx, ticket)
            if not person.registered and not resident:
                await self.outbox.post(tx, chat_id, lang, "ask_address", lane=lane, purpose="reply",
                                       ticket_id=ticket_id, dedupe=f"ask_address:{ticket_id}")
                await users_repo.set_step(tx, person.telegram_id, "ticket_address", {"ticket_id": ticket_id}, now)
        self.outbox.kick()
        return ticket_id

    def _numbers(self, category: str) -> list[tuple[str, str]]:
        """Emergency numbers, the one this category needs first."""
        first = {"fire": "fire", "gas": "fire", "security": "police"}.get(category, "ambulance")
        numbers = list(self.settings.emergency_numbers.items())
        return sorted(numbers, key=lambda item: item[0] != first)

    async def add_address(self, person: Person, chat_id: int, text: str) -> None:
        """Where the reporter is: the answer to "where are you?", or a shared location
        (then it belongs to their latest unfinished request)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if person.step == "ticket_address":
                ticket = await repo.get(tx, int(person.step_data.get("ticket_id", 0)))
                await users_repo.set_step(tx, person.telegram_id, None, {}, now)
            else:
                latest = await repo.latest_for_reporter(tx, chat_id)
                ticket = latest if latest and latest["status"] in machine.ACTIVE else None
            if ticket is None or ticket["reporter_chat_id"] != chat_id:
                await self.outbox.post(tx, chat_id, person.lang, "media_needs_words", lane=Lane.REPLY,
                                       purpose="reply", kind="location")
                self.outbox.kick()
                return
            ticket_id = ticket["id"]
            location = text.strip()[:300]
            await repo.update(tx, ticket_id, {"location": location}, now)
            await repo.add_event(tx, ticket_id, "address", now, person.telegram_id, person.display_name, location)
            ticket = await repo.get(tx, ticket_id)
            assert ticket is not None
            await self.outbox.post(tx, chat_id, person.lang, "address_thanks", lane=Lane.REPLY, purpose="reply",
                                   ticket_id=ticket_id, ticket=ticket, registered=person.registered)
            for chat, lang in await self._people_on_ticket(tx, ticket):
                await self.outbox.post(tx, chat, lang, "address_update", lane=self._lane(ticket),
                                       purpose="update", ticket_id=ticket_id, ticket=ticket)
        self.outbox.kick()

    async def attach(self, person: Person, chat_id: int, kind: str, file_id: str) -> int | None:
        """A photo or voice note with no words: it belongs to the request just made, if any."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await repo.latest_for_reporter(tx, chat_id)
            if ticket is None or ticket["status"] not in machine.ACTIVE or now - ticket["created_at"] > ATTACH_WINDOW:
                await self.outbox.post(tx, chat_id, person.lang, "media_needs_words", lane=Lane.REPLY,
                                       purpose="reply", kind=kind)
                self.outbox.kick()
                return None
            await repo.add_attachment(tx, ticket["id"], kind, file_id, now)
            await repo.add_event(tx, ticket["id"], "attachment", now, person.telegram_id, person.display_name, kind)
            await self.outbox.post(tx, chat_id, person.lang, "attached", lane=Lane.REPLY, purpose="reply",
                                   ticket_id=ticket["id"], ticket=ticket, kind=kind)
            if ticket["claimant_telegram_id"]:
                await self.outbox.media(tx, ticket["claimant_telegram_id"], kind, file_id, lane=self._lane(ticket),
                                        purpose="update", ticket_id=ticket["id"], caption=f"#{ticket['id']}")
        self.outbox.kick()
        return int(ticket["id"])

    async def edited(self, person: Person, chat_id: int, message_id: int, text: str) -> None:
        """An edit of a message that made a ticket is a correction to that ticket."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await repo.by_source_message(tx, chat_id, message_id)
            if ticket is None:
                await self.outbox.post(tx, chat_id, person.lang, "edit_not_read", lane=Lane.REPLY, purpose="reply")
            else:
                ticket = await repo.get(tx, ticket["id"])
                assert ticket is not None
                await repo.add_event(tx, ticket["id"], "edited", now, person.telegram_id, person.display_name,
                                     text[:1000])
                await self.outbox.post(tx, chat_id, person.lang, "edit_noted", lane=Lane.REPLY, purpose="reply",
                                       ticket_id=ticket["id"], ticket=ticket)
                for chat, lang in await self._people_on_ticket(tx, ticket):
                    await self.outbox.post(tx, chat, lang, "edit_update", lane=self._lane(ticket), purpose="update",
                                           ticket_id=ticket["id"], ticket=ticket, text=text)
        self.outbox.kick()

    # -- alerts -------------------------------------------------------------------------------

    def _lane(self, ticket: dict[str, Any]) -> Lane:
        return Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.UPDATE

    async def _duty(self, tx: Tx, grid: str) -> list[Member]:
        return [Member(**row) for row in await teams_repo.memberships_for_grid(tx, grid)]

    async def _alert(self, tx: Tx, ticket: dict[str, Any], exclude: tuple[int, ...] = ()) -> None:
        """One round of alerts: the on-duty volunteers of the grid, and the admin group
        for emergencies, for reporters we cannot place, or when nobody is on duty."""
        now = self.clock.now()
        round_ = ticket["alert_round"] + 1
        await repo.update(tx, ticket["id"], {"alert_round": round_}, now)
        lane = Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.ALERT
        buttons = [[("claim", f"claim:{ticket['id']}"), ("decline", f"decline:{ticket['id']}")]]
        members = on_duty(await self._duty(tx, ticket["grid"]), now, exclude)
        for member in members:
            assert member.telegram_id is not None
            await self.outbox.post(
                tx, member.telegram_id, member.language, "alert", lane=lane, purpose="alert", buttons=buttons,
                ticket_id=ticket["id"], dedupe=f"alert:{ticket['id']}:{round_}:{member.telegram_id}",
                ticket=ticket, round=round_,
            )
        names = ", ".join(m.name for m in members) or "-"
        await repo.add_event(tx, ticket["id"], "alerted", now, None, None, f"round {round_}: {names}")
        needs_admins = ticket["urgency"] == "emergency" or ticket["resident_id"] is None or not members
        group = await settings_repo.get(tx, ADMIN_GROUP)
        if needs_admins and group:
            await self.outbox.post(
                tx, int(group), self.settings.default_language, "alert", lane=lane, purpose="alert",
                buttons=buttons, ticket_id=ticket["id"], dedupe=f"alert:{ticket['id']}:{round_}:group",
                ticket=ticket, round=round_, nobody_on_duty=not members,
            )
        elif needs_admins:
            for admin_id in sorted(self.settings.admin_ids):
                await self.outbox.post(
                    tx, admin_id, None, "alert", lane=lane, purpose="alert", buttons=buttons,
                    ticket_id=ticket["id"], dedupe=f"alert:{ticket['id']}:{round_}:{admin_id}",
                    ticket=ticket, round=round_, nobody_on_duty=not members,
                )

    async def _close_alerts(self, tx: Tx, ticket: dict[str, Any], template: str, **context: Any) -> None:
        """Every alert of the ticket still out there now says what happened (no buttons)."""
        for row in await outbox_repo.for_ticket(tx, ticket["id"], "alert"):
            if row["status"] == "pending":
                await outbox_repo.cancel(tx, row["id"])
            elif row["status"] == "sent" and row["message_id"]:
                await self.outbox.edit(
                    tx, row["chat_id"], None if row["chat_id"] < 0 else await self._lang_of(tx, row["chat_id"]),
                    template, lane=self._lane(ticket), purpose="alert_closed", ref_id=row["id"],
                    ticket_id=ticket["id"], ticket=ticket, **context,
                )

    async def _lang_of(self, tx: Tx, telegram_id: int) -> str | None:
        person = await self.person(tx, telegram_id, None)
        return person.lang

    async def _people_on_ticket(self, tx: Tx, ticket: dict[str, Any]) -> list[tuple[int, str | None]]:
        """Who is working the ticket now: its claimant (the one who must hear of changes)."""
        if ticket["claimant_telegram_id"]:
            return [(ticket["claimant_telegram_id"], await self._lang_of(tx, ticket["claimant_telegram_id"]))]
        return []

    # -- volunteer actions ----------------------------------------------------------------------

    async def _may_work(self, tx: Tx, person: Person, ticket: dict[str, Any]) -> bool:
        if person.is_admin:
            return True
        if not person.volunteer or not person.volunteer["active"]:
            return False
        return can_act_for_grid(await self._duty(tx, ticket["grid"]), person.volunteer["id"])

    async def _volunteer_id(self, tx: Tx, person: Person) -> int:
        """An admin who claims becomes a volunteer record, so the claim has an owner."""
        if person.volunteer:
            return int(person.volunteer["id"])
        return await teams_repo.upsert_volunteer(
            tx, {"telegram_id": person.telegram_id, "name": person.first_name or str(person.telegram_id),
                 "language": person.lang}, self.clock.now())

    async def _workable(self, tx: Tx, person: Person, ticket_id: int) -> dict[str, Any] | Answer:
        """The ticket, if this person may work tickets of its grid; otherwise the refusal."""
        ticket = await repo.get(tx, ticket_id)
        if ticket is None:
            return Answer("toast_unknown_ticket", alert=True)
        if not await self._may_work(tx, person, ticket):
            return Answer("toast_not_allowed", alert=True)
        return ticket

    async def claim(self, person: Person, ticket_id: int) -> Answer:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await self._workable(tx, person, ticket_id)
            if isinstance(ticket, Answer):
                return ticket
            volunteer_id = await self._volunteer_id(tx, person)
            won = await repo.change(tx, ticket_id, machine.MOVES["claim"].sources,
                                    {"status": machine.CLAIMED, "claimed_by": volunteer_id, "claimed_at": now}, now)
            if not won:
                return Answer("toast_taken", {"ticket": ticket}, alert=True)
            await repo.add_event(tx, ticket_id, "claimed", now, person.telegram_id, person.display_name)
            ticket = await repo.get(tx, ticket_id)
            assert ticket is not None
            await self._close_alerts(tx, ticket, "alert_taken", by=ticket["claimant_name"])
            await self._send_details(tx, person, ticket)
            await self.outbox.post(
                tx, ticket["reporter_chat_id"], ticket["lang"], "claimed_for_resident", lane=self._lane(ticket),
                purpose="update", ticket_id=ticket_id, ticket=ticket,
                volunteer=first_name_of(ticket["claimant_name"]),
            )
        self.outbox.kick()
        return Answer("toast_claimed", {"ticket": ticket})

    async def _send_details(self, tx: Tx, person: Person, ticket: dict[str, Any]) -> None:
        """The claimant, and only the claimant, gets the address, phone and contacts."""
        resident = await residents_repo.by_id(tx, ticket["resident_id"]) if ticket["resident_id"] else None
        attachments = await repo.attachments(tx, ticket["id"])
        await self.outbox.post(
            tx, person.telegram_id, person.lang, "claimed_details", lane=self._lane(ticket), purpose="details",
            ticket_id=ticket["id"], buttons=[[("resolved", f"resolve:{ticket['id']}"),
                                              ("release", f"release:{ticket['id']}")]],
            ticket=ticket, resident=resident, attachments=len(attachments),
        )
        for item in attachments:
            await self.outbox.media(tx, person.telegram_id, item["kind"], item["file_id"], lane=self._lane(ticket),
                                    purpose="details", ticket_id=ticket["id"], caption=f"#{ticket['id']}")

    async def decline(self, person: Person, ticket_id: int, message_id: int | None, chat_id: int) -> Answer:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await self._workable(tx, person, ticket_id)
            if isinstance(ticket, Answer):
                return ticket
            await repo.add_event(tx, ticket_id, "declined", now, person.telegram_id, person.display_name)
            if message_id is not None and ticket["status"] == machine.OPEN and chat_id > 0:
                await self.outbox.edit(tx, chat_id, person.lang, "alert_declined", lane=Lane.REPLY,
                                       purpose="alert_closed", message_id=message_id, ticket_id=ticket_id,
                                       ticket=ticket)
        self.outbox.kick()
        return Answer("toast_declined")

    async def _own_claim(self, tx: Tx, person: Person, ticket: dict[str, Any]) -> bool:
        return person.is_admin or (
            person.volunteer is not None and ticket["claimed_by"] == person.volunteer["id"]
        )

    async def _move(
        self, tx: Tx, person: Person, ticket_id: int, action: str, values: dict[str, Any], who: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | Answer:
        """One state-machine move, checked and audited: (before, after) or the refusal to show.
        `who` says who may make it: the claimant (or an admin), or the reporter."""
        now = self.clock.now()
        before = await repo.get(tx, ticket_id)
        if before is None:
            return Answer("toast_unknown_ticket", alert=True)
        allowed = (await self._own_claim(tx, person, before) if who == "claimant"
                   else before["reporter_chat_id"] == person.telegram_id)
        if not allowed:
            return Answer("toast_not_yours", alert=True)
        move = machine.MOVES[action]
        if not await repo.change(tx, ticket_id, move.sources, {"status": move.target, **values}, now):
            return Answer("toast_stale", {"ticket": before}, alert=True)
        await repo.add_event(tx, ticket_id, EVENT_OF.get(action, action), now, person.telegram_id,
                             person.display_name)
        after = await repo.get(tx, ticket_id)
        assert after is not None
        return before, after

    async def resolve(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            moved = await self._move(tx, person, ticket_id, "resolve", {"resolved_at": self.clock.now()}, "claimant")
            if isinstance(moved, Answer):
                return moved
            _, ticket = moved
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, person.lang, "details_resolved", lane=Lane.REPLY,
                                       purpose="details", message_id=message_id, ticket_id=ticket_id, ticket=ticket)
            await self.outbox.post(
                tx, ticket["reporter_chat_id"], ticket["lang"], "ask_fixed", lane=self._lane(ticket),
                purpose="update", ticket_id=ticket_id, ticket=ticket,
                buttons=[[("fixed_yes", f"fixed:{ticket_id}"), ("fixed_no", f"notyet:{ticket_id}")]],
            )
        self.outbox.kick()
        return Answer("toast_resolved")

    async def release(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            moved = await self._move(tx, person, ticket_id, "release", {"claimed_by": None, "claimed_at": None},
                                     "claimant")
            if isinstance(moved, Answer):
                return moved
            before, ticket = moved
            releaser = before["claimed_by"]
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, person.lang, "details_released", lane=Lane.REPLY,
                                       purpose="details", message_id=message_id, ticket_id=ticket_id, ticket=ticket)
            await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "released_for_resident",
                                   lane=self._lane(ticket), purpose="update", ticket_id=ticket_id, ticket=ticket)
            await self._alert(tx, ticket, exclude=(releaser,) if releaser else ())
        self.outbox.kick()
        return Answer("toast_released")

    # -- the resident closes the loop -------------------------------------------------------------

    async def _reporters_ticket(self, tx: Tx, person: Person, ticket_id: int) -> dict[str, Any] | Answer:
        ticket = await repo.get(tx, ticket_id)
        if ticket is None:
            return Answer("toast_unknown_ticket", alert=True)
        if ticket["reporter_chat_id"] != person.telegram_id:
            return Answer("toast_not_yours", alert=True)
        return ticket

    async def confirm_fixed(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            moved = await self._move(tx, person, ticket_id, "confirm", {"closed_at": self.clock.now()}, "reporter")
            if isinstance(moved, Answer):
                return moved
            found, _ = moved
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, found["lang"], "fixed_thanks", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id, ticket=found)
            stars = [[(f"star{n}", f"rate:{ticket_id}:{n}") for n in range(1, 6)]]
            await self.outbox.post(tx, person.telegram_id, found["lang"], "ask_rating", lane=Lane.REPLY,
                                   purpose="reply", ticket_id=ticket_id, buttons=stars, ticket=found)
            for chat, lang in await self._people_on_ticket(tx, found):
                await self.outbox.post(tx, chat, lang, "confirmed_for_volunteer", lane=Lane.UPDATE,
                                       purpose="update", ticket_id=ticket_id, ticket=found)
        self.outbox.kick()
        return Answer("toast_thanks")

    async def not_fixed(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            moved = await self._move(tx, person, ticket_id, "reopen",
                                     {"claimed_by": None, "claimed_at": None, "resolved_at": None}, "reporter")
            if isinstance(moved, Answer):
                return moved
            found, ticket = moved
            for chat, lang in await self._people_on_ticket(tx, found):
                await self.outbox.post(tx, chat, lang, "reopened_for_volunteer", lane=self._lane(found),
                                       purpose="update", ticket_id=ticket_id, ticket=found)
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, ticket["lang"], "reopened_for_resident",
                                       lane=Lane.REPLY, purpose="reply", message_id=message_id,
                                       ticket_id=ticket_id, ticket=ticket)
            await self._alert(tx, ticket)
        self.outbox.kick()
        return Answer("toast_reopened")

    async def rate(self, person: Person, ticket_id: int, stars: int, message_id: int | None) -> Answer:
        now = self.clock.now()
        if not 1 <= stars <= 5:
            return Answer("toast_invalid", alert=True)
        async with self.db.transaction() as tx:
            found = await self._reporters_ticket(tx, person, ticket_id)
            if isinstance(found, Answer):
                return found
            if found["status"] != machine.CLOSED or found["rating"] is not None:
                return Answer("toast_stale", {"ticket": found}, alert=True)
            await repo.update(tx, ticket_id, {"rating": stars}, now)
            await repo.add_event(tx, ticket_id, "rated", now, person.telegram_id, person.display_name, str(stars))
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, found["lang"], "rated", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id,
                                       ticket=found, stars=stars)
            await self.outbox.post(tx, person.telegram_id, found["lang"], "ask_comment", lane=Lane.REPLY,
                                   purpose="reply", ticket_id=ticket_id, buttons=[[("skip", f"nocomment:{ticket_id}")]],
                                   ticket=found)
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
            await self.outbox.post(tx, person.telegram_id, ticket["lang"], "comment_thanks", lane=Lane.REPLY,
                                   purpose="reply", ticket_id=ticket_id, ticket=ticket, commented=bool(text))
        self.outbox.kick()

    # -- lists --------------------------------------------------------------------------------

    async def reply(self, person: Person, chat_id: int, template: str, **context: Any) -> None:
        """A plain answer in the conversation (still through the outbox, so it keeps its order)."""
        async with self.db.transaction() as tx:
            await self.outbox.post(tx, chat_id, person.lang, template, lane=Lane.REPLY, purpose="reply", **context)
        self.outbox.kick()

    async def status(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            items = await repo.open_for_reporter(tx, chat_id)
            await self.outbox.post(tx, chat_id, person.lang, "status", lane=Lane.REPLY, purpose="reply",
                                   tickets=items)
        self.outbox.kick()

    async def my_tickets(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            if not person.volunteer:
                await self.outbox.post(tx, chat_id, person.lang, "not_volunteer", lane=Lane.REPLY, purpose="reply")
            else:
                items = await repo.held_by(tx, person.volunteer["id"])
                await self.outbox.post(tx, chat_id, person.lang, "mytickets", lane=Lane.REPLY, purpose="reply",
                                       tickets=items)
        self.outbox.kick()

    async def ticket_list(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            items = await repo.open_tickets(tx, 30)
            total = await repo.count_open(tx)
            await self.outbox.post(tx, chat_id, person.lang, "admin_tickets", lane=Lane.REPLY, purpose="reply",
                                   tickets=items, total=total)
        self.outbox.kick()

    async def ticket_detail(self, person: Person, chat_id: int, ticket_id: int) -> None:
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            if ticket is None:
                await self.outbox.post(tx, chat_id, person.lang, "unknown_ticket", lane=Lane.REPLY, purpose="reply",
                                       number=ticket_id)
            else:
                events = await repo.events(tx, ticket_id)
                resident = await residents_repo.by_id(tx, ticket["resident_id"]) if ticket["resident_id"] else None
                tz = self.settings.timezone
                await self.outbox.post(
                    tx, chat_id, person.lang, "admin_ticket", lane=Lane.REPLY, purpose="reply", ticket=ticket,
                    resident=resident, reasons=json.loads(ticket["triage_reasons"]),
                    events=[{**e, "when": local_time(e["at"], tz)} for e in events],
                    created=local_time(ticket["created_at"], tz),
                )
        self.outbox.kick()

    # -- an admin corrects the triage ---------------------------------------------------------

    async def correct(self, person: Person, chat_id: int, ticket_id: int, urgency: str | None,
                      category: str | None) -> None:
        """An admin's verdict replaces the engine's: the ticket follows it (a raised, unclaimed
        ticket is alerted again at its new level), and the correction is kept as a labelled example."""
        async with self.db.transaction() as tx:
            before = await repo.get(tx, ticket_id)
            if before is None:
                await self.outbox.post(tx, chat_id, person.lang, "unknown_ticket", lane=Lane.REPLY, purpose="reply",
                                       number=ticket_id)
            elif (urgency or before["urgency"], category or before["category"]) == (before["urgency"],
                                                                                  before["category"]):
                await self.outbox.post(tx, chat_id, person.lang, "triage_unchanged", lane=Lane.REPLY,
                                       purpose="reply", ticket=before)
            else:
                await self._relabel(tx, person, chat_id, before, urgency or before["urgency"],
                                    category or before["category"])
        self.outbox.kick()

    async def _relabel(self, tx: Tx, person: Person, chat_id: int, before: dict[str, Any], urgency: str,
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
        realert = raised and ticket["status"] == machine.OPEN
        if realert:
            await self._alert(tx, ticket)
        if raised and urgency == "emergency" and ticket["status"] in machine.ACTIVE:
            await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "raised_to_emergency",
                                   lane=Lane.EMERGENCY, purpose="update", ticket_id=ticket_id, ticket=ticket,
                                   numbers=self._numbers(category))
        for chat, lang in await self._people_on_ticket(tx, ticket):
            await self.outbox.post(tx, chat, lang, "triage_changed", lane=self._lane(ticket), purpose="update",
                                   ticket_id=ticket_id, ticket=ticket, before=before)
        await self.outbox.post(tx, chat_id, person.lang, "triage_corrected", lane=Lane.REPLY, purpose="reply",
                               ticket=ticket, before=before, realerted=realert)

    # -- delivery failures ------------------------------------------------------------------------

    async def undeliverable(self, row: dict[str, Any], status: str) -> None:
        """The outbox could not deliver a message about a ticket: note it on the ticket."""
        if row["ticket_id"] is None:
            return
        async with self.db.transaction() as tx:
            await repo.add_event(tx, row["ticket_id"], "undeliverable", self.clock.now(), None, None,
                                 f"{row['purpose']} to {row['chat_id']}: {status}")
