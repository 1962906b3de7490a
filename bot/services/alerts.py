"""Alerts and notices: who hears about a ticket, and what they read.

An alert round goes to the on-duty volunteers of the ticket's grid (and the admins when it is an
emergency, when the reporter cannot be placed, or when nobody is on duty). Everything else that
happens to a ticket is told through one table, NOTICES: ticket event -> (audience, template,
buttons). A new audience (grid leaders, family contacts) is one resolver in AUDIENCES; a new
notice is one line in NOTICES.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.clock import local_time
from bot.core import Member, on_duty
from bot.delivery import Button, Lane, buttons
from bot.services.base import Service, Ticket, lane_of
from bot.services.teams import ADMIN_GROUP
from storage import (
    Tx, outbox as outbox_repo, residents as residents_repo, settings as settings_repo, teams as teams_repo,
    tickets as repo
)

Buttons = Callable[[Ticket], list[list[Button]]]


def _fixed_or_not(ticket: Ticket) -> list[list[Button]]:
    return [[("fixed_yes", buttons.FIXED.data(ticket["id"])), ("fixed_no", buttons.NOT_YET.data(ticket["id"]))]]


def work_buttons(ticket: Ticket) -> list[list[Button]]:
    """What the volunteer holding a ticket can do with it."""
    return [[("resolved", buttons.RESOLVE.data(ticket["id"])), ("release", buttons.RELEASE.data(ticket["id"]))]]


@dataclass(frozen=True)
class Notice:
    audience: str                 # a key of AUDIENCES
    template: str
    buttons: Buttons | None = None


NOTICES: dict[str, tuple[Notice, ...]] = {
    "claimed": (Notice("reporter", "claimed_for_resident"),),
    "released": (Notice("reporter", "released_for_resident"),),
    "resolved": (Notice("reporter", "ask_fixed", _fixed_or_not),),
    "relayed": (Notice("reporter", "relayed_to_resident"),),
    "auto_closed": (Notice("reporter", "auto_closed_for_resident"),),
    "address": (Notice("claimant", "address_update"),),
    "edited": (Notice("claimant", "edit_update"),),
    "update": (Notice("claimant", "update_for_volunteer"),),
    "thanks": (Notice("claimant", "thanks_for_volunteer"),),
    "cancelled": (Notice("claimant", "cancelled_for_volunteer"),),
    "confirmed": (Notice("claimant", "confirmed_for_volunteer"),),
    "reopened": (Notice("claimant", "reopened_for_volunteer", work_buttons),),
    "triage_corrected": (Notice("claimant", "triage_changed"),),
    # check-ins (bot/services/checkins.py): the family hears of a missed check-in, who goes, and the all clear
    "checkin_missed": (Notice("family", "checkin_family"),),
    "checkin_all_clear": (Notice("claimant", "checkin_all_clear"), Notice("family", "checkin_all_clear")),
}
# ...and who is going to look, when a volunteer claims a missed check-in (the family resolver
# answers only for check-in tickets)
NOTICES["claimed"] += (Notice("family", "checkin_family_claimed"),)

Audience = Callable[["Alerts", Tx, Ticket], Awaitable[list[tuple[int, str | None]]]]


async def _reporter(alerts: "Alerts", tx: Tx, ticket: Ticket) -> list[tuple[int, str | None]]:
    return [(ticket["reporter_chat_id"], ticket["lang"])]


async def _claimant(alerts: "Alerts", tx: Tx, ticket: Ticket) -> list[tuple[int, str | None]]:
    """Who is working the ticket now: the one who must hear of changes."""
    chat = ticket["claimant_telegram_id"]
    return [(chat, await alerts.lang_of(tx, chat))] if chat else []


async def _family(alerts: "Alerts", tx: Tx, ticket: Ticket) -> list[tuple[int, str | None]]:
    """The resident's family contact (emergency_contact_telegram_id), for check-in tickets."""
    if ticket["source"] != "checkin" or ticket["resident_id"] is None:
        return []
    resident = await residents_repo.by_id(tx, ticket["resident_id"])
    chat = (resident or {}).get("emergency_contact_telegram_id")
    return [(chat, await alerts.lang_of(tx, chat))] if chat else []


AUDIENCES: dict[str, Audience] = {"reporter": _reporter, "claimant": _claimant, "family": _family}


