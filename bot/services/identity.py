"""Identity: which Telegram account is which record, and phone numbers by the book.

A record is linked to an account only by proof (the rules are pure, in bot/core/identity.py):
Telegram's (the person's own contact, shared with the button) or the committee's (its import, or
an admin approving a link request). A typed number, or somebody else's contact card, never links
a record and never tells the person whether one exists: they get the answer anybody gets and
register as new, and the admins get a link request with Approve / Reject (also `/links`).

Approving request N links the record asked for to the account that asked: the record keeps what
the committee knows, the person's own answers fill only what it lacks, their own record (made in
the bot) is merged into it (their requests, check-ins and plan follow), and they are told; if the
record was linked to another account, that account loses it (the request says so before anyone
presses). Rejecting changes nothing and tells nobody but the admins.

Numbers are E.164 (libphonenumber, the committee's PHONE_REGION). Numbers stored before migration
007 are converted once at start-up (`convert_phones`); rows that become the same number are kept
apart and reported to the admins with the numbers that are not valid (`/links`).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core import Stored, normalize_phone, renumber
from bot.core import identity as rules
from bot.delivery import Button, Lane, buttons
from bot.services.base import Answer, Service
from bot.services.people import Person
from storage import Database, Tx, identity as repo, outbox as outbox_repo, residents as residents_repo
from storage import settings as settings_repo, users as users_repo

log = logging.getLogger(__name__)

MARK = "phone_migration"        # settings key: due -> converted:<how many changed> -> announced
ANNOUNCE_AFTER = 10 * 60        # an unfinished registration's request reaches the admins after this
Outcome, Claim = rules.Outcome, rules.Claim


async def convert_phones(db: Database, region: str, now: float) -> bool:
    """Migration 007's data step: every stored number in E.164, once. Rows that become one number
    keep their own text (the one linked to Telegram, else the oldest, gets the number) and numbers
    that are not valid stay as they were; both are written to phone_report for the admins."""
    async with db.transaction() as tx:
        if await settings_repo.get(tx, MARK) != "due":
            return False
        changed = 0
        for table, who in (("residents", "resident"), ("volunteers", "volunteer")):
            rows = await repo.stored_phones(tx, table)
            plan = renumber([Stored(r["id"], r["phone"], bool(r["linked"])) for r in rows], region)
            for row_id, phone in plan.changes.items():
                await repo.set_phone(tx, table, row_id, phone)
            for clash in plan.clashes:
                await repo.report(tx, "clash", who, clash.other, clash.other_phone, clash.phone, clash.kept, now)
            for bad in plan.invalid:
                await repo.report(tx, "invalid", who, bad.id, bad.phone, None, None, now)
            changed += len(plan.changes)
            if plan.clashes or plan.invalid:
                log.warning("phone numbers of %s: %d clashes and %d not valid, kept as they were (/links)",
                            table, len(plan.clashes), len(plan.invalid))
        for row in await repo.contact_phones(tx):
            contact = normalize_phone(row["phone"], region)
            if contact and contact != row["phone"]:
                await repo.set_contact_phone(tx, row["id"], contact)
        await settings_repo.put(tx, MARK, f"converted:{changed}")
    return True


class Identity(Service):
    # -- a number given in the bot ----------------------------------------------------------------

    async def claim(self, tx: Tx, person: Person, number: str, claim: rules.Claim) -> rules.Outcome:
        """What `number`, given by `person` (proven, a card, or typed), does; a claim on somebody's
        record becomes a link request, a squatted number is taken back. Tells the person nothing."""
        now = self.clock.now()
        found = await residents_repo.by_phone(tx, number)
        holder = rules.Holder(found["id"], found["telegram_id"], found["phone_source"]) if found else None
        own = await residents_repo.by_telegram_id(tx, person.telegram_id)
        for earlier in await repo.pending_of(tx, person.telegram_id):
            if found is None or earlier["resident_id"] != found["id"]:
                await self._settle(tx, earlier, "withdrawn", None)   # a new number replaces what they gave before
        outcome = rules.phone_claim(person.telegram_id, own["id"] if own else None, claim, holder)
        if found is None:
            return outcome
        if outcome in (Outcome.PENDING, Outcome.REFUSED):
            reason = "taken" if outcome is Outcome.REFUSED else claim.value
            await repo.ask(tx, person.telegram_id, person.first_name, found["id"], number, reason,
                           found["telegram_id"], now)
        elif outcome is Outcome.TAKE_BACK:
            await residents_repo.update(tx, found["id"], {"phone": None, "phone_source": None}, now)
            await self._to_admins(tx, "link_notice", "link_notice", phone=number, owner=person.telegram_id,
                                  owner_name=person.first_name, other=found)
        return outcome

    async def link(self, tx: Tx, record_id: int, telegram_id: int, lang: str) -> dict[str, Any]:
        """The record becomes this account's: their own record (made in the bot) is merged into it
        (the record keeps what it has, theirs fills the gaps), and anyone else's request for it is
        settled. The record as it is now."""
        now = self.clock.now()
        record = await residents_repo.by_id(tx, record_id)
        assert record is not None
        values: dict[str, Any] = {"telegram_id": telegram_id, "registered_at": record["registered_at"] or now,
                                  "language": lang}
        own = await residents_repo.by_telegram_id(tx, telegram_id)
        if own and own["id"] != record_id:
            values.update(rules.merged(record, own))
            await residents_repo.merge_into(tx, own["id"], record_id)   # frees its Telegram id and number
        await residents_repo.update(tx, record_id, values, now)
        for other in await repo.pending_for_record(tx, record_id):
            await self._settle(tx, other, "superseded", None)
        fresh = await residents_repo.by_id(tx, record_id)
        assert fresh is not None
        return fresh

    async def shown_phone(self, tx: Tx, person: Person, resident: dict[str, Any]) -> dict[str, Any]:
        """The record as its owner sees it: a number given and waiting for the committee shows as
        theirs, as any number would, so the profile never tells whether somebody else has it."""
        claimed = await repo.claimed_phone(tx, person.telegram_id)
        return {**resident, "phone": claimed} if claimed else resident

    # -- the committee decides -----------------------------------------------------------------------

    async def decide(self, person: Person, request_id: int, approve: bool) -> Answer:
        """Approve / Reject (button or /links approve|reject N): admins only, once."""
        async with self.db.transaction() as tx:
            if not person.is_admin:
                return Answer("toast_admins_only", alert=True)
            asked = await repo.request(tx, request_id)
            if asked is None:
                return Answer("toast_link_unknown", {"id": request_id}, alert=True)
            if asked["status"] != "pending":
                return Answer("toast_link_decided", {"id": request_id, "status": asked["status"]}, alert=True)
            record = await residents_repo.by_id(tx, asked["resident_id"])
            assert record is not None
            if approve and record["telegram_id"] not in (asked["holder_telegram_id"], asked["telegram_id"]):
                # linked to somebody else since (by Telegram's proof): the request no longer says what it does
                await self._settle(tx, asked, "superseded", None)
                return Answer("toast_link_decided", {"id": request_id, "status": "superseded"}, alert=True)
            status = "approved" if approve else "rejected"
            await self._settle(tx, asked, status, person)
            if approve:
                asker = await self.person(tx, asked["telegram_id"])
                fresh = await self.link(tx, record["id"], asker.telegram_id, asker.lang)
                if asker.step == "profile":   # an unfinished registration or edit: nothing more to ask
                    await users_repo.set_step(tx, asker.telegram_id, None, {}, self.clock.now())
                await self.outbox.post(tx, asker.telegram_id, asker.lang, "linked", lane=Lane.UPDATE, purpose="link",
                                       resident=fresh, keyboard=self.outbox.renderer.remove_keyboard())
        self.outbox.kick()
        return Answer("toast_link_done", {"id": request_id, "status": status})

    async def listing(self, person: Person, chat_id: int) -> None:
        """/links: the pending link requests and what converting the numbers found (names, flats and
        phones: in the admin's private chat, also when asked in a group)."""
        async with self.db.transaction() as tx:
            requests = [await self._request_view(tx, asked) for asked in await repo.pending(tx)]
            report = await repo.open_report(tx)

            async def listing(chat: int) -> int | None:
                return await self.outbox.say(tx, chat, person.lang, "links", requests=requests, report=report)

            await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, listing, person.first_name)
        self.outbox.kick()

    async def settle_number(self, person: Person, chat_id: int, item_id: int, merge: bool) -> None:
        """/links merge N: a clash's two resident rows are one person: the other row is merged into the
        row kept (which keeps its values; the other fills its gaps, and its Telegram account follows
        when the kept row has none). /links keep N: they stay two rows (a couple sharing a landline),
        the other keeping its number as written; either way the item leaves the list."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            item = await repo.report_item(tx, item_id)
            if item is None:
                what = "unknown"
            elif merge and (item["kind"] != "clash" or item["who"] != "resident"):
                what = "cannot_merge"
            else:
                if merge:
                    kept = await residents_repo.by_id(tx, item["kept_id"])
                    other = await residents_repo.by_id(tx, item["row_id"])
                    assert kept is not None and other is not None
                    values = rules.merged(kept, other)
                    if kept["telegram_id"] is None and other["telegram_id"] is not None:
                        values.update(telegram_id=other["telegram_id"], language=other["language"],
                                      registered_at=kept["registered_at"] or other["registered_at"])
                    await residents_repo.merge_into(tx, other["id"], kept["id"])
                    await residents_repo.update(tx, kept["id"], values, now)
                await repo.settle_item(tx, item_id, person.telegram_id, now)
                what = "merged" if merge else "kept"

            async def settled(chat: int) -> int | None:
                return await self.outbox.say(tx, chat, person.lang, "links_settled", what=what, id=item_id, item=item)

            await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, settled, person.first_name)
        self.outbox.kick()

    # -- telling the admins ----------------------------------------------------------------------------

    async def announce(self, tx: Tx, telegram_id: int | None = None) -> None:
        """Send the admins the requests not sent yet (this account's, or every one whose asker is not
        in the middle of registering, or has been for ANNOUNCE_AFTER)."""
        now = self.clock.now()
        for asked in await repo.unannounced(tx, telegram_id):
            if telegram_id is None:
                user = await users_repo.get(tx, asked["telegram_id"])
                if user and user["step"] == "profile" and now - asked["created_at"] < ANNOUNCE_AFTER:
                    continue   # told when they finish, with their answers
            view = await self._request_view(tx, asked)
            keyboard: list[list[Button]] = [[("link_ok", buttons.LINK_OK.data(asked["id"])),
                                             ("link_no", buttons.LINK_NO.data(asked["id"]))]]
            for admin_id in sorted(self.settings.admin_ids):
                await self.outbox.post(tx, admin_id, await self.lang_of(tx, admin_id), "link_request_admin",
                                       lane=Lane.UPDATE, purpose="link_request", buttons=keyboard,
                                       dedupe=f"link:{asked['id']}:{admin_id}", r=view, decided=None, by=None)
            await repo.mark_announced(tx, asked["id"], now)

    async def tick(self) -> None:
        """Requests made outside a conversation (an import) or left in one; the conversion's report."""
        async with self.db.transaction() as tx:
            await self.announce(tx)
            mark = await settings_repo.get(tx, MARK) or ""
            if mark.startswith("converted"):
                report = await repo.open_report(tx)
                if report:
                    await self._to_admins(tx, "phone_report", "phone_report", changed=int(mark.split(":")[1] or 0),
                                          clashes=sum(item["kind"] == "clash" for item in report),
                                          invalid=sum(item["kind"] == "invalid" for item in report))
                await settings_repo.put(tx, MARK, "announced")
        self.outbox.kick()

    async def _request_view(self, tx: Tx, asked: dict[str, Any]) -> dict[str, Any]:
        """A request with the record it asks for and the asker's own record (what they registered as)."""
        record = await residents_repo.by_id(tx, asked["resident_id"])
        own = await residents_repo.by_telegram_id(tx, asked["telegram_id"])
        return {**asked, "record": record or {}, "own": own if own and own["id"] != asked["resident_id"] else None}

    async def _to_admins(self, tx: Tx, template: str, purpose: str, **context: Any) -> None:
        for admin_id in sorted(self.settings.admin_ids):
            await self.outbox.post(tx, admin_id, await self.lang_of(tx, admin_id), template, lane=Lane.UPDATE,
                                   purpose=purpose, **context)

    async def _settle(self, tx: Tx, asked: dict[str, Any], status: str, by: Person | None) -> None:
        """The request is decided (or made moot): every admin's copy says so and loses its buttons."""
        if not await repo.decide(tx, asked["id"], status, by.telegram_id if by else None, self.clock.now()):
            return
        view = await self._request_view(tx, {**asked, "status": status})
        for row in await outbox_repo.by_dedupe_prefix(tx, f"link:{asked['id']}:"):
            if row["status"] == "pending":
                await outbox_repo.cancel(tx, row["id"])
            elif row["status"] == "sent" and row["message_id"]:
                await self.outbox.edit(tx, row["chat_id"], await self.lang_of(tx, row["chat_id"]),
                                       "link_request_admin", lane=Lane.UPDATE, purpose="link_request",
                                       ref_id=row["id"], r=view, decided=status,
                                       by=by.display_name if by else None)
