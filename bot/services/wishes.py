"""Micro-wishes (微心愿): a registered resident's small wish waits for the committee's approval, is
announced to the volunteers of the resident's grid (a low lane: a wish is never an alert), one
volunteer adopts it (first press wins: a compare-and-set in the database), sees the resident's
contact details privately, marks it fulfilled, and the resident confirms and thanks them.

The state machine and its rules are bot/core/wishes.py; every move here is one transaction, and
the state is the row, so a restart loses nothing and a stale or forged button gets a kind answer.
"""

from __future__ import annotations

from typing import Any

from bot.core import wishes as rules
from bot.delivery import Lane, buttons
from bot.delivery.render import Button
from bot.services.base import Answer, Service
from bot.services.intake import Intake
from bot.services.kit import Kit
from bot.services.people import Person, first_name_of
from bot.services.teams import ADMIN_GROUP
from storage import Tx, residents as residents_repo, settings as settings_repo, teams as teams_repo
from storage import wishes as repo

Wish = dict[str, Any]
PER_PAGE = 8  # wishes on a page of /wishes


def wish_button(key: str, action: str, wish_id: int) -> Button:
    return (f"{key}:{wish_id}", buttons.WISH.data(action, wish_id))


class Wishes(Service):
    def __init__(self, kit: Kit, intake: Intake) -> None:
        super().__init__(kit)
        self.intake = intake

    # -- the resident ------------------------------------------------------------------------------

    async def make(self, person: Person, chat_id: int, text: str, update_id: int | None = None) -> None:
        """/wish TEXT in a private chat. Words that read as urgent or an emergency become a request
        (alerted at once by the intake) rather than a wish that would wait for the committee."""
        problem = rules.problem_with(text)
        if chat_id != person.telegram_id or not person.registered or problem:
            template = ("wish_private_only" if chat_id != person.telegram_id else
                        "wish_register_first" if not person.registered else f"wish_{problem}")
            async with self.db.transaction() as tx:
                await self.outbox.say(tx, chat_id, person.lang, template, most=rules.MAX_TEXT, length=len(text))
            self.outbox.kick()
            return
        verdict = await self.intake.verdict(text)
        if rules.is_a_report(verdict.urgency, verdict.unsure):
            # never lost: the intake makes the request (and its alerts) in its own transaction first
            ticket_id = await self.intake.report(person, chat_id, text, update_id=update_id)
            async with self.db.transaction() as tx:
                await self.outbox.say(tx, chat_id, person.lang, "wish_is_a_report", number=ticket_id)
            self.outbox.kick()
            return
        now = self.clock.now()
        async with self.db.transaction() as tx:
            most = self.settings.wishes_per_resident
            if rules.over_limit(await repo.count_for_resident(tx, chat_id, rules.OPEN), most):
                await self.outbox.say(tx, chat_id, person.lang, "wish_limit", most=most)
                self.outbox.kick()
                return
            resident = person.resident or {}
            grid = resident.get("grid") or (await residents_repo.grid_of_building(tx, resident["building"])
                                            if resident.get("building") else None) or self.settings.default_grid
            wish_id, created = await repo.create(tx, {
                "status": rules.PENDING, "text": rules.clean(text), "lang": person.lang,
                "resident_id": resident.get("id"), "resident_chat_id": chat_id, "resident_name": person.display_name,
                "grid": grid, "source_update_id": update_id}, now)
            if not created:
                return  # the same update again: it was answered the first time
            await repo.add_event(tx, wish_id, "created", now, person.telegram_id, person.display_name)
            wish = await repo.get(tx, wish_id)
            assert wish is not None
            await self.outbox.say(tx, chat_id, person.lang, "wish_received", wish=wish)
            await self._tell_admins(tx, wish, resident)
        self.outbox.kick()

    async def _tell_admins(self, tx: Tx, wish: Wish, resident: dict[str, Any]) -> None:
        """The admin group if there is one, else each admin privately: the wish with Approve / Decline."""
        group = await settings_repo.get(tx, ADMIN_GROUP)
        audience = ([(int(group), self.settings.default_language)] if group else
                    [(admin, await self.lang_of(tx, admin)) for admin in sorted(self.settings.admin_ids)])
        keyboard = [[wish_button("wish_ok", "ok", wish["id"]), wish_button("wish_no", "no", wish["id"])]]
        for chat_id, lang in audience:
            await self.outbox.post(tx, chat_id, lang, "wish_admin", lane=Lane.UPDATE, purpose="wish",
                                   buttons=keyboard, dedupe=f"wish_admin:{wish['id']}:{chat_id}", wish=wish,
                                   resident=resident, decided=None)

    # -- the committee -----------------------------------------------------------------------------

    async def decide(self, person: Person, wish_id: int, approve: bool, reason: str | None = None,
                     chat_id: int | None = None, message_id: int | None = None) -> Answer:
        """Approve / Decline (a button, or /wish N approve|decline [REASON]): admins only. The
        resident is told; an approved wish is announced to the volunteers of its grid."""
        action = "approve" if approve else "decline"
        reason = rules.clean(reason or "")[:rules.MAX_REASON] or None
        now = self.clock.now()
        async with self.db.transaction() as tx:
            wish = await self._movable(tx, person, wish_id, action)
            if isinstance(wish, Answer):
                return wish
            values: dict[str, Any] = ({"approved_at": now} if approve else
                                      {"declined_at": now, "decline_reason": reason})
            wish = await self._apply(tx, person, wish, action, {**values, "decided_by": person.display_name},
                                     detail=reason)
            if isinstance(wish, Answer):
                return wish
            owner = await self.person(tx, wish["resident_chat_id"])
            await self.outbox.post(tx, wish["resident_chat_id"], owner.lang,
                                   "wish_approved_for_resident" if approve else "wish_declined_for_resident",
                                   lane=Lane.UPDATE, purpose="wish", wish=wish)
            told = await self._announce(tx, wish) if approve else 0
            if chat_id is not None and message_id is not None:
                resident = await residents_repo.by_id(tx, wish["resident_id"]) if wish["resident_id"] else None
                await self.outbox.edit(tx, chat_id, person.lang if chat_id > 0 else self.settings.default_language,
                                       "wish_admin", lane=Lane.REPLY, purpose="wish", message_id=message_id,
                                       wish=wish, resident=resident or {}, decided=action)
        self.outbox.kick()
        return Answer("toast_wish_approved" if approve else "toast_wish_declined", {"wish": wish, "told": told})

    async def _announce(self, tx: Tx, wish: Wish) -> int:
        """The volunteers of the teams covering the wish's grid hear of it, in the bulk lane (a wish
        is never an alert), with Adopt. The resident's contact details are not in it. How many."""
        seen: set[int] = {wish["resident_chat_id"]}
        for member in await teams_repo.memberships_for_grid(tx, wish["grid"] or self.settings.default_grid):
            chat = member["telegram_id"]
            if chat is None or chat in seen:
                continue
            seen.add(chat)
            await self.outbox.post(tx, chat, await self.lang_of(tx, chat), "wish_announce", lane=Lane.BULK,
                                   purpose="wish", dedupe=f"wish_announce:{wish['id']}:{chat}", wish=wish,
                                   buttons=[[wish_button("wish_adopt", "adopt", wish["id"])]])
        return len(seen) - 1

    # -- volunteers (and local units an admin records) -------------------------------------------

    async def adopt(self, person: Person, wish_id: int, chat_id: int, unit: str | None = None) -> Answer:
        """Adopt (a button, or /wish N adopt [UNIT NAME]): the first press wins; the adopter, and
        only the adopter, gets the resident's contact details, in their private chat. An admin may
        record a local unit (a shop, a company) as the adopter; then the admin holds the details."""
        unit = rules.clean(unit or "")[:rules.MAX_UNIT] or None
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if unit and not person.is_admin:
                return Answer("toast_admins_only", alert=True)
            wish = await self._movable(tx, person, wish_id, "adopt")
            if isinstance(wish, Answer):
                return wish
            adopter_id = int(person.volunteer["id"]) if person.volunteer and not unit else None
            wish = await self._apply(tx, person, wish, "adopt", {
                "adopted_at": now, "adopter_volunteer_id": adopter_id, "adopter_telegram_id": person.telegram_id,
                "adopter_name": unit or person.display_name, "adopter_unit": unit}, detail=unit)
            if isinstance(wish, Answer):
                return wish
            owner = await self.person(tx, wish["resident_chat_id"])
            await self.outbox.post(tx, wish["resident_chat_id"], owner.lang, "wish_adopted_for_resident",
                                   lane=Lane.UPDATE, purpose="wish", wish=wish,
                                   adopter=unit or first_name_of(person.display_name))
            await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang,
                                        lambda chat: self._details(tx, chat, person.lang, wish),
                                        person.first_name)
        self.outbox.kick()
        return Answer("toast_wish_adopted", {"wish": wish})

    async def _details(self, tx: Tx, chat_id: int, lang: str, wish: Wish, template: str = "wish_details") -> int | None:
        resident = await residents_repo.by_id(tx, wish["resident_id"]) if wish["resident_id"] else None
        keyboard = [[wish_button("wish_done", "done", wish["id"]), wish_button("wish_back", "back", wish["id"])]]
        return await self.outbox.post(tx, chat_id, lang, template, lane=Lane.UPDATE, purpose="wish",
                                      buttons=keyboard, wish=wish, resident=resident or {})

    async def give_back(self, person: Person, wish_id: int, message_id: int | None = None) -> Answer:
        """The adopter cannot do it after all: the wish is open for adoption again."""
        async with self.db.transaction() as tx:
            wish = await self._movable(tx, person, wish_id, "give_back")
            if isinstance(wish, Answer):
                return wish
            before = wish
            wish = await self._apply(tx, person, wish, "give_back", {
                "adopter_volunteer_id": None, "adopter_telegram_id": None, "adopter_name": None, "adopter_unit": None})
            if isinstance(wish, Answer):
                return wish
            owner = await self.person(tx, wish["resident_chat_id"])
            await self.outbox.post(tx, wish["resident_chat_id"], owner.lang, "wish_given_back_for_resident",
                                   lane=Lane.UPDATE, purpose="wish", wish=wish)
            await self._edit(tx, person, message_id, "wish_details_ended", before, ended="back")
        self.outbox.kick()
        return Answer("toast_wish_given_back", {"wish": wish})

    async def fulfil(self, person: Person, wish_id: int, message_id: int | None = None) -> Answer:
        """Fulfilled: the resident is asked to confirm (👍, thank you / not yet)."""
        async with self.db.transaction() as tx:
            wish = await self._movable(tx, person, wish_id, "fulfil")
            if isinstance(wish, Answer):
                return wish
            wish = await self._apply(tx, person, wish, "fulfil", {"fulfilled_at": self.clock.now()})
            if isinstance(wish, Answer):
                return wish
            owner = await self.person(tx, wish["resident_chat_id"])
            await self.outbox.post(tx, wish["resident_chat_id"], owner.lang, "wish_ask_confirm", lane=Lane.UPDATE,
                                   purpose="wish", wish=wish, adopter=self._adopter_shown(wish),
                                   buttons=[[wish_button("wish_yes", "yes", wish_id)],
                                            [wish_button("wish_notyet", "notyet", wish_id)]])
            await self._edit(tx, person, message_id, "wish_details_ended", wish, ended="done")
        self.outbox.kick()
        return Answer("toast_wish_fulfilled", {"wish": wish})

    # -- the resident again ------------------------------------------------------------------------

    async def confirm(self, person: Person, wish_id: int, thanks: str | None = None,
                      message_id: int | None = None) -> Answer:
        """👍 (or /wish N thanks TEXT): done, and the adopter hears the thanks. Words of thanks may
        also follow a confirmation already made; they reach the adopter each time."""
        thanks = rules.clean(thanks or "")[:rules.MAX_THANKS] or None
        now = self.clock.now()
        async with self.db.transaction() as tx:
            wish = await repo.get(tx, wish_id)
            already = (wish is not None and wish["status"] == rules.CONFIRMED and thanks is not None
                       and wish["resident_chat_id"] == person.telegram_id)
            if already:
                assert wish is not None
                await repo.update(tx, wish_id, {"thanks": thanks}, now)
                await repo.add_event(tx, wish_id, "thanks", now, person.telegram_id, person.display_name, thanks)
            else:
                wish = await self._movable(tx, person, wish_id, "confirm")
                if isinstance(wish, Answer):
                    return wish
                wish = await self._apply(tx, person, wish, "confirm", {"confirmed_at": now, "thanks": thanks or "👍"},
                                         detail=thanks)
                if isinstance(wish, Answer):
                    return wish
                if message_id is not None:   # the 👍 button (a command's answer is the toast, as a reply)
                    await self.outbox.say(tx, person.telegram_id, person.lang, "wish_confirmed", wish=wish,
                                          adopter=self._adopter_shown(wish), thanked=thanks is not None)
                    await self.outbox.edit(tx, person.telegram_id, person.lang, "wish_ask_confirm", lane=Lane.REPLY,
                                           purpose="wish", message_id=message_id, wish=wish,
                                           adopter=self._adopter_shown(wish))
            if wish["adopter_telegram_id"]:
                adopter = wish["adopter_telegram_id"]
                await self.outbox.post(tx, adopter, await self.lang_of(tx, adopter), "wish_thanks_for_adopter",
                                       lane=Lane.UPDATE, purpose="wish", wish=wish, thanks=thanks,
                                       resident=first_name_of(wish["resident_name"]))
        self.outbox.kick()
        return Answer("toast_wish_thanked", {"wish": wish})

    async def not_yet(self, person: Person, wish_id: int, message_id: int | None = None) -> Answer:
        """The resident says it is not done yet: back to the adopter, who is told."""
        async with self.db.transaction() as tx:
            wish = await self._movable(tx, person, wish_id, "not_yet")
            if isinstance(wish, Answer):
                return wish
            wish = await self._apply(tx, person, wish, "not_yet", {"fulfilled_at": None})
            if isinstance(wish, Answer):
                return wish
            if wish["adopter_telegram_id"]:
                adopter = await self.person(tx, wish["adopter_telegram_id"])
                await self._details(tx, adopter.telegram_id, adopter.lang, wish, "wish_not_yet_for_adopter")
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, person.lang, "wish_ask_confirm", lane=Lane.REPLY,
                                       purpose="wish", message_id=message_id, wish=wish,
                                       adopter=self._adopter_shown(wish))
        self.outbox.kick()
        return Answer("toast_wish_not_yet", {"wish": wish})

    async def withdraw(self, person: Person, wish_id: int) -> Answer:
        """The resident no longer needs it (while it is not fulfilled); an adopter is told."""
        async with self.db.transaction() as tx:
            wish = await self._movable(tx, person, wish_id, "withdraw")
            if isinstance(wish, Answer):
                return wish
            wish = await self._apply(tx, person, wish, "withdraw", {"withdrawn_at": self.clock.now()})
            if isinstance(wish, Answer):
                return wish
            if wish["adopter_telegram_id"]:
                adopter = wish["adopter_telegram_id"]
                await self.outbox.post(tx, adopter, await self.lang_of(tx, adopter), "wish_withdrawn_for_adopter",
                                       lane=Lane.UPDATE, purpose="wish", wish=wish)
        self.outbox.kick()
        return Answer("toast_wish_withdrawn", {"wish": wish})

    # -- /wishes -----------------------------------------------------------------------------------

    async def listing(self, person: Person, chat_id: int, page: int = 0, message_id: int | None = None) -> None:
        """/wishes: an admin sees the pending and open wishes (Approve / Decline under the pending
        ones); a volunteer, the approved wishes waiting for someone (Adopt) and those they hold;
        a resident, their own. In the asker's private chat: wishes name people and their needs."""
        async with self.db.transaction() as tx:
            if person.is_admin:
                view, items = "admin", await repo.with_status(tx, rules.DESK)
            elif person.volunteer and person.volunteer["active"]:
                held = await repo.held_by(tx, person.telegram_id, (rules.ADOPTED, rules.FULFILLED))
                items = [w for w in await repo.with_status(tx, (rules.APPROVED,))
                         if w["resident_chat_id"] != person.telegram_id] + held
                view = "volunteer"
            else:
                view = "resident"
                items = await repo.of_resident(tx, person.telegram_id, rules.DESK)

            def item_buttons(shown: Any) -> list[list[Button]]:
                return [row for wish in shown for row in self._list_buttons(view, wish, person, page)]

            async def show(chat: int) -> int | None:
                return await self.outbox.paged(tx, chat, person.lang, "wishes", items, listing="wishes", name="wishes",
                                               page=page, message_id=message_id, most=PER_PAGE,
                                               item_buttons=item_buttons, view=view,
                                               registered=person.registered)

            if message_id is not None:
                await show(chat_id)
            else:
                await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, show, person.first_name)
        self.outbox.kick()

    async def from_list(self, person: Person, action: str, wish_id: int, page: int, chat_id: int,
                        message_id: int | None) -> Answer:
        """A button under a /wishes list: the move, then the same page shown again as it is now."""
        moves = {"ok": lambda: self.decide(person, wish_id, True), "no": lambda: self.decide(person, wish_id, False),
                 "adopt": lambda: self.adopt(person, wish_id, chat_id), "done": lambda: self.fulfil(person, wish_id),
                 "back": lambda: self.give_back(person, wish_id), "withdraw": lambda: self.withdraw(person, wish_id)}
        answer = await moves[action]()
        if message_id is not None and chat_id == person.telegram_id:   # lists live in private chats only
            await self.listing(person, chat_id, page, message_id)
        return answer

    @staticmethod
    def _list_buttons(view: str, wish: Wish, person: Person, page: int) -> list[list[Button]]:
        status, number = wish["status"], wish["id"]

        def button(key: str, action: str) -> Button:
            return (f"{key}:{number}", buttons.WISH_IN_LIST.data(action, number, page))

        if view == "admin" and status == rules.PENDING:
            return [[button("wish_ok", "ok"), button("wish_no", "no")]]
        if view == "volunteer" and status == rules.APPROVED:
            return [[button("wish_adopt", "adopt")]]
        if view == "volunteer" and status == rules.ADOPTED and wish["adopter_telegram_id"] == person.telegram_id:
            return [[button("wish_done", "done"), button("wish_back", "back")]]
        if view == "resident" and status in rules.OPEN:
            return [[button("wish_withdraw", "withdraw")]]
        return []

    # -- shared steps ------------------------------------------------------------------------------

    async def _movable(self, tx: Tx, person: Person, wish_id: int, action: str) -> Wish | Answer:
        """The wish, if this person may make this move on it now; otherwise the kind refusal."""
        wish = await repo.get(tx, wish_id)
        if wish is None:
            return Answer("toast_wish_unknown", {"id": wish_id}, alert=True)
        actor = rules.Actor(
            is_admin=person.is_admin, is_owner=wish["resident_chat_id"] == person.telegram_id,
            is_adopter=wish["adopter_telegram_id"] is not None and wish["adopter_telegram_id"] == person.telegram_id,
            is_volunteer=bool(person.volunteer and person.volunteer["active"]))
        why = rules.check(action, wish["status"], actor)
        if why == "not_allowed":
            if action in ("approve", "decline"):
                return Answer("toast_admins_only", alert=True)
            return Answer("toast_wish_not_yours", {"wish": wish, "action": action, "own": actor.is_owner}, alert=True)
        if why == "stale":
            return self._stale(wish, action)
        return wish

    async def _apply(self, tx: Tx, person: Person, wish: Wish, action: str, values: dict[str, Any],
                     detail: str | None = None) -> Wish | Answer:
        """The move as a compare-and-set on the status, and its event; the wish after it, or (when
        somebody else moved it first) what it is now."""
        now = self.clock.now()
        move = rules.MOVES[action]
        if not await repo.change(tx, wish["id"], move.sources, {"status": move.target, **values}, now):
            fresh = await repo.get(tx, wish["id"])
            assert fresh is not None
            return self._stale(fresh, action)
        await repo.add_event(tx, wish["id"], action, now, person.telegram_id, person.display_name, detail)
        after = await repo.get(tx, wish["id"])
        assert after is not None
        return after

    @staticmethod
    def _stale(wish: Wish, action: str) -> Answer:
        """Somebody was quicker ("adopted already, thank you"), or the wish moved on: say what it is now."""
        if action == "adopt" and wish["status"] in (rules.ADOPTED, rules.FULFILLED, rules.CONFIRMED):
            return Answer("toast_wish_taken", {"wish": wish}, alert=True)
        return Answer("toast_wish_stale", {"wish": wish}, alert=True)

    async def _edit(self, tx: Tx, person: Person, message_id: int | None, template: str, wish: Wish,
                    **context: Any) -> None:
        """The adopter's details message now says what they did (no buttons)."""
        if message_id is not None:
            await self.outbox.edit(tx, person.telegram_id, person.lang, template, lane=Lane.REPLY, purpose="wish",
                                   message_id=message_id, wish=wish, **context)

    @staticmethod
    def _adopter_shown(wish: Wish) -> str:
        """What a resident is told of their adopter: a unit's name, or a volunteer's first name."""
        return wish["adopter_unit"] or first_name_of(wish["adopter_name"])
