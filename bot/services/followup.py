"""After the claim: the claimant's 🚶 On my way (the resident is told), and the ack timer: a claimed
ticket with no word from its claimant reminds them ("Still on #N?"), and after as long again goes
back to the other volunteers (the claimant and the resident are told, and `Alerts.alert` starts
alerting it again, without the one who held it).

The rules are pure (bot/core/followup.py); the timer is two columns of the ticket (migration 015),
advanced by the scheduler tick with conditional UPDATEs (storage/followup.py), so a step fires
exactly once, however ticks race, and a restart loses nothing. A claim, a "Not yet" back to the
claimant and any word from the claimant (On my way, words relayed to the resident) start it again:
`fresh_timer`, `heard_from_claimant` and `urgency_raised` are what the other services call.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.config import Settings
from bot.core import can_act_for_grid, followup as rules, lifecycle
from bot.services.alerts import Alerts, work_buttons
from bot.services.base import Answer, Service, Ticket, lane_of
from bot.services.kit import Kit
from bot.services.people import Person, first_name_of
from storage import Tx, followup as followup_repo, outbox as outbox_repo, tickets as repo

log = logging.getLogger(__name__)

BATCH = 200  # due tickets looked at per tick (the next tick takes the rest)


def fresh_timer(settings: Settings, urgency: str, now: float) -> dict[str, Any]:
    """The ticket's timer from a claim (or a "Not yet" back to its claimant): the values to set."""
    timer = rules.start(urgency, now, settings.ack_reminders)
    return {"ack_due_at": timer.due_at, "ack_stage": timer.stage, "on_way_at": None}


async def heard_from_claimant(tx: Tx, settings: Settings, ticket: Ticket, now: float) -> None:
    """A word from the claimant: the reminder is a whole delay away again."""
    timer = rules.start(ticket["urgency"], now, settings.ack_reminders)
    await followup_repo.set_timer(tx, ticket["id"], timer.due_at, timer.stage, now, ticket["claimed_by"])


async def urgency_raised(tx: Tx, settings: Settings, ticket: Ticket, now: float) -> None:
    """A held ticket became more urgent: its next step comes no later than the new urgency's delay
    from now (a routine ticket raised to an emergency does not wait a day for its reminder)."""
    if ticket["status"] == lifecycle.CLAIMED:
        await followup_repo.pull_in(tx, ticket["id"], rules.delay(ticket["urgency"], settings.ack_reminders) + now,
                                    now)


