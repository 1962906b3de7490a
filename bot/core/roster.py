"""Who is on duty for a grid. Pure: memberships, shifts, overrides and a time in; people out.

A **shift** belongs to a team: weekdays, a start and an end minute of the day on the committee's
wall clock, and its volunteers. An end before the start crosses midnight, and the occurrence
belongs to the day it starts (Sunday 20:00-08:00 is Sunday's shift until Monday 08:00).

Who is on duty for a grid at a time:
- a team that has **no shifts at all** is on duty always (a committee that never set up rosters
  keeps today's behaviour);
- otherwise the volunteers of the team's shift occurrences running at that time, where an
  accepted **swap** replaces the asker by the teammate for that one occurrence;
- plus anyone an admin **covers** the grid with, shift or not;
- minus anyone **off** (`/duty off`): a volunteer who is off is never on duty.

Times are seconds since the epoch; the wall clock comes in as a zone name (zoneinfo). Occurrences
are placed on the wall clock of their own days, so a shift keeps its hours across a DST change; a
start or end that falls in the hour a spring change skips happens when the clock jumps.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Member:
    volunteer_id: int
    telegram_id: int | None
    name: str
    language: str | None
    role: str          # member | leader
    team: str


@dataclass(frozen=True)
class Shift:
    id: int
    team: str
    days: frozenset[int]          # Monday = 0, as datetime.weekday()
    start: int                    # minute of the day, committee's wall clock
    end: int                      # an end before the start crosses midnight
    volunteers: frozenset[int]    # volunteer ids

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class Off:
    """A volunteer off duty from `start` until `end` (None: until they say /duty on)."""

    volunteer_id: int
    start: float
    end: float | None = None


@dataclass(frozen=True)
class Cover:
    """An admin puts `member` on duty for `grid` from `start` until `end`, shift or not."""

    grid: str
    member: Member
    start: float
    end: float


@dataclass(frozen=True)
class Swap:
    """An accepted swap: on the occurrence of `shift_id` that starts on local `day`, `giver` is
    off and `taker` is on."""

    shift_id: int
    day: date
    giver: int
    taker: int


@dataclass(frozen=True)
class Roster:
    shifts: tuple[Shift, ...] = ()
    off: tuple[Off, ...] = ()
    covers: tuple[Cover, ...] = ()
    swaps: tuple[Swap, ...] = ()
    tz: str = "UTC"


@dataclass(frozen=True)
class Occurrence:
    shift: Shift
    day: date                     # the local day it starts
    start: float
    end: float
    volunteers: frozenset[int] = field(default_factory=frozenset)   # after swaps


# -- the wall clock ------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


@lru_cache(maxsize=8192)
def wall(day: date, minute: int, tz: str) -> float:
    """The instant the committee's clock reads `minute` on `day`. A time the clock skips (a spring
    DST change) is the instant it jumps; a time it reads twice (autumn) is the first."""
    zone = _zone(tz)
    for step in range(0, 24 * 60 + 1):  # at most the length of the skipped stretch
        m = minute + step
        local = datetime.combine(day + timedelta(days=m // 1440), datetime.min.time()) + timedelta(minutes=m % 1440)
        aware = local.replace(tzinfo=zone)
        ts = aware.timestamp()
        if datetime.fromtimestamp(ts, zone).replace(tzinfo=None) == local:
            return ts
    raise ValueError(f"no such wall time: {day} {minute} in {tz}")  # pragma: no cover


def local_day(ts: float, tz: str) -> date:
    return datetime.fromtimestamp(ts, _zone(tz)).date()


def occurrence_of(shift: Shift, day: date, tz: str, swaps: Iterable[Swap] = ()) -> Occurrence:
    end_day = day + timedelta(days=1) if shift.overnight else day
    people = set(shift.volunteers)
    for swap in swaps:
        if swap.shift_id == shift.id and swap.day == day and swap.giver in people:
            people.discard(swap.giver)
            people.add(swap.taker)
    return Occurrence(shift, day, wall(day, shift.start, tz), wall(end_day, shift.end, tz), frozenset(people))


def occurrences(shifts: Iterable[Shift], start: float, end: float, tz: str,
                swaps: Sequence[Swap] = ()) -> list[Occurrence]:
    """Every occurrence that overlaps [start, end), in order of start."""
    first = local_day(start, tz) - timedelta(days=1)   # yesterday's overnight shift may still run
    last = local_day(end, tz)
    found = []
    day = first
    shifts = list(shifts)
    while day <= last:
        weekday = day.weekday()
        for shift in shifts:
            if weekday in shift.days:
                occ = occurrence_of(shift, day, tz, swaps)
                if occ.start < end and occ.end > start:
                    found.append(occ)
        day += timedelta(days=1)
    return sorted(found, key=lambda o: (o.start, o.shift.id))


def starting(shifts: Iterable[Shift], start: float, end: float, tz: str,
             swaps: Sequence[Swap] = ()) -> list[Occurrence]:
    """The occurrences that start in (start, end]: the shift-start messages due. Shifts are
    grouped by start minute, so a tick's minute looks at the few that start then, not at all."""
    by_minute: dict[int, list[Shift]] = {}
    for shift in shifts:
        by_minute.setdefault(shift.start, []).append(shift)
    found = []
    day, last = local_day(start, tz), local_day(end, tz)
    while day <= last:
        for minute, group in by_minute.items():
            if start < wall(day, minute, tz) <= end:
                found += [occurrence_of(s, day, tz, swaps) for s in group if day.weekday() in s.days]
        day += timedelta(days=1)
    return sorted(found, key=lambda o: (o.start, o.shift.id))


