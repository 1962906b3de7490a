"""Duplicates: a building's problem reported twice is alerted once.

A new request whose building and category match one still open there, reported within six hours
(the pure rule: bot/core/duplicates.py), is *linked* to it at intake: it stays a ticket of its own
(its words, its reporter, counted, shown under the original in /ticket N), but it starts no alert
and no escalation chain. Its reporter is told "already reported as #N" and then hears what the
original's reporter hears: claimed, on the way, back to the pool, fixed ("not fixed for me" splits
it off), closed. When the original closes, its reports close with it; when it is cancelled (its
reporter no longer needs anyone), the first report becomes the request the others follow, and is
alerted as new. The linked reporter's further words go to the volunteer who holds the original.

`/split N` (admins; grid leaders for their grids) and "not fixed for me" make a report a request of
its own again: triaged as it was, alerted as new. So does anything that would alert it on its own
because it became more urgent than its original (more words, an edit, "🚨 this is an emergency",
/triage): `Alerts.alert` asks `may_alert` first.

Hooks, set by the constructor (like Escalation's): `Intake.duplicates` (absorb at intake), `Alerts.duplicates`
(every ticket event passes through `follow`; `may_alert` before a chain starts).
"""

from __future__ import annotations

from typing import Any

from bot.core import RANK, duplicates, lifecycle
from bot.delivery import Lane, buttons
from bot.services.alerts import Alerts
from bot.services.base import Answer, Service, Ticket, grid_scope, lane_of
from bot.services.intake import Intake
from bot.services.kit import Kit
from bot.services.people import Person, first_name_of
from storage import Tx, duplicates as duplicates_repo, tickets as repo

# the original's news a linked reporter hears: event -> template (the original's reporter hears it
# through alerts.NOTICES; "relayed" is a volunteer's words to that one resident, so it is not here)
FOLLOWED = {
    "claimed": "linked_claimed",
    "on_my_way": "linked_on_my_way",
    "released": "linked_released",
    "ack_released": "linked_released",
    "resolved": "linked_resolved",
    "reopened": "linked_reopened",
    # /reply N: the committee's answer about the problem is an answer to everyone who reported it
    "committee_reply": "committee_reply",
}
# a linked reporter's own words reach whoever holds the original
FORWARDED = ("update", "edited")


def _report(row: dict[str, Any]) -> duplicates.Report:
    return duplicates.Report(
        id=row["id"], reporter=row["reporter_chat_id"], building=row["building"], category=row["category"],
        urgency=row["urgency"], status=row["status"], created_at=row["created_at"], linked_to=row["linked_to"])


