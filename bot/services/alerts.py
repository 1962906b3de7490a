"""Alerts and notices: who hears about a ticket, and what they read.

An alert round is the ticket's escalation chain (bot/services/escalation.py): step 1 to the
on-duty volunteers of the ticket's grid, then leaders, the whole grid and the admins as the
urgency's policy says, until somebody claims it. Everything else that
happens to a ticket is told through one table, NOTICES: ticket event -> (audience, template,
buttons). A new audience (grid leaders, family contacts) is one resolver in AUDIENCES; a new
notice is one line in NOTICES.

No alert dies silently: a volunteer who cannot be reached (blocked the bot, account gone) is
skipped from then on, and when nobody of a step could be reached the chain's next step goes at
once; the admins also learn (once per person) who is unreachable. The resident hears that the alert
reached someone only when it did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import logging

from bot.clock import local_time
from bot.core import Member, can_act_for_grid, lifecycle, not_off, on_duty
from bot.delivery import Button, Lane, buttons, unreachable_reason
from bot.services.base import Service, Ticket, lane_of
from bot.services.teams import ADMIN_GROUP
from storage import (
    Tx, duplicates as duplicates_repo, outbox as outbox_repo, residents as residents_repo, settings as settings_repo,
    teams as teams_repo, tickets as repo
)

if TYPE_CHECKING:
    from bot.services.escalation import Escalation
    from bot.services.duplicates import Duplicates

log = logging.getLogger(__name__)

Buttons = Callable[[Ticket], list[list[Button]]]
# needed only while nobody has the ticket: what a round sends, and the resident's "they have it"
WHILE_OPEN = ("alert", "alert_media", "reached")


def _fixed_or_not(ticket: Ticket) -> list[list[Button]]:
    return [[("fixed_yes", buttons.FIXED.data(ticket["id"])), ("fixed_no", buttons.NOT_YET.data(ticket["id"]))]]


def work_buttons(ticket: Ticket) -> list[list[Button]]:
    """What the volunteer holding a ticket can do with it."""
    return [[("on_my_way", buttons.ON_MY_WAY.data(ticket["id"])), ("resolved", buttons.RESOLVE.data(ticket["id"])),
             ("release", buttons.RELEASE.data(ticket["id"]))]]


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
    # after the claim (bot/services/followup.py): the volunteer is on the way; no word from them, so
    # the ticket went back to the pool (told with the ticket as it was, so the claimant is still named)
    "on_my_way": (Notice("reporter", "on_my_way_for_resident"), Notice("family", "checkin_family_on_my_way")),
    "ack_released": (Notice("claimant", "ack_released_for_volunteer"), Notice("reporter", "ack_released_for_resident"),
                     Notice("family", "checkin_family_released")),
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
    escalation: "Escalation | None" = None  # the chain (bot/services/escalation.py) sets itself here
    duplicates: "Duplicates | None" = None  # duplicates (bot/services/duplicates.py): linked reports follow their original

    async def duty(self, tx: Tx, grid: str) -> list[Member]:
        return [Member(**row) for row in await teams_repo.memberships_for_grid(tx, grid)]

    async def on_call(self, tx: Tx, grid: str, now: float, exclude: tuple[int, ...] = ()) -> list[Member]:
        """The volunteers on duty for the grid at `now` (the roster's answer), minus `exclude`.
        A team without any shift is on duty always; see bot/core/roster.py."""
        from bot.services.rosters import roster_for  # imported here: rosters builds on Alerts
        members, roster = await roster_for(tx, grid, now, self.settings.timezone)
        return on_duty(members, now, exclude, roster, grid)

    async def available(self, tx: Tx, grid: str, now: float) -> list[Member]:
        """Every member of the grid's teams, shift or not, except those off duty at `now`: whom
        the chain's leader and whole-grid steps may reach."""
        from bot.services.rosters import roster_for
        members, roster = await roster_for(tx, grid, now, self.settings.timezone)
        return not_off(members, roster, now)

    async def may_act(self, tx: Tx, grid: str, volunteer_id: int, now: float) -> bool:
        """May this volunteer claim (or decline) a ticket of the grid: a team of theirs covers it,
        or an admin covers the grid with them now (/cover: they get its alerts)."""
        from bot.services.rosters import roster_for
        members, roster = await roster_for(tx, grid, now, self.settings.timezone)
        covering = [c.member for c in roster.covers if c.start <= now < c.end]
        return can_act_for_grid(members, volunteer_id) or can_act_for_grid(covering, volunteer_id)

    async def tell(self, tx: Tx, event: str, ticket: Ticket, **context: Any) -> None:
        """Everyone NOTICES names for this event hears of it, in their own language."""
        for notice in NOTICES.get(event, ()):
            for chat_id, lang in await AUDIENCES[notice.audience](self, tx, ticket):
                await self.outbox.post(
                    tx, chat_id, lang, notice.template, lane=lane_of(ticket), purpose="update",
                    ticket_id=ticket["id"], buttons=notice.buttons(ticket) if notice.buttons else None,
                    ticket=ticket, **context,
                )
        if self.duplicates is not None:  # the reports linked to this ticket hear its news too
            await self.duplicates.follow(tx, event, ticket, **context)

    async def admins(self, tx: Tx) -> list[tuple[int, str | None, str]]:
        """The committee, as (chat, language, key): its admin group, else each admin in their own
        language; a chat known to be unreachable is left out (a group that removed the bot falls
        back to the admins themselves)."""
        group = await settings_repo.get(tx, ADMIN_GROUP)
        chats = ([int(group)] if group else []) + sorted(self.settings.admin_ids)
        unreachable = await outbox_repo.unreachable(tx, chats)
        if group and int(group) not in unreachable:
            return [(int(group), self.settings.default_language, "group")]
        return [(admin_id, await self.lang_of(tx, admin_id), str(admin_id))
                for admin_id in sorted(self.settings.admin_ids) if admin_id not in unreachable]

    async def is_admin_chat(self, tx: Tx, chat_id: int) -> bool:
        return chat_id in self.settings.admin_ids or await settings_repo.get(tx, ADMIN_GROUP) == str(chat_id)

    async def alert(self, tx: Tx, ticket: Ticket, exclude: tuple[int, ...] = ()) -> None:
        """Start alerting an open ticket: its escalation chain from step 1 (bot/services/escalation.py),
        a new alert round. Release, "Not yet", a raised urgency and a claim given back all call
        this. `exclude`: volunteer ids the chain leaves out (who just gave it back)."""
        assert self.escalation is not None, "Escalation(kit, alerts) wires itself in"
        if self.duplicates is not None and not await self.duplicates.may_alert(tx, ticket):
            return  # a linked report: its original's chain carries it
        await self.escalation.start(tx, ticket, exclude)

    async def declined(self, tx: Tx, ticket_id: int) -> None:
        """Somebody pressed Can't go: the chain may move on at once."""
        if self.escalation is not None:
            await self.escalation.declined(tx, ticket_id)

    async def post_alerts(self, tx: Tx, ticket: Ticket, step: int, audience: list[tuple[int, str | None, str]],
                          **context: Any) -> None:
        """The alert of one step of the ticket's chain (and the voice note or photo that is the
        request) to each chat, once: the dedupe key names the round, the step and the chat."""
        round_ = ticket["alert_round"]
        media = await repo.attachments(tx, ticket["id"]) if ticket["source"] in ("voice", "photo") else []
        lane = Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.ALERT
        keyboard = [[("claim", buttons.CLAIM.data(ticket["id"])), ("decline", buttons.DECLINE.data(ticket["id"]))]]
        if ticket["source"] == "checkin":  # a visit or a phone call ends a missed check-in's alarm
            keyboard.append([("checkin_visited", buttons.CHECKIN_VISITED.data(ticket["id"]))])
        if not audience:
            return
        updates = await self.updates(tx, ticket["id"])
        vulnerable = await self.about_a_vulnerable_reporter(tx, ticket)
        context.setdefault("unreached", [])
        context.setdefault("reports", await duplicates_repo.count(tx, ticket["id"]))  # "+2 reports": duplicates linked
        for chat_id, lang, key in audience:
            await self.outbox.post(
                tx, chat_id, lang, "alert", lane=lane, purpose="alert", buttons=keyboard, ticket_id=ticket["id"],
                dedupe=f"alert:{ticket['id']}:{round_}:{step}:{key}", ticket=ticket, round=round_, step=step,
                updates=updates, vulnerable=vulnerable, **context,
            )
            for item in media:
                await self.outbox.media(tx, chat_id, item["kind"], item["file_id"], lane=lane, purpose="alert_media",
                                        ticket_id=ticket["id"], caption=f"#{ticket['id']}",
                                        dedupe=f"alert_media:{item['id']}:{round_}:{step}:{key}")

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
        """What the resident added or corrected since (the newest few): alerts and details show them."""
        return [e["detail"] for e in await repo.events(tx, ticket_id)
                if e["kind"] in ("update", "edited") and e["detail"]][-last:]

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

    # -- what the outbox tells us ------------------------------------------------------------------

    async def still_needed(self, row: dict[str, Any]) -> bool:
        """An alert is worth sending (and retrying through an outage) only while nobody has the
        ticket: once it is claimed, closed or cancelled it is dropped, which is not a failure. So
        is "the volunteers have your request": by then the claim itself is the news."""
        if row["purpose"] not in WHILE_OPEN or row["ticket_id"] is None:
            return True
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, row["ticket_id"])
        return ticket is not None and ticket["status"] == lifecycle.OPEN

    async def delivered(self, row: dict[str, Any]) -> None:
        """An alert reached someone: the resident, who was told "we are reaching the volunteers",
        now hears that they have it (once per ticket, and only while nobody has taken it yet:
        after that the claim itself is the news)."""
        if row["purpose"] != "alert" or row["ticket_id"] is None:
            return
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, row["ticket_id"])
            if ticket is None or ticket["status"] != lifecycle.OPEN:
                return
            if not await outbox_repo.for_ticket(tx, ticket["id"], "ack"):
                return  # nobody was told "we are reaching": a check-in's alarm, say
            await self.outbox.post(
                tx, ticket["reporter_chat_id"], ticket["lang"], "alert_delivered", lane=lane_of(ticket),
                purpose="reached", ticket_id=ticket["id"], dedupe=f"reached:{ticket['id']}", ticket=ticket,
                committee=await self.is_admin_chat(tx, row["chat_id"]),
            )
        self.outbox.kick()

    async def undeliverable(self, row: dict[str, Any], status: str) -> None:
        """The outbox gave up on a message about a ticket: noted on the ticket. An alert that
        could not reach its chat: the admins learn who is unreachable (once per person), and when
        nobody of the ticket's alerts has been reached, the alert moves on to the admins."""
        if row["ticket_id"] is None:
            return
        async with self.db.transaction() as tx:
            await repo.add_event(tx, row["ticket_id"], "undeliverable", self.clock.now(), None, None,
                                 f"{row['purpose']} to {row['chat_id']}: {status}")
            if row["purpose"] != "alert":
                return
            if status == "unreachable":
                await self._tell_admins_unreachable(tx, row)
            if self.escalation is not None:
                await self.escalation.undelivered(tx, row)
        self.outbox.kick()

    async def name_of(self, tx: Tx, chat_id: int) -> str:
        volunteer = await teams_repo.volunteer_by_telegram_id(tx, chat_id)
        if volunteer:
            return str(volunteer["name"])
        return (await self.person(tx, chat_id)).first_name or str(chat_id)

    async def _tell_admins_unreachable(self, tx: Tx, row: dict[str, Any]) -> None:
        """Once per person and time they became unreachable (writing to the bot again ends it)."""
        chat_id = row["chat_id"]
        since = await outbox_repo.unreachable_since(tx, chat_id)
        group = chat_id < 0  # the only group alerts go to is the admin group
        name = "" if group else await self.name_of(tx, chat_id)
        for admin_chat, lang, key in await self.admins(tx):
            await self.outbox.post(
                tx, admin_chat, lang, "unreachable_admin", lane=Lane.UPDATE, purpose="notice",
                dedupe=f"unreachable:{chat_id}:{since or 0:.0f}:{key}", who=name, telegram_id=chat_id, group=group,
                reason=unreachable_reason(row.get("last_error") or ""),
            )