def minutes_between(start: float, end: float, tz: str) -> set[int] | None:
    """The local minutes of the day the clock reads in (start, end] (a superset), for a database
    filter on shifts' start minutes; None when that is no help (over an hour, or a DST change)."""
    zone = _zone(tz)
    first, last = datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end, zone)
    if end - start > 3600 or first.utcoffset() != last.utcoffset():
        return None
    m0, m1 = first.hour * 60 + first.minute, last.hour * 60 + last.minute
    return {(m0 + i) % 1440 for i in range((m1 - m0) % 1440 + 1)}


# -- who is on duty --------------------------------------------------------------------------------

def _running(shifts: Sequence[Shift], at: float, tz: str, swaps: Sequence[Swap]) -> set[int]:
    """The volunteers of the shift occurrences running at `at`. Only today's and yesterday's
    occurrences can be running; their instants come from `wall` (cached), so this stays cheap
    with thousands of shifts."""
    today = local_day(at, tz)
    yesterday = today - timedelta(days=1)
    midnights = [wall(yesterday + timedelta(days=i), 0, tz) for i in range(4)]
    # no clock change from yesterday to tomorrow (nearly always): instants are plain arithmetic
    steady = all(b - a == DAY for a, b in zip(midnights, midnights[1:]))
    on: set[int] = set()
    for index, day in enumerate((yesterday, today)):
        weekday = day.weekday()
        base = midnights[index]
        for shift in shifts:
            if weekday not in shift.days or (index == 0 and not shift.overnight):
                continue
            if steady:
                start = base + shift.start * 60
                end = base + (DAY if shift.overnight else 0) + shift.end * 60
            else:
                start = wall(day, shift.start, tz)
                end = wall(day + timedelta(days=1) if shift.overnight else day, shift.end, tz)
            if not start <= at < end:
                continue
            if swaps and any(s.shift_id == shift.id and s.day == day for s in swaps):
                on |= occurrence_of(shift, day, tz, swaps).volunteers
            else:
                on |= shift.volunteers
    return on


def is_off(roster: Roster, volunteer_id: int, at: float) -> bool:
    return any(o.volunteer_id == volunteer_id and o.start <= at and (o.end is None or at < o.end)
               for o in roster.off)


def not_off(members: Iterable[Member], roster: Roster | None, at: float) -> list[Member]:
    """The members who are not off duty at `at`: the chain's later steps (the leader, the whole
    grid) reach beyond the shift, but never someone who said /duty off."""
    return [m for m in members if roster is None or not is_off(roster, m.volunteer_id, at)]


