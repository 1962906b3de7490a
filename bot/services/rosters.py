"""Rosters: shifts (/shift, `frontdesk import shifts`), who is on duty (/oncall), time off
(/duty), an admin's cover (/cover), shift swaps between teammates (/swap and its buttons), and
two things the scheduler tick sends: the shift-start message and the evening coverage look-ahead.

Who is on duty is the pure bot/core/roster.py; this module loads its inputs (`roster_for`, which
`Alerts.on_call` asks) and keeps every change in the database. The tick's sends are outbox rows
with dedupe keys (one per shift occurrence and volunteer, one per day and admin chat), and its
place is a settings row, so a restart sends nothing twice and misses nothing still running.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.clock import local_time
from bot.core import checkins as checkin_words, normalize_phone, roster as rules
from bot.core.roster import Member, Roster
from bot.delivery import Lane, buttons
from bot.services.alerts import Alerts
from bot.services.base import Answer, Service
from bot.services.people import Person
from storage import Tx, rosters as repo, settings as settings_repo, teams as teams_repo

CURSOR = "roster_cursor"            # settings: the tick has looked for shift starts up to here
COVERAGE_SENT = "coverage_sent_day"  # settings: the local day the look-ahead was last sent
CATCH_UP = 12 * 3600                # a shift that started this long ago (the bot was down) still gets its message
FIRST_LOOK = 120                    # the very first tick looks back this far
LOOK_AHEAD = 24 * 3600
MAX_OFF = 30 * 86400                # /duty off 2h: at most this long (longer: /duty off, then /duty on)
MAX_COVER = 7 * 86400
CLAIM_BUTTONS = 10                  # the shift-start message's Claim buttons: the most urgent, oldest first
TODAY = ("today", "今天", "今日")
TOMORROW = ("tomorrow", "明天", "明日")


def _match(people: list[dict[str, Any]], who: str, region: str) -> list[dict[str, Any]]:
    """The volunteers `who` names: a Telegram id, a phone (any way of writing it), or a name."""
    who = who.strip()
    phone_like = len(who) == 11 and who.startswith("1")
    if who.isdigit() and not phone_like:
        found = [p for p in people if p["telegram_id"] == int(who)]
        if found:
            return found
    phone = normalize_phone(who, region) if any(c.isdigit() for c in who) else None
    if phone:
        return [p for p in people if p["phone"] == phone]
    return [p for p in people if (p["name"] or "").casefold() == who.casefold()]


async def roster_for(tx: Tx, grid: str, now: float, tz: str) -> tuple[list[Member], Roster]:
    """Everything who-is-on-duty needs for one grid from `now` on: the memberships of the teams
    covering it, their shifts, time off and covers not yet over, and the accepted swaps."""
    members = [Member(**row) for row in await teams_repo.memberships_for_grid(tx, grid)]
    shifts = tuple(_shift(row) for row in await repo.shifts_for_grid(tx, grid))
    since_day = (rules.local_day(now, tz) - timedelta(days=1)).isoformat()
    swaps = tuple(_swap(row) for row in await repo.accepted_swaps(tx, since_day, [s.id for s in shifts])) \
        if shifts else ()
    off_rows, cover_rows = await repo.overrides_for(tx, now, grid)
    offs = tuple(rules.Off(r["volunteer_id"], r["starts_at"], r["ends_at"]) for r in off_rows)
    covers = tuple(rules.Cover(r["grid"], Member(r["volunteer_id"], r["telegram_id"], r["name"], r["language"],
                                                 "member", ""), r["starts_at"], r["ends_at"])
                   for r in cover_rows)
    return members, Roster(shifts, offs, covers, swaps, tz)


async def check_shift(tx: Tx, team: str, days: str, span: str, who: str,
                      region: str) -> dict[str, Any] | tuple[str, dict[str, Any]]:
    """A shift's words (the chat's and the spreadsheet's) -> its values, or (the first thing that
    is wrong, its context). WHO must be volunteers of the team."""
    found = await teams_repo.team_by_name(tx, team.strip())
    if found is None:
        return "unknown_team", {"team": team}
    weekdays = rules.parse_days(days)
    if weekdays is None:
        return "bad_days", {"value": days}
    times = rules.parse_span(span)
    if times == "same":
        return "same_span", {"value": span}
    if not isinstance(times, tuple):
        return "bad_span", {"value": span}
    names = rules.split_names(who)
    if not names:
        return "no_volunteers", {}
    members = await repo.team_members(tx, found["id"])
    chosen: list[int] = []
    for name in names:
        matched = _match(members, name, region)
        if len(matched) > 1:
            return "ambiguous", {"who": name, "found": matched}
        if not matched:
            known = _match(await repo.volunteers(tx), name, region)
            return ("not_in_team", {"who": name, "team": found["name"]}) if known else \
                ("unknown_volunteer", {"who": name})
        chosen.append(matched[0]["id"])
    return {"team_id": found["id"], "days": rules.days_column(weekdays), "start": times[0], "end": times[1],
            "volunteers": chosen}


def _shift(row: dict[str, Any]) -> rules.Shift:
    return rules.Shift(row["id"], row["team"], rules.days_from_column(row["days"]), row["start_minute"],
                       row["end_minute"], frozenset(row["volunteers"]))


def _swap(row: dict[str, Any]) -> rules.Swap:
    return rules.Swap(row["shift_id"], date.fromisoformat(row["day"]), row["giver"], row["taker"])


class Rosters(Service):
    def __init__(self, alerts: Alerts) -> None:
        super().__init__(alerts.kit)
        self.alerts = alerts
        self.tz = self.settings.timezone

    # -- helpers -------------------------------------------------------------------------------------

    def _when(self, ts: float) -> dict[str, Any]:
        """An instant as templates show it: the local date and time, and the weekday (Monday = 0)."""
        text = local_time(ts, self.tz)
        return {"date": text[:10], "time": text[11:], "weekday": rules.local_day(ts, self.tz).weekday()}

    def _view(self, row: dict[str, Any], names: dict[int, dict[str, Any]]) -> dict[str, Any]:
        return {"id": row["id"], "team": row["team"], "days": rules.format_days(rules.days_from_column(row["days"])),
                "start": rules.format_minute(row["start_minute"]), "end": rules.format_minute(row["end_minute"]),
                "overnight": row["end_minute"] <= row["start_minute"],
                "volunteers": [names[v]["name"] for v in row["volunteers"] if v in names]}

    async def _say(self, tx: Tx, person: Person, chat_id: int, what: str, **context: Any) -> None:
        await self.outbox.say(tx, chat_id, person.lang, "roster", what=what, **context)

    async def _find(self, tx: Tx, person: Person, chat_id: int, who: str,
                    people: list[dict[str, Any]], team: str | None = None) -> dict[str, Any] | None:
        """One volunteer among `people`, or the answer saying why not (unknown, not on the team,
        several of that name)."""
        found = _match(people, who, self.settings.phone_region)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            await self._say(tx, person, chat_id, "ambiguous", who=who, found=found)
        elif team is not None and _match(await repo.volunteers(tx), who, self.settings.phone_region):
            await self._say(tx, person, chat_id, "not_in_team", who=who, team=team)
        else:
            await self._say(tx, person, chat_id, "unknown_volunteer", who=who)
        return None

    async def _open_to_claim(self, tx: Tx, grids: list[str]) -> tuple[list[dict[str, Any]], list[list[Any]] | None]:
        """The open, unclaimed requests of these grids and a Claim #N button for the most urgent:
        someone who comes on duty (a shift starts, a cover) while a chain has climbed past its
        on-duty step is reached by nothing else (a claim checks the grid and the state again)."""
        tickets = await repo.open_unclaimed(tx, grids)
        claim = [[(f"claim_n:{t['id']}", buttons.CLAIM.data(t["id"]))] for t in tickets[:CLAIM_BUTTONS]]
        return tickets, claim or None

    # -- /shift --------------------------------------------------------------------------------------

    async def add_shift(self, person: Person, chat_id: int, team: str, days: str, span: str, who: str) -> None:
        """/shift add TEAM DAYS HH:MM-HH:MM WHO[,WHO…] (admins): every part is checked before
        anything is stored, and the first wrong one is named."""
        async with self.db.transaction() as tx:
            shift = await check_shift(tx, team, days, span, who, self.settings.phone_region)
            if isinstance(shift, tuple):
                await self._say(tx, person, chat_id, shift[0], **shift[1])
            else:
                shift_id = await repo.add_shift(tx, shift["team_id"], shift["days"], shift["start"], shift["end"],
                                                shift["volunteers"], person.telegram_id, self.clock.now())
                await self._show_added(tx, person, chat_id, shift_id)
        self.outbox.kick()

    async def _show_added(self, tx: Tx, person: Person, chat_id: int, shift_id: int) -> None:
        row = await repo.shift(tx, shift_id)
        assert row is not None
        names = await repo.volunteer_names(tx, row["volunteers"])
        await self._say(tx, person, chat_id, "shift_added", shift=self._view(row, names))

    async def list_shifts(self, person: Person, chat_id: int, team: str | None) -> None:
        async with self.db.transaction() as tx:
            team_id = None
            if team:
                found = await teams_repo.team_by_name(tx, team.strip())
                if found is None:
                    await self._say(tx, person, chat_id, "unknown_team", team=team)
                    self.outbox.kick()
                    return
                team_id, team = found["id"], found["name"]
            rows = await repo.shifts(tx, team_id)
            names = await repo.volunteer_names(tx, sorted({v for r in rows for v in r["volunteers"]}))
            await self._say(tx, person, chat_id, "shift_list", team=team, shifts=[self._view(r, names) for r in rows])
        self.outbox.kick()

    async def remove_shift(self, person: Person, chat_id: int, number: str) -> None:
        async with self.db.transaction() as tx:
            shift_id = int(number.lstrip("#")) if number.lstrip("#").isdigit() and len(number) <= 9 else None
            row = await repo.shift(tx, shift_id) if shift_id is not None else None
            if row is None:
                await self._say(tx, person, chat_id, "unknown_shift", value=number)
            else:
                names = await repo.volunteer_names(tx, row["volunteers"])
                await repo.remove_shift(tx, row["id"])
                await self._say(tx, person, chat_id, "shift_removed", shift=self._view(row, names))
        self.outbox.kick()

    # -- /oncall -------------------------------------------------------------------------------------

    async def oncall(self, person: Person, chat_id: int, grid: str | None) -> None:
        """Who is on duty now and who is next, per grid: admins see every grid, a volunteer the
        grids of their teams."""
        async with self.db.transaction() as tx:
            if person.is_admin:
                allowed = await repo.all_grids(tx)
            elif person.volunteer is not None:
                allowed = sorted({g for t in await teams_repo.teams_of(tx, person.volunteer["id"])
                                  for g in await teams_repo.grids_of(tx, t["id"])})
            else:
                allowed = []
            if not person.is_admin and not allowed:
                await self._say(tx, person, chat_id, "oncall_not_allowed")
            elif grid is not None and grid not in allowed:
                await self._say(tx, person, chat_id, "unknown_grid" if person.is_admin else "oncall_not_your_grid",
                                grid=grid)
            else:
                now = self.clock.now()
                grids = []
                for each in [grid] if grid else allowed:
                    members, roster = await roster_for(tx, each, now, self.tz)
                    on = rules.who(members, roster, each, now)
                    following = rules.next_change(members, roster, each, now)
                    grids.append({
                        "grid": each, "now": [m.name for m in on], "always": not roster.shifts and bool(members),
                        "next": None if following is None else
                        {**self._when(following[0]), "names": [m.name for m in following[1]]},
                    })
                await self._say(tx, person, chat_id, "oncall", grids=grids)
        self.outbox.kick()

    # -- /duty ---------------------------------------------------------------------------------------

    async def duty(self, person: Person, chat_id: int, action: str | None, until: str | None) -> None:
        """/duty off [2h | until 18:00] (none: until /duty on), /duty on, /duty (where I stand)."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            if person.volunteer is None:
                await self._say(tx, person, chat_id, "volunteers_only")
            elif action == "off":
                end = rules.until(until, now, self.tz) if until else None
                if until and (end is None or end - now > MAX_OFF):
                    await self._say(tx, person, chat_id, "bad_until", value=until, most=MAX_OFF // 86400)
                else:
                    await repo.end_off(tx, person.volunteer["id"], now)  # one stretch off at a time
                    await repo.add_override(tx, "off", person.volunteer["id"], None, now, end, person.telegram_id, now)
                    await self._say(tx, person, chat_id, "off", until=self._when(end) if end else None)
            elif action == "on":
                ended = await repo.end_off(tx, person.volunteer["id"], now)
                await self._say(tx, person, chat_id, "on", was_off=bool(ended))
            else:
                offs = await repo.offs(tx, now, person.volunteer["id"])
                current = next((o for o in offs if o["starts_at"] <= now), None)
                await self._say(tx, person, chat_id, "duty_status", off=current is not None,
                                until=self._when(current["ends_at"]) if current and current["ends_at"] else None)
        self.outbox.kick()

    # -- /cover --------------------------------------------------------------------------------------

    async def cover(self, person: Person, chat_id: int, grid: str, who: str, until: str) -> None:
        """/cover GRID WHO until HH:MM (admins): WHO is on duty for GRID from now until then."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            end = rules.until(until, now, self.tz)
            if grid not in await repo.all_grids(tx):
                await self._say(tx, person, chat_id, "unknown_grid", grid=grid)
            elif end is None or end - now > MAX_COVER:
                await self._say(tx, person, chat_id, "bad_until", value=until, most=MAX_COVER // 86400)
            else:
                volunteer = await self._find(tx, person, chat_id, who, await repo.volunteers(tx))
                if volunteer is not None:
                    await repo.add_override(tx, "cover", volunteer["id"], grid, now, end, person.telegram_id, now)
                    # their own /duty off still wins (they may be ill): the admin must know
                    off = next((o for o in await repo.offs(tx, now, volunteer["id"]) if o["starts_at"] <= now), None)
                    await self._say(tx, person, chat_id, "covered", who=volunteer["name"], grid=grid,
                                    until=self._when(end), reachable=volunteer["telegram_id"] is not None,
                                    off=off is not None,
                                    off_until=self._when(off["ends_at"]) if off and off["ends_at"] else None)
                    if volunteer["telegram_id"] is not None:
                        tickets, claim = await self._open_to_claim(tx, [grid])
                        await self.outbox.post(
                            tx, volunteer["telegram_id"], await self.lang_of(tx, volunteer["telegram_id"]), "roster",
                            lane=Lane.UPDATE, purpose="notice", what="you_cover", grid=grid, until=self._when(end),
                            tickets=tickets, buttons=claim)
        self.outbox.kick()

    # -- /swap ---------------------------------------------------------------------------------------

    def _day(self, text: str) -> date | None:
        today = rules.local_day(self.clock.now(), self.tz)
        folded = text.strip().lower()
        if folded in TODAY:
            return today
        if folded in TOMORROW:
            return today + timedelta(days=1)
        weekday = rules.parse_days(folded)
        if weekday is not None and len(weekday) == 1:  # `wed`, `周三`: the next one, today included
            return today + timedelta(days=(next(iter(weekday)) - today.weekday()) % 7)
        return checkin_words.parse_date(text, today)

    async def swap(self, person: Person, chat_id: int, day_text: str, who: str) -> None:
        """/swap DATE WHO: ask a teammate to take my shift that starts on DATE."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            day = self._day(day_text)
            if person.volunteer is None:
                await self._say(tx, person, chat_id, "volunteers_only")
            elif day is None:
                await self._say(tx, person, chat_id, "bad_date", value=day_text)
            else:
                mine = [_shift(r) for r in await repo.shifts_of(tx, person.volunteer["id"])]
                # my occurrences that start on that day and have not started yet
                occurrences = [o for o in (rules.occurrence_of(s, day, self.tz) for s in mine if day.weekday() in s.days)
                               if o.start > now]
                if not occurrences:
                    await self._say(tx, person, chat_id, "no_shift_on", day=day.isoformat())
                else:
                    occ = min(occurrences, key=lambda o: o.start)
                    team = await teams_repo.team_by_name(tx, occ.shift.team)
                    assert team is not None
                    teammate = await self._find(tx, person, chat_id, who, await repo.team_members(tx, team["id"]),
                                                team["name"])
                    if teammate is not None and teammate["id"] == person.volunteer["id"]:
                        await self._say(tx, person, chat_id, "swap_self")
                    elif teammate is not None and teammate["telegram_id"] is None:
                        await self._say(tx, person, chat_id, "swap_unreachable", who=teammate["name"])
                    elif teammate is not None:
                        await self._ask_swap(tx, person, chat_id, occ, teammate)
        self.outbox.kick()

    async def _ask_swap(self, tx: Tx, person: Person, chat_id: int, occ: rules.Occurrence,
                        teammate: dict[str, Any]) -> None:
        assert person.volunteer is not None
        swap_id = await repo.add_swap(tx, occ.shift.id, occ.day.isoformat(), person.volunteer["id"], teammate["id"],
                                      self.clock.now())
        shift = {"team": occ.shift.team, "start": rules.format_minute(occ.shift.start),
                 "end": rules.format_minute(occ.shift.end), **self._when(occ.start)}
        await self.outbox.post(
            tx, teammate["telegram_id"], await self.lang_of(tx, teammate["telegram_id"]), "roster", lane=Lane.UPDATE,
            purpose="swap", dedupe=f"swap:{swap_id}", what="swap_request", asker=person.display_name, shift=shift,
            buttons=[[("swap_ok", buttons.SWAP_OK.data(swap_id)), ("swap_no", buttons.SWAP_NO.data(swap_id))]])
        await self._say(tx, person, chat_id, "swap_asked", who=teammate["name"], shift=shift)

    async def answer_swap(self, person: Person, chat_id: int, message_id: int | None, swap_id: int,
                          accept: bool) -> Answer:
        """Accept / Decline on a swap request: only the teammate asked, only while it is pending
        and the shift has not started; the asker hears the answer."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            asked = await repo.swap(tx, swap_id)
            if asked is None:  # its shift was removed since (or the data is made up)
                return Answer("toast_swap_stale", {"status": "gone"}, alert=True)
            if person.volunteer is None or asked["taker"] != person.volunteer["id"]:
                return Answer("toast_swap_not_yours", alert=True)
            row = await repo.shift(tx, asked["shift_id"])
            day = date.fromisoformat(asked["day"])
            if asked["status"] != "pending":
                return Answer("toast_swap_stale", {"status": asked["status"]}, alert=True)
            if row is None or rules.occurrence_of(_shift(row), day, self.tz).start <= now:
                return Answer("toast_swap_stale", {"status": "gone"}, alert=True)
            status = "accepted" if accept else "declined"
            if not await repo.decide_swap(tx, swap_id, status, now):
                return Answer("toast_swap_stale", {"status": "answered"}, alert=True)
            occ = rules.occurrence_of(_shift(row), day, self.tz)
            shift = {"team": row["team"], "start": rules.format_minute(row["start_minute"]),
                     "end": rules.format_minute(row["end_minute"]), **self._when(occ.start)}
            giver = await teams_repo.volunteer_by_id(tx, asked["giver"])
            if message_id is not None:
                await self.outbox.edit(tx, chat_id, person.lang, "roster", lane=Lane.UPDATE, purpose="swap",
                                       message_id=message_id, what="swap_answered", status=status,
                                       asker=giver["name"] if giver else "", shift=shift)
            if giver and giver["telegram_id"] is not None:
                await self.outbox.post(
                    tx, giver["telegram_id"], await self.lang_of(tx, giver["telegram_id"]), "roster",
                    lane=Lane.UPDATE, purpose="notice", dedupe=f"swap_answer:{swap_id}", what="swap_result",
                    status=status, who=person.display_name, shift=shift)
        self.outbox.kick()
        return Answer("toast_swap_done", {"status": status})

    # -- the scheduler tick ----------------------------------------------------------------------------

    async def tick(self) -> None:
        await self.shift_starts()
        await self.coverage()

    async def shift_starts(self) -> int:
        """Each shift occurrence that started since the last look (and is still running) tells its
        volunteers the open, unclaimed tickets of their grids: once (the dedupe key), also after a
        restart (the cursor is a settings row)."""
        sent = 0
        async with self.db.transaction() as tx:
            now = self.clock.now()
            cursor = await settings_repo.get(tx, CURSOR)
            await settings_repo.put(tx, CURSOR, repr(now))
            # the first look ever: a shift that began since the last tick could have been due
            since = max(float(cursor) if cursor is not None else now - FIRST_LOOK, now - CATCH_UP)
            if since >= now:
                return 0
            rows = await repo.shifts(tx, starting=rules.minutes_between(since, now, self.tz))
            if not rows:
                return 0
            shifts = [_shift(r) for r in rows]
            team_ids = {r["team"]: r["team_id"] for r in rows}
            since_day = (rules.local_day(since, self.tz) - timedelta(days=1)).isoformat()
            swaps = [_swap(r) for r in await repo.accepted_swaps(tx, since_day)]
            offs = tuple(rules.Off(r["volunteer_id"], r["starts_at"], r["ends_at"]) for r in await repo.offs(tx, now))
            off_now = Roster(off=offs, tz=self.tz)
            for occ in rules.starting(shifts, since, now, self.tz, swaps):
                if occ.end <= now:
                    continue
                grids = await teams_repo.grids_of(tx, team_ids[occ.shift.team])
                tickets, claim = await self._open_to_claim(tx, grids)
                people = await repo.volunteer_names(tx, sorted(occ.volunteers))
                for volunteer_id, volunteer in people.items():
                    if volunteer["telegram_id"] is None or rules.is_off(off_now, volunteer_id, now):
                        continue
                    queued = await self.outbox.post(
                        tx, volunteer["telegram_id"], await self.lang_of(tx, volunteer["telegram_id"]), "shift_start",
                        lane=Lane.UPDATE, purpose="notice", buttons=claim,
                        dedupe=f"shift_start:{occ.shift.id}:{occ.day.isoformat()}:{volunteer_id}",
                        team=occ.shift.team, grids=grids, tickets=tickets, start=rules.format_minute(occ.shift.start),
                        end=rules.format_minute(occ.shift.end))
                    sent += queued is not None
        if sent:
            self.outbox.kick()
        return sent

    async def coverage(self) -> bool:
        """Every evening at COVERAGE_REPORT_AT the admins get each grid's stretches of the next
        24 h with nobody on duty (once a day; only once the committee has set up shifts)."""
        now = self.clock.now()
        today = rules.local_day(now, self.tz)
        at = rules.wall(today, rules.parse_time(self.settings.coverage_report_at) or 0, self.tz)
        if now < at:
            return False
        async with self.db.transaction() as tx:
            if await settings_repo.get(tx, COVERAGE_SENT) == today.isoformat():
                return False
            await settings_repo.put(tx, COVERAGE_SENT, today.isoformat())
            if not await repo.any_shift(tx):
                return False
            end = now + LOOK_AHEAD
            report = []
            for grid in await repo.all_grids(tx):
                members, roster = await roster_for(tx, grid, now, self.tz)
                holes = rules.gaps(members, roster, grid, now, end)
                if holes:
                    report.append({"grid": grid, "gaps": [
                        {"from": self._when(a), "to": self._when(b), "hours": round((b - a) / 3600, 1)}
                        for a, b in holes]})
            for admin_chat, lang, key in await self.alerts.admins(tx):
                await self.outbox.post(tx, admin_chat, lang, "coverage", lane=Lane.UPDATE, purpose="notice",
                                       dedupe=f"coverage:{today.isoformat()}:{key}", grids=report,
                                       start=self._when(now), end=self._when(end))
        self.outbox.kick()
        return True
