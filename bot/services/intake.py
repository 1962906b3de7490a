"""Intake: words (or a voice note, a photo) become a ticket, placed where the problem is.

A ticket exists before any alert for it is queued, in the same transaction as its answer. Its
place is the building the words name, else the reporter's flat; its grid is that building's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.core import Triage, find_address, lifecycle
from bot.delivery import Lane, buttons
from bot.services.alerts import Alerts
from bot.services.base import Service, Ticket, lane_of
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, residents as residents_repo, tickets as repo, users as users_repo

if TYPE_CHECKING:
    from bot.services.duplicates import Duplicates

FRAGMENT_WAIT = 5 * 60  # seconds the start of a sentence waits for the rest


class Intake(Service):
    duplicates: "Duplicates | None" = None  # duplicates (bot/services/duplicates.py) sets itself here

    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.vocabulary = kit.vocabulary
        self.alerts = alerts

    def classify(self, text: str) -> Triage:
        return self.vocabulary.classify(text)

    async def verdict(self, text: str) -> Triage:
        """The triage of a text with the committee's newest words."""
        async with self.db.transaction() as tx:
            await self.vocabulary.refresh(tx)
        return self.classify(text)

    async def report(
        self, person: Person, chat_id: int, text: str, *, update_id: int | None = None,
        message_id: int | None = None, attachment: tuple[str, str] | None = None, source: str = "message",
        clears: str | None = None,
    ) -> int:
        """A resident's words (or a voice note, a photo) become a ticket, an answer, and alerts.
        Returns the ticket id."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self.vocabulary.refresh(tx)  # the committee's newest words count at once
            spoken = person.lang  # includes the language of their Telegram app
            person = await self.person(tx, person.telegram_id, person.first_name)
            if clears is not None and person.step == clears:  # the step this ticket answers ends with it
                await users_repo.set_step(tx, person.telegram_id, None, {}, now)
                person.step, person.step_data = None, {}
            if source == "message":
                verdict = self.classify(text)
            else:
                # We cannot read a voice note or a photo: a person looks today, never "routine".
                verdict = Triage("urgent", "care", ("urgent/care: unread media",), person.lang, unsure=True)
            lang = person.lang if person.language_chosen or person.resident else (
                verdict.lang if source == "message" else spoken)
            resident = person.resident
            place = await self.place(tx, text if source == "message" else "", resident)
            ticket_id, created = await repo.create(tx, {
                "status": lifecycle.OPEN, "urgency": verdict.urgency, "category": verdict.category,
                "triage_reasons": json.dumps(list(verdict.reasons), ensure_ascii=False), "lang": lang,
                "text": text, "resident_id": (resident or {}).get("id"), "reporter_chat_id": chat_id,
                "reporter_name": person.display_name, "source_update_id": update_id,
                "source_message_id": message_id, "source": source, **place,
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
            registering = person.step in ("profile", "language")  # registration will ask where they live
            # every answer that is not an emergency carries a one-tap way to say it is one
            sos = None if verdict.urgency == "emergency" else [[("sos", buttons.SOS.data(ticket_id))]]
            # a building's problem already reported: linked to that request, told so, not alerted again
            linked = self.duplicates is not None and await self.duplicates.absorb(
                tx, ticket, person, registered=person.registered or registering)
            if not linked:
                await self.outbox.post(
                    tx, chat_id, lang, "ack", lane=lane, purpose="ack", ticket_id=ticket_id, buttons=sos,
                    dedupe=f"ack:{ticket_id}", ticket=ticket, numbers=self.numbers(verdict.category),
                    registered=person.registered or registering, unwell=verdict.category == "medical"
                    and place["place_source"] == "resident" and self.alerts.vulnerable(resident),
                )
            if verdict.urgency != "info" and not linked:
                await self.alerts.alert(tx, ticket)
            if verdict.unsure and verdict.urgency != "emergency":
                # one question, two big buttons; silence for DANGER_WAIT counts (see Corrections)
                await repo.update(tx, ticket_id, {"danger_asked_at": now}, now)
                await self.outbox.post(tx, chat_id, lang, "ask_danger", lane=Lane.REPLY, purpose="reply",
                                       ticket_id=ticket_id, dedupe=f"ask_danger:{ticket_id}", ticket=ticket,
                                       buttons=[[("danger_yes", buttons.DANGER.data(ticket_id, "yes"))],
                                                [("danger_no", buttons.DANGER.data(ticket_id, "no"))]])
            if not resident and not registering and place["place_source"] != "text":
                await self.outbox.post(tx, chat_id, lang, "ask_address", lane=lane, purpose="reply",
                                       ticket_id=ticket_id, dedupe=f"ask_address:{ticket_id}")
                await users_repo.set_step(tx, person.telegram_id, "ticket_address", {"ticket_id": ticket_id}, now)
        self.outbox.kick()
        return ticket_id

    async def place(self, tx: Tx, text: str, resident: dict[str, Any] | None) -> dict[str, Any]:
        """Where the problem is: a building named in the words ("my mother in 7号楼") wins over
        the reporter's own flat; its grid is the building's, else the reporter's, else the default."""
        named = find_address(text)
        if named.building:
            grid = await residents_repo.grid_of_building(tx, named.building)
            if grid is None and resident and resident.get("building") == named.building:
                grid = resident.get("grid")
            return {"building": named.building, "unit": named.unit, "room": named.room, "place_source": "text",
                    "grid": grid or self.settings.default_grid}
        if resident:
            grid = resident.get("grid") or (await residents_repo.grid_of_building(tx, resident["building"])
                                            if resident.get("building") else None)
            return {"building": resident.get("building"), "unit": resident.get("unit"),
                    "room": resident.get("room"), "place_source": "resident",
                    "grid": grid or self.settings.default_grid}
        return {"building": None, "unit": named.unit, "room": named.room, "place_source": None,
                "grid": self.settings.default_grid}

    async def _regrid(self, tx: Tx, before: Ticket, values: dict[str, Any]) -> None:
        """Apply a new place; an open ticket that changed grid alerts its new grid."""
        await repo.update(tx, before["id"], values, self.clock.now())
        after = await repo.get(tx, before["id"])
        assert after is not None
        if after["grid"] != before["grid"] and after["status"] == lifecycle.OPEN and after["urgency"] != "info":
            await self.alerts.alert(tx, after)

    async def adopt(self, chat_id: int) -> None:
        """The reporter just registered: their earlier requests get their resident, and those
        that had no place get the resident's flat and grid (alerting that grid if it moved)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            resident = await residents_repo.by_telegram_id(tx, chat_id)
            if resident is None or not resident["registered_at"]:
                return
            for ticket in await repo.unplaced_for_reporter(tx, chat_id):
                values: dict[str, Any] = {"resident_id": resident["id"]}
                if ticket["place_source"] is None:
                    values.update(await self.place(tx, "", resident))
                    await repo.add_event(tx, ticket["id"], "address", now, chat_id, resident["name"],
                                         "/".join(str(values.get(k) or "-") for k in ("building", "unit", "room")))
                await self._regrid(tx, ticket, values)
        self.outbox.kick()

    async def follow_building(self, building: str, grid: str) -> None:
        """An admin moved a building to another grid: its unclaimed requests move too, and that
        grid's volunteers are alerted (a claimed one stays with its volunteer)."""
        async with self.db.transaction() as tx:
            for ticket in await repo.open_in_building(tx, building):
                if ticket["grid"] != grid:
                    await repo.add_event(tx, ticket["id"], "moved", self.clock.now(), None, None,
                                         f"{ticket['grid']} -> {grid}")
                    await self._regrid(tx, ticket, {"grid": grid})
        self.outbox.kick()

    async def add_address(self, person: Person, chat_id: int, text: str) -> None:
        """Where the problem is: the answer to "where are you?", or a shared location (then it
        belongs to the latest unfinished request). A building that belongs to another grid moves
        an unclaimed ticket there, and that grid's volunteers are alerted."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if person.step == "ticket_address":
                ticket = await repo.get(tx, int(person.step_data.get("ticket_id", 0)))
                await users_repo.set_step(tx, person.telegram_id, None, {}, now)
            else:
                ticket = await repo.latest_active_for_reporter(tx, chat_id)
            if ticket is None or ticket["reporter_chat_id"] != chat_id:
                await self.outbox.say(tx, chat_id, person.lang, "media_needs_words", kind="location")
                self.outbox.kick()
                return
            location = text.strip()[:300]
            values: dict[str, Any] = {"location": location, "place_source": "answer"}
            named = find_address(location)
            if named:
                values.update(building=named.building or ticket["building"], unit=named.unit, room=named.room)
            grid = await residents_repo.grid_of_building(tx, named.building) if named.building else None
            if grid is not None:
                values["grid"] = grid if ticket["status"] == lifecycle.OPEN else ticket["grid"]
            await repo.add_event(tx, ticket["id"], "address", now, person.telegram_id, person.display_name, location)
            await self._regrid(tx, ticket, values)
            ticket = await repo.get(tx, ticket["id"])
            assert ticket is not None
            await self.outbox.say(tx, chat_id, person.lang, "address_thanks", ticket_id=ticket["id"], ticket=ticket,
                                  registered=person.registered)
            await self.alerts.tell(tx, "address", ticket)
        self.outbox.kick()

    async def attach(self, person: Person, chat_id: int, kind: str, file_id: str) -> int | None:
        """A photo or voice note with no words joins the sender's open request; None if they have none."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await repo.latest_active_for_reporter(tx, chat_id)
            if ticket is None:
                return None
            await repo.add_attachment(tx, ticket["id"], kind, file_id, now)
            await repo.add_event(tx, ticket["id"], "attachment", now, person.telegram_id, person.display_name, kind)
            await self.outbox.say(tx, chat_id, person.lang, "attached", ticket_id=ticket["id"], ticket=ticket,
                                  kind=kind)
            if ticket["claimant_telegram_id"]:
                await self.outbox.media(tx, ticket["claimant_telegram_id"], kind, file_id, lane=lane_of(ticket),
                                        purpose="update", ticket_id=ticket["id"], caption=f"#{ticket['id']}")
        self.outbox.kick()
        return int(ticket["id"])

    async def media_request(self, person: Person, chat_id: int, kind: str, file_id: str, *,
                            update_id: int | None = None, message_id: int | None = None) -> int:
        """A voice note or photo with no words: it joins the open request, or it is a request of
        its own (at urgent: we cannot read it, so it is never routine) whose alert carries it."""
        attached = await self.attach(person, chat_id, kind, file_id)
        if attached is not None:
            return attached
        label = self.outbox.renderer.text(person.lang, "media_label", kind=kind)
        return await self.report(person, chat_id, label, update_id=update_id, message_id=message_id,
                                 attachment=(kind, file_id), source=kind)

    async def document(self, person: Person, chat_id: int) -> None:
        """A file is never a request: we cannot open it (spreadsheets are imported by staff)."""
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, person.lang, "document_not_read", me=person)
        self.outbox.kick()

    # -- a sentence typed in pieces ------------------------------------------------------------

    async def hold_fragment(self, person: Person, chat_id: int, text: str) -> None:
        """The start of a sentence typed in pieces: kept until the rest comes (or FRAGMENT_WAIT
        passes, then it is a request as it is). Only the first piece gets "go on"."""
        async with self.db.transaction() as tx:
            first = person.step != "fragment" and " " not in text
            await users_repo.set_step(tx, person.telegram_id, "fragment", {"text": text[:2000]}, self.clock.now())
            if first:
                await self.outbox.say(tx, chat_id, person.lang, "go_on")
        self.outbox.kick()

    async def drop_fragment(self, person: Person) -> Person:
        """The pieces so far are joined to this message: the step is cleared."""
        async with self.db.transaction() as tx:
            await users_repo.set_step(tx, person.telegram_id, None, {}, self.clock.now())
        person.step, person.step_data = None, {}
        return person

    async def flush_fragments(self) -> int:
        """Pieces nobody finished within FRAGMENT_WAIT become requests as they are: a person
        reads them (the tick calls this)."""
        async with self.db.transaction() as tx:
            waiting = await users_repo.in_step_since(tx, "fragment", self.clock.now() - FRAGMENT_WAIT)
            people = [await self.person(tx, user["telegram_id"]) for user in waiting]
        for person in people:
            text = person.step_data.get("text") or ""
            if text:  # the ticket and the end of the wait are one transaction: a crash loses neither
                await self.report(person, person.telegram_id, text, clears="fragment")
            else:
                await self.drop_fragment(person)
        return len(people)

    # -- on someone's behalf (check-ins) ---------------------------------------------------------

    async def open_for(self, tx: Tx, resident: dict[str, Any], chat_id: int, text: str, urgency: str, category: str,
                       reasons: tuple[str, ...], source: str) -> Ticket:
        """A ticket the bot opens about a resident (a missed check-in, "I need help" on one): placed
        at their flat, alerted like any other, inside the caller's transaction; no acknowledgement
        (the caller says what fits)."""
        now = self.clock.now()
        place = await self.place(tx, "", resident)
        ticket_id, _ = await repo.create(tx, {
            "status": lifecycle.OPEN, "urgency": urgency, "category": category,
            "triage_reasons": json.dumps(list(reasons), ensure_ascii=False),
            "lang": resident.get("language") or self.settings.default_language, "text": text,
            "resident_id": resident["id"], "reporter_chat_id": chat_id, "reporter_name": resident.get("name"),
            "source": source, **place,
        }, now)
        await repo.add_event(tx, ticket_id, "created", now, None, None, "; ".join(reasons[:3]))
        ticket = await repo.get(tx, ticket_id)
        assert ticket is not None
        await self.alerts.alert(tx, ticket)
        return await repo.get(tx, ticket_id) or ticket
