"""The volunteer's moves: claim, can't go, resolved, release, and words for the resident."""

from __future__ import annotations

from typing import Any

from bot.core import lifecycle
from bot.delivery import Lane, buttons
from bot.services.alerts import Alerts, work_buttons
from bot.services.base import Answer, Service, Ticket, lane_of
from bot.services.followup import fresh_timer, heard_from_claimant
from bot.services.kit import Kit
from bot.services.people import Person, first_name_of
from storage import (
    Tx, duplicates as duplicates_repo, residents as residents_repo, teams as teams_repo, tickets as repo, users as users_repo
)

RELAY_KEPT = 5  # a volunteer's offers still waiting for a press


class Volunteering(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts

    async def _may_work(self, tx: Tx, person: Person, ticket: Ticket) -> bool:
        if person.is_admin:
            return True
        if not person.volunteer or not person.volunteer["active"]:
            return False
        return await self.alerts.may_act(tx, ticket["grid"], person.volunteer["id"], self.clock.now())

    async def _volunteer_id(self, tx: Tx, person: Person) -> int:
        """An admin who claims becomes a volunteer record, so the claim has an owner."""
        if person.volunteer:
            return int(person.volunteer["id"])
        return await teams_repo.upsert_volunteer(
            tx, {"telegram_id": person.telegram_id, "name": person.first_name or str(person.telegram_id),
                 "language": person.lang}, self.clock.now())

    async def _workable(self, tx: Tx, person: Person, ticket_id: int) -> Ticket | Answer:
        """The ticket, if this person may work tickets of its grid; otherwise the refusal."""
        ticket = await repo.get(tx, ticket_id)
        if ticket is None:
            return Answer("toast_unknown_ticket", alert=True)
        if not await self._may_work(tx, person, ticket):
            return Answer("toast_not_allowed", alert=True)
        return ticket

    async def claim(self, person: Person, ticket_id: int, chat_id: int | None = None) -> Answer:
        """Claim pressed in `chat_id` (a private chat or the admin group): the details go to the
        claimant's private chat, and a group hears only that they did, or that Telegram refused
        them (then `Alerts.undeliverable` gives the request back to the volunteers)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await self._workable(tx, person, ticket_id)
            if isinstance(ticket, Answer):
                return ticket
            if ticket["status"] != lifecycle.OPEN:
                return await self._not_claimable(tx, ticket_id)
            volunteer_id = await self._volunteer_id(tx, person)
            won = await repo.change(tx, ticket_id, lifecycle.MOVES["claim"].sources,
                                    {"status": lifecycle.CLAIMED, "claimed_by": volunteer_id, "claimed_at": now,
                                     **fresh_timer(self.settings, ticket["urgency"], now)}, now)
            if not won:
                return await self._not_claimable(tx, ticket_id)
            await repo.add_event(tx, ticket_id, lifecycle.MOVES["claim"].event, now, person.telegram_id,
                                 person.display_name)
            ticket = await repo.get(tx, ticket_id)
            assert ticket is not None
            await self.alerts.close(tx, ticket, "alert_taken", by=ticket["claimant_name"])
            await self.outbox.privately(tx, chat_id or person.telegram_id, person.telegram_id, person.lang,
                                        lambda _: self._send_details(tx, person, ticket), person.first_name)
            await self.alerts.tell(tx, "claimed", ticket, volunteer=first_name_of(ticket["claimant_name"]))
        self.outbox.kick()
        return Answer("toast_claimed", {"ticket": ticket})

    async def _not_claimable(self, tx: Tx, ticket_id: int) -> Answer:
        """Someone was quicker ("already taken, thank you"), or the ticket ended another way."""
        ticket = await repo.get(tx, ticket_id)
        if ticket is not None and ticket["status"] == lifecycle.CLAIMED:
            return Answer("toast_taken", {"ticket": ticket}, alert=True)
        return await self.stale(tx, ticket_id)

    async def _send_details(self, tx: Tx, person: Person, ticket: Ticket) -> int | None:
        """The claimant, and only the claimant, gets the address, phone and contacts; the id of
        the details' message in the outbox."""
        resident = await residents_repo.by_id(tx, ticket["resident_id"]) if ticket["resident_id"] else None
        attachments = await repo.attachments(tx, ticket["id"])
        details = await self.outbox.post(
            tx, person.telegram_id, person.lang, "claimed_details", lane=lane_of(ticket), purpose="details",
            # 💬 Message: words to the resident through the bot (bot/services/relays.py)
            ticket_id=ticket["id"], buttons=work_buttons(ticket) + [[("talk", buttons.TALK.data(ticket["id"]))]],
            ticket=ticket, resident=resident,
            attachments=len(attachments), updates=await self.alerts.updates(tx, ticket["id"]),
            reports=await duplicates_repo.count(tx, ticket["id"]),
        )
        for item in attachments:
            await self.outbox.media(tx, person.telegram_id, item["kind"], item["file_id"], lane=lane_of(ticket),
                                    purpose="details", ticket_id=ticket["id"], caption=f"#{ticket['id']}")
        return details

    async def decline(self, person: Person, ticket_id: int, message_id: int | None, chat_id: int) -> Answer:
        async with self.db.transaction() as tx:
            ticket = await self._workable(tx, person, ticket_id)
            if isinstance(ticket, Answer):
                return ticket
            if ticket["status"] != lifecycle.OPEN:  # nothing to decline any more
                return await self.stale(tx, ticket_id)
            await repo.add_event(tx, ticket_id, "declined", self.clock.now(), person.telegram_id,
                                 person.display_name)
            await self.alerts.declined(tx, ticket_id)  # everyone of the step declined: the next goes now
            if message_id is not None and chat_id > 0:
                await self.outbox.edit(tx, chat_id, person.lang, "alert_declined", lane=Lane.REPLY,
                                       purpose="alert_closed", message_id=message_id, ticket_id=ticket_id,
                                       ticket=ticket)
        self.outbox.kick()
        return Answer("toast_declined")

    async def resolve(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            moved = await self.move(tx, person, ticket_id, "resolve", {"resolved_at": self.clock.now()}, "claimant")
            if isinstance(moved, Answer):
                return moved
            _, ticket = moved
            await self._edit_details(tx, person, message_id, "details_resolved", ticket)
            await self.alerts.tell(tx, "resolved", ticket)
        self.outbox.kick()
        return Answer("toast_resolved")

    async def release(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            moved = await self.move(tx, person, ticket_id, "release", {"claimed_by": None, "claimed_at": None},
                                    "claimant")
            if isinstance(moved, Answer):
                return moved
            before, ticket = moved
            await self._edit_details(tx, person, message_id, "details_released", ticket)
            await self.alerts.tell(tx, "released", ticket)
            releaser = before["claimed_by"]
            await self.alerts.alert(tx, ticket, exclude=(releaser,) if releaser else ())
        self.outbox.kick()
        return Answer("toast_released")

    async def undeliverable(self, row: dict[str, Any], status: str) -> None:
        """The claim's details never reached the claimant (they never opened a private chat with
        the bot, or blocked it): nobody is going. The request goes back to the other volunteers
        (and, for an emergency, the committee), and the resident hears that it did."""
        if row["purpose"] != "details" or row["ticket_id"] is None:
            return
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, row["ticket_id"])
            volunteer = await teams_repo.volunteer_by_telegram_id(tx, row["chat_id"])
            if ticket is None or volunteer is None or ticket["claimed_by"] != volunteer["id"]:
                return  # released, resolved or claimed again since: nothing to give back
            release = lifecycle.MOVES["release"]
            if not await repo.change(tx, ticket["id"], release.sources,
                                     {"status": release.target, "claimed_by": None, "claimed_at": None}, now):
                return
            await repo.add_event(tx, ticket["id"], release.event, now, None, None,
                                 f"the details never reached {volunteer['name']} ({status})")
            ticket = await repo.get(tx, ticket["id"])
            assert ticket is not None
            await self.alerts.tell(tx, "released", ticket)
            await self.alerts.alert(tx, ticket, exclude=(volunteer["id"],))
        self.outbox.kick()

    async def _edit_details(self, tx: Tx, person: Person, message_id: int | None, template: str,
                            ticket: Ticket) -> None:
        """The details message the volunteer pressed on now says what they did (no buttons)."""
        if message_id is not None:
            await self.outbox.edit(tx, person.telegram_id, person.lang, template, lane=Lane.REPLY, purpose="details",
                                   message_id=message_id, ticket_id=ticket["id"], ticket=ticket)

    # -- words for the resident ------------------------------------------------------------------

    async def offer_relay(self, person: Person, chat_id: int, text: str, held: list[Ticket]) -> None:
        """A volunteer's words while holding a ticket are probably for its resident: ask first.
        Each offer keeps its own words, so an older button never sends newer words."""
        async with self.db.transaction() as tx:
            pending = dict(person.step_data.get("texts") or {}) if person.step == "relay" else {}
            key = str(int(max(pending, key=int, default="0")) + 1)
            pending = dict(list(pending.items())[-(RELAY_KEPT - 1):]) | {key: text[:2000]}
            await users_repo.set_step(tx, person.telegram_id, "relay", {"texts": pending}, self.clock.now())
            keyboard = [[(f"relay_to:{t['id']}", buttons.RELAY.data(t["id"], key))] for t in held[:3]]
            keyboard.append([("relay_new", buttons.RELAY.data("new", key))])
            await self.outbox.say(tx, chat_id, person.lang, "relay_offer", tickets=held[:3], text=text,
                                  buttons=keyboard)
        self.outbox.kick()

    async def relay(self, person: Person, ticket_id: int, key: str, message_id: int | None) -> Answer:
        """The volunteer chose: the words of that offer go to the resident of the ticket they hold."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            text = self._relay_text(person, key)
            ticket = await repo.get(tx, ticket_id)
            if not text:
                return Answer("toast_stale_button", alert=True)
            if ticket is None or ticket["status"] != lifecycle.CLAIMED or not self.own_claim(person, ticket):
                return Answer("toast_not_yours", alert=True)
            await self._forget_relay(tx, person, key)
            await repo.add_event(tx, ticket_id, "relayed", now, person.telegram_id, person.display_name, text[:1000])
            await heard_from_claimant(tx, self.settings, ticket, now)  # a word from the claimant: no reminder yet
            await self.alerts.tell(tx, "relayed", ticket, volunteer=first_name_of(person.display_name), text=text)
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, person.lang, "relay_done", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket=ticket, text=text)
        self.outbox.kick()
        return Answer("toast_relayed")

    async def take_relay_text(self, person: Person, key: str) -> str | None:
        """The words of one offer, which the volunteer chose to send as a request of their own."""
        text = self._relay_text(person, key)
        if text:
            async with self.db.transaction() as tx:
                await self._forget_relay(tx, person, key)
        return text

    @staticmethod
    def _relay_text(person: Person, key: str) -> str | None:
        return (person.step_data.get("texts") or {}).get(key) if person.step == "relay" else None

    async def _forget_relay(self, tx: Tx, person: Person, key: str) -> None:
        pending = {k: v for k, v in (person.step_data.get("texts") or {}).items() if k != key}
        await users_repo.set_step(tx, person.telegram_id, "relay" if pending else None,
                                  {"texts": pending} if pending else {}, self.clock.now())