def who(members: Iterable[Member], roster: Roster | None, grid: str | None, at: float) -> list[Member]:
    """Everyone on duty for the grid at `at` (reachable or not), one entry per person, leaders
    first. Without a roster every member is on duty (no rosters set up)."""
    members = list(members)
    if roster is None:
        chosen = members
    else:
        with_shifts = {s.team for s in roster.shifts}
        on = _running([s for s in roster.shifts if s.team in {m.team for m in members}], at, roster.tz,
                      roster.swaps)
        chosen = [m for m in members if m.team not in with_shifts or m.volunteer_id in on]
        chosen += [c.member for c in roster.covers if (grid is None or c.grid == grid) and c.start <= at < c.end]
        chosen = [m for m in chosen if not is_off(roster, m.volunteer_id, at)]
    best: dict[int, Member] = {}
    for member in chosen:
        current = best.get(member.volunteer_id)
        if current is None or (member.role == "leader" and current.role != "leader"):
            best[member.volunteer_id] = member
    return sorted(best.values(), key=lambda m: (m.role != "leader", m.volunteer_id))


def on_duty(members: Iterable[Member], at: float | None = None, exclude: Iterable[int] = (),
            roster: Roster | None = None, grid: str | None = None) -> list[Member]:
    """The volunteers to alert: those on duty (`who`) the bot can reach (a Telegram id), one
    entry per person (a person in two teams is alerted once), minus `exclude` (volunteer ids)."""
    skip = set(exclude)
    if roster is not None and at is None:
        raise ValueError("a roster needs a time")
    return [m for m in who(members, roster, grid, at or 0.0)
            if m.telegram_id is not None and m.volunteer_id not in skip]


def can_act_for_grid(members: Iterable[Member], volunteer_id: int) -> bool:
    """A volunteer may claim a ticket of a grid their team covers."""
    return any(member.volunteer_id == volunteer_id for member in members)


def _changes(members: Sequence[Member], roster: Roster, grid: str | None, start: float, end: float) -> list[float]:
    """Every instant in (start, end) at which who is on duty may change."""
    teams = {m.team for m in members}
    shifts = [s for s in roster.shifts if s.team in teams]
    points: set[float] = set()
    for occ in occurrences(shifts, start, end, roster.tz, roster.swaps):
        points.update((occ.start, occ.end))
    for off in roster.off:
        points.add(off.start)
        if off.end is not None:
            points.add(off.end)
    for cover in roster.covers:
        if grid is None or cover.grid == grid:
            points.update((cover.start, cover.end))
    return sorted(p for p in points if start < p < end)


def _ids(people: Iterable[Member]) -> frozenset[int]:
    return frozenset(m.volunteer_id for m in people)


def next_change(members: Sequence[Member], roster: Roster | None, grid: str | None, at: float,
                horizon: float = 8 * DAY) -> tuple[float, list[Member]] | None:
    """When who is on duty next changes (within `horizon`), and who is on duty then (/oncall)."""
    if roster is None:
        return None
    now = _ids(who(members, roster, grid, at))
    for point in _changes(members, roster, grid, at, at + horizon):
        then = who(members, roster, grid, point)
        if _ids(then) != now:
            return point, then
    return None


def gaps(members: Sequence[Member], roster: Roster | None, grid: str | None, start: float,
         end: float) -> list[tuple[float, float]]:
    """The stretches of [start, end) with nobody on duty for the grid whom an alert can reach (the
    coverage look-ahead): a shift of volunteers who have no Telegram chat yet is a gap, as the
    chain will find it ("nobody on duty")."""
    points = [start] + (_changes(members, roster, grid, start, end) if roster is not None else []) + [end]
    found: list[tuple[float, float]] = []
    for a, b in zip(points, points[1:]):
        if b <= a or any(m.telegram_id is not None for m in who(members, roster, grid, a)):
            continue
        if found and found[-1][1] == a:
            found[-1] = (found[-1][0], b)
        else:
            found.append((a, b))
    return found


# -- words -------------------------------------------------------------------------------------------