def _wait(seconds: float) -> dict[str, int]:
    """A delay as the templates say it: whole days, hours or minutes."""
    minutes = max(1, round(seconds / 60))
    if minutes % 1440 == 0:
        return {"days": minutes // 1440, "hours": 0, "minutes": 0}
    if minutes % 60 == 0:
        return {"days": 0, "hours": minutes // 60, "minutes": 0}
    return {"days": 0, "hours": 0, "minutes": minutes}


class Followup(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts

    async def on_my_way(self, person: Person, ticket_id: int) -> Answer:
        """🚶 On my way, pressed by the claimant: an event, the resident told (once per claim), the
        clock reset. Anyone else, or a ticket that moved on, gets the same answers as Resolved and
        Release."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            if ticket is None:
                return Answer("toast_unknown_ticket", alert=True)
            volunteer_id = person.volunteer["id"] if person.volunteer else None
            if ticket["status"] != lifecycle.CLAIMED or volunteer_id is None or ticket["claimed_by"] != volunteer_id:
                # what it is now, for those who work its grid (the one who held it, say); else not theirs
                if ticket["status"] != lifecycle.CLAIMED and (person.is_admin or (volunteer_id is not None and
                        can_act_for_grid(await self.alerts.duty(tx, ticket["grid"]), volunteer_id))):
                    return await self.stale(tx, ticket_id)
                return Answer("toast_not_yours", alert=True)
            first = await followup_repo.mark_on_way(tx, ticket_id, volunteer_id, now)
            await heard_from_claimant(tx, self.settings, ticket, now)
            await repo.add_event(tx, ticket_id, "on_my_way" if first else "on_my_way_again", now,
                                 person.telegram_id, person.display_name)
            if first:
                await self.alerts.tell(tx, "on_my_way", ticket, volunteer=first_name_of(ticket["claimant_name"]))
        self.outbox.kick()
        return Answer("toast_on_my_way" if first else "toast_on_my_way_again", {"ticket": ticket})

    async def tick(self) -> int:
        """Every due timer: reminders, and tickets going back to the pool. Returns how many fired."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            # claimed before the timer existed (migration 015): their clock starts now
            for row in await followup_repo.without_timer(tx, BATCH):
                timer = rules.start(row["urgency"], now, self.settings.ack_reminders)
                await followup_repo.set_timer(tx, row["id"], timer.due_at, timer.stage, now)
            due = await followup_repo.due(tx, now, BATCH)
        fired = 0
        for row in due:
            try:
                async with self.db.transaction() as tx:
                    # several workers: the ticket's row first (another worker firing it: skipped)
                    if not await followup_repo.lock_due(tx, row["id"], now):
                        continue
                    action = rules.due(row["ack_due_at"], row["ack_stage"], now)
                    if action == "remind":
                        fired += await self._remind(tx, row, now)
                    elif action == "release":
                        fired += await self._take_back(tx, row, now)
            except Exception:  # one ticket's failure must not hold up the others' reminders
                log.exception("ack timer of ticket %s failed", row["id"])
        if fired:
            self.outbox.kick()
        return fired

    async def _remind(self, tx: Tx, row: dict[str, Any], now: float) -> bool:
        """"Still on #N?" to the claimant, with the buttons of the details, once."""
        timer = rules.after_reminder(row["urgency"], now, self.settings.ack_reminders)
        if not await followup_repo.advance(tx, row["id"], rules.REMIND, now, timer.due_at, rules.RELEASE):
            return False  # a word from the claimant, or another tick, came first
        ticket = await repo.get(tx, row["id"])
        assert ticket is not None
        await repo.add_event(tx, ticket["id"], "ack_reminded", now, None, None, ticket["claimant_name"])
        chat = ticket["claimant_telegram_id"]
        if chat:
            # purpose "details": a reminder that cannot reach its claimant gives the ticket back at
            # once (Volunteering.undeliverable), and the release takes its buttons away
            await self.outbox.post(
                tx, chat, await self.lang_of(tx, chat), "ack_reminder", lane=lane_of(ticket), purpose="details",
                ticket_id=ticket["id"], buttons=work_buttons(ticket), ticket=ticket,
                **_wait(timer.due_at - now),
            )
        return True

    async def _take_back(self, tx: Tx, row: dict[str, Any], now: float) -> bool:
        """No word after the reminder: back to the pool, the claimant and the resident told, and
        the alerts start again without the one who held it."""
        before = await repo.get(tx, row["id"])
        claimant = row["claimed_by"]
        if before is None or claimant is None:
            return False
        if not await followup_repo.take_back(tx, row["id"], rules.RELEASE, claimant, now):
            return False
        await repo.add_event(tx, before["id"], "ack_released", now, None, None, before["claimant_name"])
        await self.alerts.tell(tx, "ack_released", before)   # `before` still names the claimant
        # the claimant's details and reminders lose their buttons (and the resident's phone)
        chat = before["claimant_telegram_id"]
        lang = await self.lang_of(tx, chat) if chat else None
        for message in await outbox_repo.for_ticket(tx, before["id"], "details"):
            if message["method"] == "send" and message["reply_markup"]:
                await self.outbox.supersede(tx, message, lang, "details_taken_back", lane=lane_of(before),
                                            purpose="alert_closed", ticket_id=before["id"], ticket=before)
        ticket = await repo.get(tx, before["id"])
        assert ticket is not None
        await self.alerts.alert(tx, ticket, exclude=(claimant,))
        return True
