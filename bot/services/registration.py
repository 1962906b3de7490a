"""Registration and the profile: a short conversation whose place is kept in the database.

A conversation is a queue of steps (users.step and users.step_data["queue"]): the full
registration asks every step, editing one field from /profile asks only its steps.
A restart in the middle resumes at the same question.

The phone number is where identity is decided (bot/services/identity.py): only the person's own
contact, shared with the button, links a record the committee holds; a typed number (or somebody
else's contact card) is taken like any number and never tells whether a record has it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from bot.config import LANGUAGES, Settings
from bot.core import clean_building, clean_name, clean_room, clean_unit, intent, normalize_phone, split_contact
from bot.core import identity as identity_rules
from bot.delivery import Outbox, Renderer, buttons
from bot.services.identity import Identity
from bot.services.people import Person
from storage import Database, Tx, residents as residents_repo, users as users_repo

Claim, Outcome = identity_rules.Claim, identity_rules.Outcome
FULL = ["phone", "name", "building", "unit", "room", "alone", "contact"]
EDITS = {
    "name": ["name"],
    "address": ["building", "unit", "room"],
    "phone": ["phone"],
    "alone": ["alone"],
    "contact": ["contact"],
}
MAX_FIELD = 80
# Stored without the labels people type ("5号楼", "2单元", "302室"): templates add them once.
CLEAN = {"name": clean_name, "building": clean_building, "unit": clean_unit, "room": clean_room}
YES = {"yes", "y", "是", "是的", "对", "嗯", "1"}
NO = {"no", "n", "否", "不是", "不", "没有", "0"}
NO_CONTACT = {"skip", "跳过", "-", "无", "没有", "none", "no", "nobody", "n/a", "na", "no one", "nope", "没人"}
# a building, unit or room has a number or a letter in it ("5", "B", "七")
_PLAUSIBLE = re.compile(r"[0-9a-zA-Z零〇一二两三四五六七八九十]")


class Registration:
    def __init__(self, db: Database, outbox: Outbox, renderer: Renderer, settings: Settings, clock: Clock,
                 identity: Identity) -> None:
        self.db = db
        self.identity = identity
        self.outbox = outbox
        self.renderer = renderer
        self.settings = settings
        self.clock = clock
        # told after each step: requests made before registering learn who and where their reporter is
        self.on_registered: Callable[[int], Awaitable[None]] | None = None

    async def _settled(self, person: Person) -> None:
        if self.on_registered is not None:
            await self.on_registered(person.telegram_id)

    # -- entry points -------------------------------------------------------------------------

    async def start(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            if person.registered:
                await self.outbox.say(tx, chat_id, person.lang, "welcome_back", me=person)
            elif not person.language_chosen:
                await users_repo.set_step(tx, person.telegram_id, "language", {"queue": FULL}, self.clock.now())
                await self._ask_language(tx, person, chat_id)
            else:
                await self._begin(tx, person, chat_id)
        self.outbox.kick()

    async def choose_language(self, person: Person, chat_id: int, lang: str) -> bool:
        if lang not in LANGUAGES:
            return False
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await users_repo.set_language(tx, person.telegram_id, lang, now)
            if person.resident:
                await residents_repo.update(tx, person.resident["id"], {"language": lang}, now)
            person.lang, person.language_chosen = lang, True
            await self.outbox.say(tx, chat_id, person.lang, "language_set")
            if person.step == "language" and not person.registered:
                await self._begin(tx, person, chat_id)
        self.outbox.kick()
        await self._settled(person)
        return True

    async def ask_language(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            await self._ask_language(tx, person, chat_id)
        self.outbox.kick()

    async def edit(self, person: Person, chat_id: int, field: str) -> bool:
        queue = EDITS.get(field)
        if queue is None or not person.registered:
            return False
        async with self.db.transaction() as tx:
            await self._ask(tx, person, chat_id, queue, {"edit": True})
        self.outbox.kick()
        return True

    async def profile(self, person: Person, chat_id: int) -> None:
        async with self.db.transaction() as tx:
            if not person.registered:
                await self.outbox.say(tx, chat_id, person.lang, "profile_none")
            else:
                await self._show_profile(tx, person, chat_id, person.resident or {})
        self.outbox.kick()

    async def answer(self, person: Person, chat_id: int, text: str | None = None, phone: str | None = None,
                     proven: bool = False) -> None:
        """The person's answer to the step they are on (typed text, a shared contact, or a button).
        `phone` is a shared contact's number; `proven` when Telegram says it is the sender's own."""
        data = dict(person.step_data)
        queue = list(data.get("queue") or [])
        if not queue:
            return
        step = queue[0]
        async with self.db.transaction() as tx:
            problem = await self._take(tx, person, step, text, phone, proven, data)
            if note := data.pop("note", None):
                await self.outbox.say(tx, chat_id, person.lang, note)
            if problem:
                await self.outbox.say(tx, chat_id, person.lang, problem)
                await self._ask(tx, person, chat_id, queue, data)
            elif data.pop("linked", False):
                pass  # an imported record was found: nothing more to ask
            else:
                await self._ask(tx, person, chat_id, queue[1:], data)
        self.outbox.kick()
        await self._settled(person)

    async def ask_again(self, person: Person, chat_id: int) -> None:
        """The pending question once more, after a message that was not its answer."""
        async with self.db.transaction() as tx:
            if person.step == "language":
                await self._ask_language(tx, person, chat_id)
            elif person.step == "profile" and person.step_data.get("queue"):
                await self._ask(tx, person, chat_id, list(person.step_data["queue"]), dict(person.step_data))
        self.outbox.kick()

    # -- steps --------------------------------------------------------------------------------

    async def _begin(self, tx: Tx, person: Person, chat_id: int) -> None:
        """Link an imported record by Telegram id, or ask the first question."""
        record = person.resident
        if record and not record["registered_at"]:
            await self._link(tx, person, chat_id, record)
            return
        await self.outbox.say(tx, chat_id, person.lang, "registration_intro")
        await self._ask(tx, person, chat_id, FULL, {})

    async def _ask(self, tx: Tx, person: Person, chat_id: int, queue: list[str], data: dict[str, Any]) -> None:
        now = self.clock.now()
        if not queue:
            await users_repo.set_step(tx, person.telegram_id, None, {}, now)
            await self._save(tx, person, chat_id, data)
            return
        data["queue"] = queue
        await users_repo.set_step(tx, person.telegram_id, "profile", data, now)
        step = queue[0]
        if step == "phone":
            await self.outbox.say(tx, chat_id, person.lang, "ask_phone", keyboard=self.renderer.contact_keyboard(person.lang))
        elif step == "alone":
            await self.outbox.say(tx, chat_id, person.lang, "ask_alone",
                            buttons=[[("yes", buttons.ALONE.data("yes")), ("no", buttons.ALONE.data("no"))]])
        elif step == "contact":
            await self.outbox.say(tx, chat_id, person.lang, "ask_contact", buttons=[[("skip", buttons.CONTACT_SKIP.data("skip"))]])
        else:
            await self.outbox.say(tx, chat_id, person.lang, f"ask_{step}", keyboard=self.renderer.remove_keyboard()
                            if step == "name" else None)

    async def _take(
        self, tx: Tx, person: Person, step: str, text: str | None, phone: str | None, proven: bool,
        data: dict[str, Any]
    ) -> str | None:
        """Validate one answer into `data`; the name of a template explaining a problem, or None."""
        value = (text or "").strip()
        region = self.settings.phone_region
        if step == "phone":
            claim = Claim.TYPED if phone is None else Claim.PROVEN if proven else Claim.CARD
            number = normalize_phone(phone or value, region, international=phone is not None)
            if number is None:
                return "bad_phone"
            outcome = await self.identity.claim(tx, person, number, claim)
            if outcome is Outcome.LINK:  # Telegram proved the number of a record nobody has: it is theirs
                record = await residents_repo.by_phone(tx, number)
                assert record is not None
                await self._link(tx, person, person.telegram_id, record)
                data["linked"] = True
            elif outcome in (Outcome.STORE, Outcome.TAKE_BACK):
                data["phone"], data["phone_source"] = number, ("contact" if claim is Claim.PROVEN else "typed")
            elif outcome is Outcome.REFUSED:
                data["note"] = "phone_refused"   # their own number, held by another account: admins told
            # PENDING: the answer anybody gets; the committee decides, the profile shows the number meanwhile
            return None
        if step == "alone":
            said = intent.kinds_of(value)  # "是 一个人住", "yes I live alone", "不是"
            answer = value.lower()
            if answer in NO or (answer not in YES and "no" in said):
                data["lives_alone"] = 0
            elif answer in YES or "yes" in said:
                data["lives_alone"] = 1
            else:
                return "bad_yes_no"
            return None
        if step == "contact":
            if value.lower() in NO_CONTACT or (intent.kinds_of(value) & {"no", "unknown"}
                                               and not split_contact(value, region)[1]):
                data["emergency_contact_name"] = data["emergency_contact_phone"] = None
                return None
            name, number = split_contact(value, region)
            if number is None:
                return "bad_contact"
            data["emergency_contact_name"] = name[:MAX_FIELD] or None
            data["emergency_contact_phone"] = number
            return None
        if len(value) > MAX_FIELD:
            return "bad_field"
        if step != "name" and "unknown" in intent.kinds_of(value):
            data[step] = None  # "我不知道": the volunteer will ask at the door; not stored as the flat
            return None
        value = CLEAN[step](value) or ""  # "5号楼" -> "5", "我姓王，王秀兰" -> "王秀兰"
        if not value or (step != "name" and not _PLAUSIBLE.search(value)):
            return "bad_field"
        data[step] = value
        return None

    async def _link(self, tx: Tx, person: Person, chat_id: int, record: dict[str, Any]) -> None:
        """A resident the committee knows proved who they are (their Telegram id is on the record, or
        Telegram confirmed the record's number is theirs): the record becomes this account's."""
        fresh = await self.identity.link(tx, record["id"], person.telegram_id, person.lang)
        person.resident = fresh
        await users_repo.set_step(tx, person.telegram_id, None, {}, self.clock.now())
        await self.outbox.say(tx, chat_id, person.lang, "linked", resident=fresh, keyboard=self.renderer.remove_keyboard())

    async def _save(self, tx: Tx, person: Person, chat_id: int, data: dict[str, Any]) -> None:
        now = self.clock.now()
        fields = {k: v for k, v in data.items() if k in residents_repo.FIELDS}
        if "building" in fields:
            fields["grid"] = await residents_repo.grid_of_building(tx, fields["building"]) or self.settings.default_grid
        existing = await residents_repo.by_telegram_id(tx, person.telegram_id)
        if fields.get("phone"):
            # free when it was given, but the questions take a while: somebody else's by now is a claim
            holder = await residents_repo.by_phone(tx, fields["phone"])
            if holder and holder["id"] != (existing or {}).get("id"):
                await self.identity.claim(tx, person, fields.pop("phone"), Claim.TYPED)
                fields.pop("phone_source", None)
            elif holder and fields.get("phone_source") == "typed":
                fields.pop("phone_source", None)   # their own number typed again: it keeps its proof
        fields.update({"telegram_id": person.telegram_id, "language": person.lang})
        if existing:
            if not existing["registered_at"]:
                fields["registered_at"] = now
            await residents_repo.update(tx, existing["id"], fields, now)
            resident_id = existing["id"]
        else:
            fields["registered_at"] = now
            resident_id = await residents_repo.create(tx, fields, now)
        resident = await residents_repo.by_id(tx, resident_id) or {}
        person.resident = resident
        await self.identity.announce(tx, person.telegram_id)   # their link requests, with their answers
        template = "profile_updated" if data.get("edit") else "registered"
        await self.outbox.say(tx, chat_id, person.lang, template, resident=resident, keyboard=self.renderer.remove_keyboard())
        if template == "profile_updated":
            await self._show_profile(tx, person, chat_id, resident)

    async def _show_profile(self, tx: Tx, person: Person, chat_id: int, resident: dict[str, Any]) -> None:
        resident = await self.identity.shown_phone(tx, person, resident)
        await self.outbox.say(tx, chat_id, person.lang, "profile", resident=resident, buttons=[
            [("edit_name", buttons.EDIT.data("name")), ("edit_address", buttons.EDIT.data("address"))],
            [("edit_phone", buttons.EDIT.data("phone")), ("edit_alone", buttons.EDIT.data("alone"))],
            [("edit_contact", buttons.EDIT.data("contact")), ("edit_language", buttons.EDIT.data("language"))],
        ])

    async def _ask_language(self, tx: Tx, person: Person, chat_id: int) -> None:
        choices = [[(f"lang_{lang}", buttons.LANGUAGE.data(lang)) for lang in LANGUAGES]]
        await self.outbox.say(tx, chat_id, person.lang, "choose_language", buttons=choices)