class Duplicates(Service):
    def __init__(self, kit: Kit, alerts: Alerts, intake: Intake) -> None:
        super().__init__(kit)
        self.alerts = alerts
        alerts.duplicates = self
        intake.duplicates = self

    # -- at intake -----------------------------------------------------------------------------------

    async def absorb(self, tx: Tx, ticket: Ticket, person: Person, registered: bool) -> bool:
        """A new ticket that duplicates an open one is linked to it, inside intake's transaction:
        its reporter gets "already reported as #N" (an emergency still gets the number to call),
        the original's claimant hears one more resident reported it. True: nothing else to send
        (no acknowledgement of its own, no alert)."""
        if not ticket["building"] or not duplicates.shared(ticket["category"]):
            return False
        now = self.clock.now()
        rows = await duplicates_repo.candidates(tx, ticket["building"], ticket["category"], now - duplicates.WINDOW,
                                           ticket["id"])
        found = duplicates.original_for(_report(ticket), [_report(row) for row in rows], now)
        if found is None:
            return False
        await duplicates_repo.link(tx, ticket["id"], found.id, now)
        await repo.add_event(tx, ticket["id"], "linked", now, None, None, f"#{found.id}")
        await repo.add_event(tx, found.id, "linked_report", now, person.telegram_id, person.display_name,
                             f"#{ticket['id']}")
        original = await repo.get(tx, found.id)
        assert original is not None
        emergency = ticket["urgency"] == "emergency"
        # every answer that is not an emergency carries the one-tap way to say it is one
        sos = None if emergency else [[("sos", buttons.SOS.data(ticket["id"]))]]
        await self.outbox.post(
            tx, ticket["reporter_chat_id"], ticket["lang"], "linked_ack",
            lane=Lane.EMERGENCY if emergency else Lane.REPLY, purpose="ack", ticket_id=ticket["id"], buttons=sos,
            dedupe=f"ack:{ticket['id']}", ticket=ticket, original=original, numbers=self.numbers(ticket["category"]),
            registered=registered, volunteer=first_name_of(original["claimant_name"]),
        )
        if original["claimant_telegram_id"]:
            await self.outbox.post(
                tx, original["claimant_telegram_id"], await self.lang_of(tx, original["claimant_telegram_id"]),
                "linked_for_volunteer", lane=lane_of(original), purpose="update", ticket_id=original["id"],
                ticket=original, report=ticket, reports=await duplicates_repo.count(tx, original["id"]),
                vulnerable=await self.alerts.about_a_vulnerable_reporter(tx, ticket),  # never the age or flat
            )
        return True

    # -- the original's news, and the report's own words ----------------------------------------------

    async def follow(self, tx: Tx, event: str, ticket: Ticket, **context: Any) -> None:
        """Every ticket event (Alerts.tell): an original's news goes to its linked reporters; an
        original that finished takes its reports along; a report's words go to the original's
        volunteer."""
        if ticket.get("linked_to"):
            if event in FORWARDED and context.get("text"):
                original = await repo.get(tx, ticket["linked_to"])
                chat = original["claimant_telegram_id"] if original else None
                if original and chat and original["status"] == lifecycle.CLAIMED:
                    await self.outbox.post(tx, chat, await self.lang_of(tx, chat), "linked_update_for_volunteer",
                                           lane=lane_of(original), purpose="update", ticket_id=original["id"],
                                           ticket=original, report=ticket, text=context["text"])
            elif event == "cancelled":
                await repo.add_event(tx, ticket["linked_to"], "linked_cancelled", self.clock.now(), None, None,
                                     f"#{ticket['id']}")
            return
        reports = await duplicates_repo.following(tx, ticket["id"])
        if not reports:
            return
        current = await repo.get(tx, ticket["id"])
        assert current is not None
        if current["status"] in (lifecycle.CLOSED, lifecycle.CANCELLED):
            await self._finish(tx, current, reports, context.get("reason"))
            return
        template = FOLLOWED.get(event)
        if template is None:
            return
        # "told with the ticket as it was" (ack_released): the volunteer named is the one who had it
        volunteer = context.get("volunteer") or first_name_of(ticket.get("claimant_name") or current["claimant_name"])
        if event == "claimed" and current["claimant_telegram_id"]:
            # the claimant reads what the others said too (their words while nobody had it were noted only)
            chat = current["claimant_telegram_id"]
            await self.outbox.post(tx, chat, await self.lang_of(tx, chat), "linked_summary_for_volunteer",
                                   lane=lane_of(current), purpose="update", ticket_id=current["id"], ticket=current,
                                   reports=[{**r, "updates": await self.alerts.updates(tx, r["id"])} for r in reports])
        for report in reports:
            keyboard = ([[("unfixed", buttons.UNFIXED.data(report["id"]))]] if event == "resolved" else None)
            await self.outbox.post(tx, report["reporter_chat_id"], report["lang"], template, lane=lane_of(current),
                                   purpose="update", ticket_id=report["id"], buttons=keyboard, ticket=report,
                                   original=current, volunteer=volunteer, text=context.get("text"))
            if event == "committee_reply":  # in the report's own history (/ticket N) too
                await repo.add_event(tx, report["id"], event, self.clock.now(), context.get("actor_id"),
                                     context.get("actor"), (context.get("text") or "")[:1000])

    async def _finish(self, tx: Tx, original: Ticket, reports: list[Ticket], reason: str | None = None) -> None:
        """The original is done. Closed (fixed, confirmed or not, or closed by the committee): its
        reports close with it, and their reporters are told (write again if it is not fixed for
        you). Cancelled by its reporter: nobody is coming, yet the others still have the problem,
        so one report (the most urgent, then the first) becomes a request of its own, alerted as
        new, and the rest follow it. `reason`: the committee's words when it closed the original
        (/close N REASON): the others have the same problem, so the same answer."""
        now = self.clock.now()
        if original["status"] == lifecycle.CLOSED:
            close = lifecycle.MOVES["close_with"]
            for report in reports:
                if not await repo.change(tx, report["id"], close.sources, {"status": close.target, "closed_at": now},
                                         now):
                    continue
                await repo.add_event(tx, report["id"], close.event, now, None, None, f"#{original['id']}")
                await self.outbox.post(tx, report["reporter_chat_id"], report["lang"], "linked_closed",
                                       lane=Lane.UPDATE, purpose="update", ticket_id=report["id"], ticket=report,
                                       original=original, reason=reason)
            return
        # the most urgent report leads (so none follows a milder one), the first reported of those
        reports = sorted(reports, key=lambda r: (-RANK[r["urgency"]], r["created_at"], r["id"]))
        first, rest = reports[0], reports[1:]
        if not await self._unlink(tx, first, original, None, None, "original cancelled"):
            return
        for report in rest:
            await duplicates_repo.link(tx, report["id"], first["id"], now)
            await repo.add_event(tx, report["id"], "linked", now, None, None, f"#{first['id']}")
            await repo.add_event(tx, first["id"], "linked_report", now, None, report["reporter_name"],
                                 f"#{report['id']}")
        for report in reports:
            await self.outbox.post(tx, report["reporter_chat_id"], report["lang"], "linked_promoted",
                                   lane=lane_of(first), purpose="update", ticket_id=report["id"], ticket=report,
                                   original=original, first=first)
        chat = original["claimant_telegram_id"] if original["claimed_by"] is not None else None
        if chat:  # who held the original hears "no need to go" for it: the problem itself is still there
            await self.outbox.post(tx, chat, await self.lang_of(tx, chat), "linked_promoted_for_volunteer",
                                   lane=lane_of(first), purpose="update", ticket_id=original["id"], original=original,
                                   first=first, buttons=[[(f"claim_n:{first['id']}", buttons.CLAIM.data(first["id"]))]])

    async def sweep(self) -> int:
        """The scheduler tick: reports whose original finished by a path that did not tell (say, a
        new command that closes tickets) finish now. The number of originals settled."""
        async with self.db.transaction() as tx:
            originals = sorted({row["linked_to"] for row in await duplicates_repo.orphans(tx)})
            for original_id in originals:
                original = await repo.get(tx, original_id)
                if original is not None:
                    await self._finish(tx, original, await duplicates_repo.following(tx, original_id))
        if originals:
            self.outbox.kick()
        return len(originals)

    # -- a report on its own again --------------------------------------------------------------------

    async def may_alert(self, tx: Tx, ticket: Ticket) -> bool:
        """Alerts.alert asks before starting a chain. A request of its own: yes. A linked report:
        its original carries the alert (a grid moved, say), unless it became more urgent than the
        original (or the original finished): then it is a request of its own from now on."""
        if not ticket.get("linked_to"):
            return True
        original = await repo.get(tx, ticket["linked_to"])
        if original is None or original["status"] not in (lifecycle.OPEN, lifecycle.CLAIMED):
            why = "original finished"
        elif duplicates.outranks(ticket["urgency"], original["urgency"]):
            why = f"more urgent than #{original['id']}"
        else:
            return False
        current = await repo.get(tx, ticket["id"])
        return current is not None and await self._unlink(tx, current, original, None, None, why, alert=False)

    async def _unlink(self, tx: Tx, report: Ticket, original: Ticket | None, actor_id: int | None,
                      actor: str | None, why: str, alert: bool = True) -> bool:
        """The report follows nobody from now on: an event on both, and (`alert`) its own chain
        from step 1, as a new request. False when it was not linked to `original` any more."""
        now = self.clock.now()
        original_id = report["linked_to"]
        if original_id is None or not await duplicates_repo.unlink(tx, report["id"], original_id, now):
            return False
        await repo.add_event(tx, report["id"], "split", now, actor_id, actor, f"#{original_id}: {why}")
        await repo.add_event(tx, original_id, "split_off", now, actor_id, actor, f"#{report['id']}")
        if alert:
            fresh = await repo.get(tx, report["id"])
            assert fresh is not None
            await self.alerts.alert(tx, fresh)
        return True

    async def split(self, person: Person, chat_id: int, ticket_id: int | None) -> None:
        """/split N: admins, and grid leaders for the requests of their grids."""
        async with self.db.transaction() as tx:
            grids = await grid_scope(tx, person)
            ticket = await repo.get(tx, ticket_id) if ticket_id is not None and grids is not False else None
            if grids is False:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            elif ticket_id is None:
                await self.outbox.say(tx, chat_id, person.lang, "usage_split")
            elif ticket is None:
                await self.outbox.say(tx, chat_id, person.lang, "unknown_ticket", number=ticket_id)
            elif grids is not None and ticket["grid"] not in grids:
                await self.outbox.say(tx, chat_id, person.lang, "ticket_not_your_grid", number=ticket_id, grids=grids)
            elif not ticket["linked_to"] or ticket["status"] != lifecycle.OPEN:
                await self.outbox.say(tx, chat_id, person.lang, "split_refused", ticket=ticket,
                                      reports=[r["id"] for r in await duplicates_repo.following(tx, ticket["id"])])
            else:
                original_id = ticket["linked_to"]
                original = await repo.get(tx, original_id)
                await self._unlink(tx, ticket, original, person.telegram_id, person.display_name, "/split")
                split = await repo.get(tx, ticket["id"])
                await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "split_for_resident",
                                       lane=lane_of(ticket), purpose="update", ticket_id=ticket["id"], ticket=split,
                                       original_id=original_id, by_committee=True)
                await self.outbox.say(tx, chat_id, person.lang, "split_done", ticket=split, original_id=original_id)
        self.outbox.kick()

    async def not_fixed_for_me(self, person: Person, ticket_id: int, message_id: int | None) -> Answer:
        """"Not fixed for me" under "#N is fixed": the presser's report becomes a request of its
        own, alerted as new. Only its reporter may; a report that closed or was split already gets
        what it is now."""
        async with self.db.transaction() as tx:
            report = await self.reporters_ticket(tx, person, ticket_id)
            if isinstance(report, Answer):
                return report
            if not report["linked_to"] or report["status"] != lifecycle.OPEN:
                return Answer("toast_unfixed_stale", {"ticket": report}, alert=True)
            original_id = report["linked_to"]
            await self._unlink(tx, report, await repo.get(tx, original_id), person.telegram_id, person.display_name,
                               "not fixed for the reporter")
            split = await repo.get(tx, ticket_id)
            if message_id is not None:
                await self.outbox.edit(tx, person.telegram_id, report["lang"], "split_for_resident", lane=Lane.REPLY,
                                       purpose="reply", message_id=message_id, ticket_id=ticket_id, ticket=split,
                                       original_id=original_id, by_committee=False)
        self.outbox.kick()
        return Answer("toast_split")


    # -- what admins and claimants see ----------------------------------------------------------------

    @staticmethod
    async def reports_of(tx: Tx, ticket_id: int) -> list[dict[str, Any]]:
        return await duplicates_repo.reports_of(tx, ticket_id)