_DAY_WORDS = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                         "sunday"))},
    **{f"周{c}": i for i, c in enumerate("一二三四五六日")}, "周天": 6,
    **{f"星期{c}": i for i, c in enumerate("一二三四五六日")}, "星期天": 6,
}
_ALL_DAYS = ("daily", "everyday", "every day", "每天", "每日", "天天", "all")
_SETS = {"weekdays": frozenset(range(5)), "工作日": frozenset(range(5)), "weekends": frozenset({5, 6}),
         "周末": frozenset({5, 6})}
_SPLIT = re.compile(r"[,;，；、/]+")
_RANGE = re.compile(r"^(.+?)\s*(?:-|–|—|~|～|至|到)\s*(.+)$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_SPAN = re.compile(r"^(\d{1,2}[:：]\d{2})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2}[:：]\d{2})$")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def parse_days(text: str) -> frozenset[int] | None:
    """`daily`, `mon-fri`, `mon,wed,fri`, `周一-周五`, `周一,周三`, `weekends` -> weekdays
    (Monday = 0); a range may wrap the week end (`fri-mon`). None when any part is not a day."""
    folded = _fold(text)
    if folded in _ALL_DAYS:
        return frozenset(range(7))
    if folded in _SETS:
        return _SETS[folded]
    days: set[int] = set()
    for part in (p.strip() for p in _SPLIT.split(folded)):
        if not part:
            continue
        if part in _DAY_WORDS:
            days.add(_DAY_WORDS[part])
            continue
        found = _RANGE.match(part)
        if not found or found[1] not in _DAY_WORDS or found[2] not in _DAY_WORDS:
            return None
        first, last = _DAY_WORDS[found[1]], _DAY_WORDS[found[2]]
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(days) or None


def parse_time(text: str) -> int | None:
    """`08:00`, `8:30`, `24:00` (the end of the day, as an end) -> minutes after midnight."""
    found = _TIME.match(_fold(text))
    if not found:
        return None
    hour, minute = int(found[1]), int(found[2])
    if (hour, minute) == (24, 0):
        return 0
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def parse_span(text: str) -> tuple[int, int] | None | str:
    """`08:00-20:00` -> (480, 1200); None when it is not two times; "same" when they are equal."""
    found = _SPAN.match(_fold(text))
    if not found:
        return None
    start, end = parse_time(found[1]), parse_time(found[2])
    if start is None or end is None:
        return None
    if start == end:
        return "same"
    return start, end


def looks_like_span(text: str) -> bool:
    """A word meant as HH:MM-HH:MM (even a wrong one such as 25:00-08:00), to find it in a command."""
    return bool(re.match(r"^\d{1,2}[:：]\d{1,2}\s*(?:-|–|—|~|～|至|到)", _fold(text)))


def split_names(text: str) -> list[str]:
    """`张伟,李娜`, `Zhang Wei, Li Na`, `张伟、李娜` -> the names (a name may have spaces)."""
    return [part.strip() for part in re.split(r"[,;，；、]+", text) if part.strip()]


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_days(days: frozenset[int]) -> str:
    """`mon-fri`, `daily`, `mon,wed,fri`: the same words /shift add takes."""
    if len(days) == 7:
        return "daily"
    ordered = sorted(days)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{WEEKDAYS[ordered[0]]}-{WEEKDAYS[ordered[-1]]}"
    return ",".join(WEEKDAYS[d] for d in ordered)


def days_column(days: frozenset[int]) -> str:
    return "".join(str(d) for d in sorted(days))


def days_from_column(text: str) -> frozenset[int]:
    return frozenset(int(c) for c in text if c.isdigit())


def until(text: str, now: float, tz: str) -> float | None:
    """`2h`, `90m` (from now) or `18:00` (the next time the clock reads it) -> an instant."""
    from bot.core.checkins import parse_duration  # the one reader of durations
    folded = _fold(text)
    seconds = parse_duration(folded)
    if seconds is not None:
        return now + seconds if seconds > 0 else None
    minute = parse_time(folded)
    if minute is None:
        return None
    day = local_day(now, tz)
    at = wall(day, minute, tz)
    return at if at > now else wall(day + timedelta(days=1), minute, tz)