class Alerts(Service):
    async def duty(self, tx: Tx, grid: str) -> list[Member]:
        return [Member(**row) for row in await teams_repo.memberships_for_grid(tx, grid)]

    @staticmethod
    def on_duty_names(members: list[Member], now: float) -> list[str]:
        return [m.name for m in on_duty(members, now, ())]

    async def tell(self, tx: Tx, event: str, ticket: Ticket, **context: Any) -> None:
        """Everyone NOTICES names for this event hears of it, in their own language."""
        for notice in NOTICES.get(event, ()):
            for chat_id, lang in await AUDIENCES[notice.audience](self, tx, ticket):
                await self.outbox.post(
                    tx, chat_id, lang, notice.template, lane=lane_of(ticket), purpose="update",
                    ticket_id=ticket["id"], buttons=notice.buttons(ticket) if notice.buttons else None,
                    ticket=ticket, **context,
                )

    async def alert(self, tx: Tx, ticket: Ticket, exclude: tuple[int, ...] = ()) -> None:
        """One round of alerts: the on-duty volunteers of the grid, and the admin group (or each
        admin, in their own language) for emergencies, for reporters we cannot place, or when
        nobody is on duty. A voice note or photo that is the request itself follows its alert."""
        now = self.clock.now()
        round_ = ticket["alert_round"] + 1
        await repo.update(tx, ticket["id"], {"alert_round": round_}, now)
        members = on_duty(await self.duty(tx, ticket["grid"]), now, exclude)
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
                audience += [(admin_id, await self.lang_of(tx, admin_id), str(admin_id))
                             for admin_id in sorted(self.settings.admin_ids)]
        media = await repo.attachments(tx, ticket["id"]) if ticket["source"] in ("voice", "photo") else []
        lane = Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.ALERT
        keyboard = [[("claim", buttons.CLAIM.data(ticket["id"])), ("decline", buttons.DECLINE.data(ticket["id"]))]]
        if ticket["source"] == "checkin":  # a visit or a phone call ends a missed check-in's alarm
            keyboard.append([("checkin_visited", buttons.CHECKIN_VISITED.data(ticket["id"]))])
        updates = await self.updates(tx, ticket["id"])
        vulnerable = await self.about_a_vulnerable_reporter(tx, ticket)
        for chat_id, lang, key in audience:
            await self.outbox.post(
                tx, chat_id, lang, "alert", lane=lane, purpose="alert", buttons=keyboard, ticket_id=ticket["id"],
                dedupe=f"alert:{ticket['id']}:{round_}:{key}", ticket=ticket, round=round_, updates=updates,
                nobody_on_duty=not members, vulnerable=vulnerable,
            )
            for item in media:
                await self.outbox.media(tx, chat_id, item["kind"], item["file_id"], lane=lane, purpose="alert_media",
                                        ticket_id=ticket["id"], caption=f"#{ticket['id']}",
                                        dedupe=f"alert_media:{item['id']}:{round_}:{key}")

    async def close(self, tx: Tx, ticket: Ticket, template: str, **context: Any) -> None:
        """Every alert of the ticket still out there now says what happened (no buttons): one
        still waiting is cancelled, and one that is delivered after all (it was in flight) is
        edited like the others (Outbox.supersede)."""
        for row in await outbox_repo.for_ticket(tx, ticket["id"], "alert"):
            if row["status"] not in ("pending", "sent"):
                continue
            await self.outbox.supersede(
                tx, row, None if row["chat_id"] < 0 else await self.lang_of(tx, row["chat_id"]),
                template, lane=lane_of(ticket), purpose="alert_closed", ticket_id=ticket["id"], ticket=ticket,
                **context,
            )

    async def updates(self, tx: Tx, ticket_id: int, last: int = 3) -> list[str]:
        """What the resident added since (the newest few): alerts and details show them."""
        return [e["detail"] for e in await repo.events(tx, ticket_id) if e["kind"] == "update" and e["detail"]][-last:]

    def vulnerable(self, resident: dict[str, Any] | None) -> bool:
        """Lives alone, or old enough by the committee's records: alerts say so (never the age)."""
        if not resident:
            return False
        year = resident.get("birth_year")
        this_year = int(local_time(self.clock.now(), self.settings.timezone)[:4])
        return bool(resident.get("lives_alone")) or bool(year and this_year - int(year) >= self.settings.elderly_age)

    async def about_a_vulnerable_reporter(self, tx: Tx, ticket: Ticket) -> bool:
        """The reporter's own vulnerability counts when the problem is at their own flat."""
        resident = await residents_repo.by_id(tx, ticket["resident_id"]) if ticket["resident_id"] else None
        about_reporter = resident is not None and (ticket["place_source"] != "text" or (
            ticket["building"] == resident["building"] and ticket["room"] in (None, resident["room"])))
        return about_reporter and self.vulnerable(resident)

    async def undeliverable(self, row: dict[str, Any], status: str) -> None:
        """The outbox could not deliver a message about a ticket: note it on the ticket."""
        if row["ticket_id"] is None:
            return
        async with self.db.transaction() as tx:
            await repo.add_event(tx, row["ticket_id"], "undeliverable", self.clock.now(), None, None,
                                 f"{row['purpose']} to {row['chat_id']}: {status}")
