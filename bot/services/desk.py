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

from bot.clock import Clock, local_time
from bot.config import Settings
from bot.core import (
    RANK, Member, Triage, can_act_for_grid, detect_language, find_address, lifecycle as machine, on_duty
)
from bot.delivery import Lane, Outbox
from bot.services.people import Person, first_name_of, load_person
from bot.services.teams import ADMIN_GROUP
from bot.services.vocabulary import Vocabulary
from storage import (
    Database, Tx, inbox as inbox_repo, outbox as outbox_repo, residents as residents_repo, settings as settings_repo,
    teams as teams_repo, tickets as repo, triage as triage_repo, users as users_repo
)

log = logging.getLogger(__name__)

RELAY_KEPT = 5  # a volunteer's offers still waiting for a press
FRAGMENT_WAIT = 5 * 60  # seconds the start of a sentence waits for the rest


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

    async def verdict(self, text: str) -> Triage:
        """The triage of a text with the committee's newest words."""
        async with self.db.transaction() as tx:
            await self.vocabulary.refresh(tx)
        return self.classify(text)

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
        message_id: int | None = None, attachment: tuple[str, str] | None = None, source: str = "message",
    ) -> int:
        """A resident's words (or a voice note, a photo) become a ticket, an answer, and alerts.
        The ticket goes to the grid of the place the words name, else of the reporter's flat.
        Returns the ticket id."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self.vocabulary.refresh(tx)  # the committee's newest words count at once
            spoken = person.lang  # includes the language of their Telegram app
            person = await self.person(tx, person.telegram_id, person.first_name)
            if source == "message":
                verdict = self.classify(text)
            else:
                # We cannot read a voice note or a photo: a person looks today, never "routine".
                verdict = Triage("urgent", "care", ("urgent/care: unread media",), person.lang)
            lang = person.lang if person.language_chosen or person.resident else (
                verdict.lang if source == "message" else spoken)
            resident = person.resident
            place = await self._place(tx, text if source == "message" else "", resident)
            ticket_id, created = await repo.create(tx, {
                "status": machine.OPEN, "urgency": verdict.urgency, "category": verdict.category,
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
            await self.outbox.post(
                tx, chat_id, lang, "ack", lane=lane, purpose="ack", ticket_id=ticket_id,
                dedupe=f"ack:{ticket_id}", ticket=ticket, numbers=self._numbers(verdict.category),
                registered=person.registered or registering, unwell=verdict.category == "medical"
                and place["place_source"] == "resident" and self._vulnerable(resident),
            )
            if verdict.urgency != "info":
                await self._alert(tx, ticket)
            if not resident and not registering and place["place_source"] != "text":
                await self.outbox.post(tx, chat_id, lang, "ask_address", lane=lane, purpose="reply",
                                       ticket_id=ticket_id, dedupe=f"ask_address:{ticket_id}")
                await users_repo.set_step(tx, person.telegram_id, "ticket_address", {"ticket_id": ticket_id}, now)
        self.outbox.kick()
        return ticket_id

    async def _place(self, tx: Tx, text: str, resident: dict[str, Any] | None) -> dict[str, Any]:
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
                    values.update(await self._place(tx, "", resident))
                await repo.update(tx, ticket["id"], values, now)
                moved = values.get("grid", ticket["grid"]) != ticket["grid"]
                if values.get("building"):
                    await repo.add_event(tx, ticket["id"], "address", now, chat_id, resident["name"],
                                         "/".join(str(values.get(k) or "-") for k in ("building", "unit", "room")))
                fresh = await repo.get(tx, ticket["id"])
                assert fresh is not None
                if moved and fresh["status"] == machine.OPEN and fresh["urgency"] != "info":
                    await self._alert(tx, fresh)
        self.outbox.kick()

    async def follow_building(self, building: str, grid: str) -> None:
        """An admin moved a building to another grid: its unclaimed requests move too, and that
        grid's volunteers are alerted (a claimed one stays with its volunteer)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            for ticket in await repo.open_in_building(tx, building):
                if ticket["grid"] == grid:
                    continue
                await repo.update(tx, ticket["id"], {"grid": grid}, now)
                await repo.add_event(tx, ticket["id"], "moved", now, None, None, f"{ticket['grid']} -> {grid}")
                fresh = await repo.get(tx, ticket["id"])
                assert fresh is not None
                if fresh["urgency"] != "info":
                    await self._alert(tx, fresh)
        self.outbox.kick()

    def _vulnerable(self, resident: dict[str, Any] | None) -> bool:
        """Lives alone, or old enough by the committee's records: alerts say so (never the age)."""
        if not resident:
            return False
        year = resident.get("birth_year")
        this_year = int(local_time(self.clock.now(), self.settings.timezone)[:4])
        return bool(resident.get("lives_alone")) or bool(year and this_year - int(year) >= self.settings.elderly_age)

    def _numbers(self, category: str) -> list[tuple[str, str]]:
        """Emergency numbers, the one this category needs first."""
        first = {"fire": "fire", "gas": "fire", "security": "police"}.get(category, "ambulance")
        numbers = list(self.settings.emergency_numbers.items())
        return sorted(numbers, key=lambda item: item[0] != first)

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
                await self.outbox.post(tx, chat_id, person.lang, "media_needs_words", lane=Lane.REPLY,
                                       purpose="reply", kind="location")
                self.outbox.kick()
                return
            ticket_id = ticket["id"]
            location = text.strip()[:300]
            values: dict[str, Any] = {"location": location, "place_source": "answer"}
            named = find_address(location)
            if named:
                values.update(building=named.building or ticket["building"], unit=named.unit, room=named.room)
            grid = await residents_repo.grid_of_building(tx, named.building) if named.building else None
            moved = grid is not None and grid != ticket["grid"] and ticket["status"] == machine.OPEN
            if moved:
                values["grid"] = grid
            await repo.update(tx, ticket_id, values, now)
            await repo.add_event(tx, ticket_id, "address", now, person.telegram_id, person.display_name, location)
            ticket = await repo.get(tx, ticket_id)
            assert ticket is not None
            await self.outbox.post(tx, chat_id, person.lang, "address_thanks", lane=Lane.REPLY, purpose="reply",
                                   ticket_id=ticket_id, ticket=ticket, registered=person.registered)
            for chat, lang in await self._people_on_ticket(tx, ticket):
                await self.outbox.post(tx, chat, lang, "address_update", lane=self._lane(ticket),
                                       purpose="update", ticket_id=ticket_id, ticket=ticket)
            if moved and ticket["urgency"] != "info":
                await self._alert(tx, ticket)
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
            await self.outbox.post(tx, chat_id, person.lang, "attached", lane=Lane.REPLY, purpose="reply",
                                   ticket_id=ticket["id"], ticket=ticket, kind=kind)
            if ticket["claimant_telegram_id"]:
                await self.outbox.media(tx, ticket["claimant_telegram_id"], kind, file_id, lane=self._lane(ticket),
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

    # -- the thread of an open ticket -----------------------------------------------------------

    async def thread(self, person: Person, chat_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The sender's open requests (newest first), and the tickets they hold as a volunteer."""
        async with self.db.transaction() as tx:
            tickets = await repo.open_for_reporter(tx, chat_id)
            held = await repo.held_by(tx, person.volunteer["id"]) if person.volunteer else []
        return tickets, held

    async def add_update(self, person: Person, chat_id: int, ticket_id: int, text: str) -> None:
        """More words about the open request: noted on it, shown in /ticket, passed to the
        volunteer who holds it. Words that make it more urgent raise it (and alert again if
        nobody has it yet; an emergency tells the resident to call now)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self.vocabulary.refresh(tx)
            ticket = await repo.get(tx, ticket_id)
            if ticket is None or ticket["reporter_chat_id"] != chat_id:
                return
            verdict = self.classify(text)
            event_id = await repo.add_event(tx, ticket_id, "update", now, person.telegram_id, person.display_name,
                                            text[:1000])
            raised = RANK[verdict.urgency] > RANK[ticket["urgency"]]
            if raised:
                await repo.update(tx, ticket_id, {"urgency": verdict.urgency}, now)
                await repo.add_event(tx, ticket_id, "raised", now, None, None,
                                     f"{ticket['urgency']}/{ticket['category']} -> {verdict.urgency}/{ticket['category']}")
                ticket = await repo.get(tx, ticket_id)
                assert ticket is not None
            lane = Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.REPLY
            # Taking words as an update is a guess: one press makes them a request of their own.
            await self.outbox.post(tx, chat_id, ticket["lang"], "update_noted", lane=lane, purpose="reply",
                                   ticket_id=ticket_id, ticket=ticket, raised=raised,
                                   numbers=self._numbers(ticket["category"]),
                                   buttons=[[("as_new", f"asnew:{event_id}")]])
            for chat, lang in await self._people_on_ticket(tx, ticket):
                await self.outbox.post(tx, chat, lang, "update_for_volunteer", lane=self._lane(ticket),
                                       purpose="update", ticket_id=ticket_id, ticket=ticket, text=text)
            if raised and ticket["status"] == machine.OPEN:
                await self._alert(tx, ticket)
        self.outbox.kick()

    async def update_as_new(self, person: Person, chat_id: int, event_id: int, message_id: int | None) -> Answer:
        """"It's a new request": the words taken as an update become a ticket of their own."""
        async with self.db.transaction() as tx:
            found = await repo.event(tx, event_id)
            if found is None or found["kind"] != "update" or found["actor_id"] != person.telegram_id:
                return Answer("toast_stale_button", alert=True)
            await repo.mark_event(tx, event_id, "update_moved")
            if message_id is not None:
                await self.outbox.edit(tx, chat_id, person.lang, "update_moved", lane=Lane.REPLY, purpose="reply",
                                       message_id=message_id, ticket_id=found["ticket_id"])
        await self.report(person, chat_id, found["detail"] or "")
        return Answer()

    async def ask_cancel(self, person: Person, chat_id: int, ticket_id: int, text: str) -> None:
        """ "不用来了", "it's working again": ask before cancelling, with buttons."""
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            if ticket is None:
                return
            await repo.add_event(tx, ticket_id, "update", self.clock.now(), person.telegram_id, person.display_name,
                                 text[:1000])
            await self.outbox.post(tx, chat_id, ticket["lang"], "ask_cancel", lane=Lane.REPLY, purpose="reply",
                                   ticket_id=ticket_id, ticket=ticket,
                                   buttons=[[("cancel_yes", f"cancel:{ticket_id}:{RANK[ticket['urgency']]}"),
                                             ("cancel_no", f"keep:{ticket_id}")]])
        self.outbox.kick()

    async def cancel(self, person: Person, ticket_id: int, message_id: int | None, asked_at: int = 3) -> Answer:
        """The resident confirmed: no one needs to come. Every alert says so; the volunteer is told.
        A question asked before the ticket became more urgent (`asked_at`, its rank then) no longer
        cancels it: a flood is not the drip the resident wanted to cancel."""
        async with self.db.transaction() as tx:
            current = await repo.get(tx, ticket_id)
            if current is not None and RANK[current["urgency"]] > asked_at:
                return Answer("toast_changed", {"ticket": current}, alert=True)
            moved = await self._move(tx, person, ticket_id, "cancel", {"closed_at": self.clock.now()}, "reporter")
            if isinstance(moved, Answer):
                return moved
            before, ticket = moved
            await self._close_alerts(tx, ticket, "alert_cancelled")
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, ticket["lang"], "cancelled_for_resident",
                                       lane=Lane.REPLY, purpose="reply", message_id=message_id, ticket_id=ticket_id,
                                       ticket=ticket)
            for chat, lang in await self._people_on_ticket(tx, before):
                await self.outbox.post(tx, chat, lang, "cancelled_for_volunteer", lane=self._lane(before),
                                       purpose="update", ticket_id=ticket_id, ticket=before)
        self.outbox.kick()
        return Answer("toast_cancelled")

    async def keep(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        async with self.db.transaction() as tx:
            ticket = await self._reporters_ticket(tx, person, ticket_id)
            if isinstance(ticket, Answer):
                return ticket
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, ticket["lang"], "kept_for_resident", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id, ticket=ticket)
        self.outbox.kick()
        return Answer()

    async def thanks(self, person: Person, chat_id: int, ticket_id: int | None, text: str) -> None:
        """Thanks: noted on the open request and passed to its volunteer; answered kindly."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id) if ticket_id else None
            if ticket is not None:
                await repo.add_event(tx, ticket["id"], "thanks", now, person.telegram_id, person.display_name,
                                     text[:1000])
                for chat, lang in await self._people_on_ticket(tx, ticket):
                    await self.outbox.post(tx, chat, lang, "thanks_for_volunteer", lane=Lane.UPDATE,
                                           purpose="update", ticket_id=ticket["id"], ticket=ticket, text=text)
            await self.outbox.post(tx, chat_id, person.lang, "thanks_reply", lane=Lane.REPLY, purpose="reply",
                                   ticket=ticket)
        self.outbox.kick()

    async def greet(self, person: Person, chat_id: int) -> None:
        """A greeting gets a short menu (and where their requests stand), not a ticket."""
        async with self.db.transaction() as tx:
            items = await repo.open_for_reporter(tx, chat_id)
            await self.outbox.post(tx, chat_id, person.lang, "greeting", lane=Lane.REPLY, purpose="reply",
                                   me=person, tickets=items)
        self.outbox.kick()

    async def offer_relay(self, person: Person, chat_id: int, text: str, held: list[dict[str, Any]]) -> None:
        """A volunteer's words while holding a ticket are probably for its resident: ask first.
        Each offer keeps its own words, so an older button never sends newer words."""
        async with self.db.transaction() as tx:
            pending = dict(person.step_data.get("texts") or {}) if person.step == "relay" else {}
            key = str(int(max(pending, key=int, default="0")) + 1)
            pending = dict(list(pending.items())[-(RELAY_KEPT - 1):]) | {key: text[:2000]}
            await users_repo.set_step(tx, person.telegram_id, "relay", {"texts": pending}, self.clock.now())
            buttons = [[(f"relay_to:{t['id']}", f"relay:{t['id']}:{key}")] for t in held[:3]]
            buttons.append([("relay_new", f"relay:new:{key}")])
            await self.outbox.post(tx, chat_id, person.lang, "relay_offer", lane=Lane.REPLY, purpose="reply",
                                   tickets=held[:3], text=text, buttons=buttons)
        self.outbox.kick()

    async def relay(self, person: Person, ticket_id: int, key: str, message_id: int | None) -> Answer:
        """The volunteer chose: the words of that offer go to the resident of the ticket they hold."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            text = self._relay_text(person, key)
            ticket = await repo.get(tx, ticket_id)
            if not text:
                return Answer("toast_stale_button", alert=True)
            if ticket is None or ticket["status"] != machine.CLAIMED or not await self._own_claim(tx, person, ticket):
                return Answer("toast_not_yours", alert=True)
            await self._forget_relay(tx, person, key)
            await repo.add_event(tx, ticket_id, "relayed", now, person.telegram_id, person.display_name, text[:1000])
            await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "relayed_to_resident",
                                   lane=self._lane(ticket), purpose="update", ticket_id=ticket_id, ticket=ticket,
                                   volunteer=first_name_of(person.display_name), text=text)
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, person.lang, "relay_done", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket=ticket, text=text)
        self.outbox.kick()
        return Answer("toast_relayed")

    @staticmethod
    def _relay_text(person: Person, key: str) -> str | None:
        return (person.step_data.get("texts") or {}).get(key) if person.step == "relay" else None

    async def _forget_relay(self, tx: Tx, person: Person, key: str) -> None:
        pending = {k: v for k, v in (person.step_data.get("texts") or {}).items() if k != key}
        await users_repo.set_step(tx, person.telegram_id, "relay" if pending else None,
                                  {"texts": pending} if pending else {}, self.clock.now())

    async def take_relay_text(self, person: Person, key: str) -> str | None:
        """The words of one offer, which the volunteer chose to send as a request of their own."""
        text = self._relay_text(person, key)
        if text:
            async with self.db.transaction() as tx:
                await self._forget_relay(tx, person, key)
        return text

    async def hold_fragment(self, person: Person, chat_id: int, text: str) -> None:
        """The start of a sentence typed in pieces: kept until the rest comes (or FRAGMENT_WAIT
        passes, then it is a request as it is). Only the first piece gets "go on"."""
        async with self.db.transaction() as tx:
            first = person.step != "fragment" and " " not in text
            await users_repo.set_step(tx, person.telegram_id, "fragment", {"text": text[:2000]}, self.clock.now())
            if first:
                await self.outbox.post(tx, chat_id, person.lang, "go_on", lane=Lane.REPLY, purpose="reply")
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
        for user in waiting:
            person = await self.who(user["telegram_id"], None)
            if person.step != "fragment":
                continue
            text = person.step_data.get("text") or ""
            await self.drop_fragment(person)
            if text:
                await self.report(person, person.telegram_id, text)
        return len(waiting)

    async def ask_again(self, person: Person, chat_id: int) -> None:
        """The question the bot was waiting on, asked again after a message that was not its answer."""
        async with self.db.transaction() as tx:
            ticket_id = person.step_data.get("ticket_id")
            ticket = await repo.get(tx, int(ticket_id)) if ticket_id else None
            if person.step == "ticket_address" and ticket:
                await self.outbox.post(tx, chat_id, person.lang, "ask_address", lane=Lane.REPLY, purpose="reply",
                                       ticket_id=ticket["id"], ticket=ticket, again=True)
            elif person.step == "rating_comment" and ticket:
                await self.outbox.post(tx, chat_id, ticket["lang"], "ask_comment", lane=Lane.REPLY,
                                       purpose="reply", ticket_id=ticket["id"], ticket=ticket, again=True,
                                       buttons=[[("skip", f"nocomment:{ticket['id']}")]])
        self.outbox.kick()

    async def document(self, person: Person, chat_id: int) -> None:
        """A file is never a request: we cannot open it (spreadsheets are imported by staff)."""
        await self.reply(person, chat_id, "document_not_read", me=person)

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
        """One round of alerts: the on-duty volunteers of the grid, and the admin group (or each
        admin, in their own language) for emergencies, for reporters we cannot place, or when
        nobody is on duty. A voice note or photo that is the request itself follows its alert."""
        now = self.clock.now()
        round_ = ticket["alert_round"] + 1
        await repo.update(tx, ticket["id"], {"alert_round": round_}, now)
        members = on_duty(await self._duty(tx, ticket["grid"]), now, exclude)
        audience: list[tuple[int, str | None, str]] = [
            (m.telegram_id, m.language, str(m.telegram_id)) for m in members if m.telegram_id is not None
        ]
        names = ", ".join(m.name for m in members) or "-"
        await repo.add_event(tx, ticket["id"], "alerted", now, None, None, f"round {round_}: {names}")
        if ticket["urgency"] == "emergency" or ticket["resident_id"] is None or not members:
            group = await settings_repo.get(tx, ADMIN_GROUP)
            if group:
                audience.append((int(group), self.settings.default_language, "group"))
            else:
                audience += [(admin_id, await self._lang_of(tx, admin_id), str(admin_id))
                             for admin_id in sorted(self.settings.admin_ids)]
        resident = await residents_repo.by_id(tx, ticket["resident_id"]) if ticket["resident_id"] else None
        # the reporter's own vulnerability counts when the problem is at their own flat
        about_reporter = resident is not None and (ticket["place_source"] != "text" or (
            ticket["building"] == resident["building"] and ticket["room"] in (None, resident["room"])))
        media = await repo.attachments(tx, ticket["id"]) if ticket["source"] in ("voice", "photo") else []
        lane = Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.ALERT
        buttons = [[("claim", f"claim:{ticket['id']}"), ("decline", f"decline:{ticket['id']}")]]
        updates = await self._updates(tx, ticket["id"])
        for chat_id, lang, key in audience:
            await self.outbox.post(
                tx, chat_id, lang, "alert", lane=lane, purpose="alert", buttons=buttons, ticket_id=ticket["id"],
                dedupe=f"alert:{ticket['id']}:{round_}:{key}", ticket=ticket, round=round_, updates=updates,
                nobody_on_duty=not members, vulnerable=about_reporter and self._vulnerable(resident),
            )
            for item in media:
                await self.outbox.media(tx, chat_id, item["kind"], item["file_id"], lane=lane, purpose="alert_media",
                                        ticket_id=ticket["id"], caption=f"#{ticket['id']}",
                                        dedupe=f"alert_media:{item['id']}:{round_}:{key}")

    async def _updates(self, tx: Tx, ticket_id: int, last: int = 3) -> list[str]:
        """What the resident added since (the newest few): alerts and details show them."""
        return [e["detail"] for e in await repo.events(tx, ticket_id) if e["kind"] == "update" and e["detail"]][-last:]

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
            updates=await self._updates(tx, ticket["id"]),
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
        await repo.add_event(tx, ticket_id, move.event, now, person.telegram_id,
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
            # two rows of big buttons: five in a row are too small for an old thumb
            stars = [[(f"star{n}", f"rate:{ticket_id}:{n}") for n in (1, 2, 3)],
                     [(f"star{n}", f"rate:{ticket_id}:{n}") for n in (4, 5)]]
            await self.outbox.post(tx, person.telegram_id, found["lang"], "ask_rating", lane=Lane.REPLY,
                                   purpose="reply", ticket_id=ticket_id, buttons=stars, ticket=found)
            # a typed "5" or "非常满意" is an answer too
            await users_repo.set_step(tx, person.telegram_id, "rating", {"ticket_id": ticket_id}, self.clock.now())
            for chat, lang in await self._people_on_ticket(tx, found):
                await self.outbox.post(tx, chat, lang, "confirmed_for_volunteer", lane=Lane.UPDATE,
                                       purpose="update", ticket_id=ticket_id, ticket=found)
        self.outbox.kick()
        return Answer("toast_thanks")

    async def not_fixed(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        """"Not yet": back to the volunteer who did the work (who can still release it); a ticket
        nobody had claimed goes back to the pool and is alerted again."""
        async with self.db.transaction() as tx:
            found = await self._reporters_ticket(tx, person, ticket_id)
            if isinstance(found, Answer):
                return found
            if found["claimed_by"] is not None:
                moved = await self._move(tx, person, ticket_id, "redo", {"resolved_at": None}, "reporter")
            else:
                moved = await self._move(tx, person, ticket_id, "reopen",
                                         {"claimed_by": None, "claimed_at": None, "resolved_at": None}, "reporter")
            if isinstance(moved, Answer):
                return moved
            found, ticket = moved
            for chat, lang in await self._people_on_ticket(tx, ticket):
                await self.outbox.post(tx, chat, lang, "reopened_for_volunteer", lane=self._lane(ticket),
                                       purpose="details", ticket_id=ticket_id, ticket=ticket,
                                       buttons=[[("resolved", f"resolve:{ticket_id}"),
                                                 ("release", f"release:{ticket_id}")]])
            said = {"ticket_id": ticket_id, "ticket": ticket, "volunteer": first_name_of(ticket["claimant_name"])}
            if message_id is not None:  # the button: the question itself says what happens now
                await self.outbox.edit(tx, person.telegram_id, ticket["lang"], "reopened_for_resident",
                                       lane=Lane.REPLY, purpose="reply", message_id=message_id, **said)
            else:  # typed ("还没好"): an answer of its own
                await self.outbox.post(tx, person.telegram_id, ticket["lang"], "reopened_for_resident",
                                       lane=Lane.REPLY, purpose="reply", **said)
            if ticket["status"] == machine.OPEN:
                await self._alert(tx, ticket)
        self.outbox.kick()
        return Answer("toast_reopened")

    async def close_unconfirmed(self) -> int:
        """Resolved tickets the resident never confirmed close themselves after AUTOCLOSE_DAYS,
        with a note to the resident. Called by the scheduler tick; returns how many closed."""
        now = self.clock.now()
        closed = 0
        async with self.db.transaction() as tx:
            for ticket_id in await repo.resolved_before(tx, now - self.settings.autoclose_days * 86400):
                if not await repo.change(tx, ticket_id, (machine.RESOLVED,), {"status": machine.CLOSED,
                                                                             "closed_at": now}, now):
                    continue
                await repo.add_event(tx, ticket_id, "auto_closed", now, None, None,
                                     f"{self.settings.autoclose_days:g}")
                ticket = await repo.get(tx, ticket_id)
                assert ticket is not None
                await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "auto_closed_for_resident",
                                       lane=Lane.UPDATE, purpose="update", ticket_id=ticket_id, ticket=ticket,
                                       days=self.settings.autoclose_days)
                closed += 1
        if closed:
            self.outbox.kick()
        return closed

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
