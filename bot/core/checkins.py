"""Check-ins, pure: plans, which question is due at a time, the reminder ladder, quiet hours,
away, and the words people type for times, days, durations and dates.

Functions of their inputs and a time (seconds since the epoch, UTC); the committee's wall clock
comes in as a time-zone name (zoneinfo). No I/O: bot/services/checkins.py keeps the timers in
the database and asks this module what each one means.

The ladder of one check-in (every step is a timer column, `next_action_at`):

    asked ──delivered──> waiting ──grace──> reminded ──grace──> ticket ──end of day──> emergency
       ↘ answered / help / visited / away at any step; a 403 jumps straight to ticket

The grace period counts from delivery (the outbox row's sent_at). A step that would speak to
the resident during quiet hours waits for the end of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_GRACE = 2 * 3600
EVERY_DAY = frozenset(range(7))          # Monday = 0, as datetime.weekday()
MAX_GRACE = 24 * 3600
MIN_GRACE = 60

# The states of one check-in. FINAL: nothing more will happen to it.
ASKED, WAITING, REMINDED, TICKET, EMERGENCY = "asked", "waiting", "reminded", "ticket", "emergency"
ANSWERED, HELP, LATE, VISITED, AWAY = "answered", "help", "late", "visited", "away"
OPEN_STATES = (ASKED, WAITING, REMINDED, TICKET, EMERGENCY)
ALARM_STATES = (TICKET, EMERGENCY)
FINAL = (ANSWERED, HELP, LATE, VISITED, AWAY)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "秒": 1, "分": 60, "分钟": 60, "小时": 3600, "时": 3600, "天": 86400}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d|秒|分钟|分|小时|时|天)$")
_TIME = re.compile(r"^(\d{1,2})(?:[:：.](\d{2})|点(半|(\d{1,2})分?)?)$")
_DAY_WORDS = {
    "mon": 0, "monday": 0, "周一": 0, "星期一": 0, "一": 0,
    "tue": 1, "tuesday": 1, "周二": 1, "星期二": 1, "二": 1,
    "wed": 2, "wednesday": 2, "周三": 2, "星期三": 2, "三": 2,
    "thu": 3, "thursday": 3, "周四": 3, "星期四": 3, "四": 3,
    "fri": 4, "friday": 4, "周五": 4, "星期五": 4, "五": 4,
    "sat": 5, "saturday": 5, "周六": 5, "星期六": 5, "六": 5,
    "sun": 6, "sunday": 6, "周日": 6, "星期日": 6, "周天": 6, "星期天": 6, "日": 6, "天": 6,
}
_DAY_SETS = {
    "daily": EVERY_DAY, "everyday": EVERY_DAY, "every day": EVERY_DAY, "每天": EVERY_DAY, "每日": EVERY_DAY,
    "天天": EVERY_DAY, "weekdays": frozenset(range(5)), "工作日": frozenset(range(5)),
    "weekends": frozenset({5, 6}), "周末": frozenset({5, 6}),
}
_SEPARATORS = re.compile(r"[,;，；、/]+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


# -- words ------------------------------------------------------------------------------------

def parse_duration(text: str) -> int | None:
    """`90m`, `2h`, `45s`, `1.5h`, `2小时` -> seconds; None when it is not a duration."""
    found = _DURATION.match(_fold(text).replace(" ", ""))
    if not found:
        return None
    return int(float(found[1]) * _UNITS[found[2]])


def parse_time(text: str) -> int | None:
    """`09:00`, `9:30`, `18.00`, `9点`, `9点半` -> minutes after midnight; None otherwise."""
    found = _TIME.match(_fold(text))
    if not found:
        return None
    hour = int(found[1])
    minute = int(found[2]) if found[2] else 30 if found[3] == "半" else int(found[4] or 0)
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def parse_times(text: str) -> tuple[int, ...] | None:
    """`09:00,18:00` or `09:00;18:00` -> sorted minutes after midnight; None if any is wrong."""
    parts = [part for part in _SEPARATORS.split(_fold(text)) if part]
    times = [parse_time(part) for part in parts]
    if not times or any(t is None for t in times):
        return None
    return tuple(sorted({t for t in times if t is not None}))


def parse_days(text: str) -> frozenset[int] | None:
    """`daily`, `weekdays`, `mon,wed,fri`, `周一、周三`, `1,3,5` (1 = Monday) -> weekdays."""
    folded = _fold(text)
    if folded in _DAY_SETS:
        return _DAY_SETS[folded]
    days: set[int] = set()
    for part in (p for p in _SEPARATORS.split(folded) if p):
        if part.isdigit() and 1 <= int(part) <= 7:
            days.add(int(part) - 1)
        elif part in _DAY_WORDS:
            days.add(_DAY_WORDS[part])
        else:
            return None
    return frozenset(days) or None


def parse_date(text: str, today: date) -> date | None:
    """`2026-10-01`, `2026/10/1`, `10-01`, `10月1日` -> a date (without a year: the next one)."""
    folded = _fold(text).rstrip("日号")
    found = re.match(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})$", folded)
    if not found:
        return None
    try:
        day = date(int(found[1] or today.year), int(found[2]), int(found[3]))
    except ValueError:
        return None
    if not found[1] and day < today:
        day = day.replace(year=day.year + 1)
    return day


def format_times(times: tuple[int, ...]) -> str:
    return ",".join(f"{t // 60:02d}:{t % 60:02d}" for t in times)


def format_days(days: frozenset[int]) -> str:
    return "".join(str(d) for d in sorted(days))


def days_from_column(text: str) -> frozenset[int]:
    return frozenset(int(c) for c in text if c.isdigit())


def format_duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


# -- quiet hours --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quiet:
    """Hours nobody is asked anything: start and end in minutes after midnight (may wrap)."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> "Quiet | None":
        """`22:00-07:00`; empty or `none` for no quiet hours (None)."""
        if not text or _fold(text) in ("none", "off", "-"):
            return None
        start, _, end = text.partition("-")
        a, b = parse_time(start), parse_time(end)
        if a is None or b is None or a == b:
            raise ValueError("expected HH:MM-HH:MM, e.g. 22:00-07:00")
        return cls(a, b)

    def contains(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def _local(ts: float, tz: str) -> datetime:
    return datetime.fromtimestamp(ts, ZoneInfo(tz))


def _at(day: date, minute: int, tz: str) -> float:
    return datetime.combine(day, time(minute // 60, minute % 60), ZoneInfo(tz)).timestamp()


def out_of_quiet(ts: float, tz: str, quiet: Quiet | None) -> float:
    """`ts`, or the end of the quiet hours it falls in."""
    if quiet is None:
        return ts
    local = _local(ts, tz)
    if not quiet.contains(local.hour * 60 + local.minute):
        return ts
    day = local.date()
    if quiet.start > quiet.end and local.hour * 60 + local.minute >= quiet.start:
        day += timedelta(days=1)  # 23:00 in 22:00-07:00: tomorrow morning
    return _at(day, quiet.end, tz)


def allwell_days(ts: float, tz: str, quiet: Quiet | None) -> list[date]:
    """The days whose "all well" may go at `ts`: none in quiet hours (a family is not woken for
    good news), otherwise yesterday (held overnight, or due while the bot was down) and today."""
    local = _local(ts, tz)
    if quiet is not None and quiet.contains(local.hour * 60 + local.minute):
        return []
    return [local.date() - timedelta(days=1), local.date()]


def local_day(ts: float, tz: str) -> str:
    return _local(ts, tz).date().isoformat()


def end_of_day(ts: float, tz: str) -> float:
    """Midnight after `ts` on the committee's wall clock."""
    return _at(_local(ts, tz).date() + timedelta(days=1), 0, tz)


def day_start(day: date, tz: str) -> float:
    return _at(day, 0, tz)


def previous_day(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


# -- the plan -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    times: tuple[int, ...]                 # minutes after midnight, sorted
    days: frozenset[int] = EVERY_DAY
    grace: int = DEFAULT_GRACE             # seconds
    paused_until: float | None = None      # away until then (the plan resumes by itself)

    def away_at(self, ts: float) -> bool:
        return self.paused_until is not None and ts < self.paused_until


@dataclass(frozen=True)
class Slot:
    """One scheduled question: its key (local "YYYY-MM-DD HH:MM"), day and time."""

    key: str
    day: str
    at: float


def _slot(day: date, minute: int, tz: str) -> Slot:
    return Slot(f"{day.isoformat()} {minute // 60:02d}:{minute % 60:02d}", day.isoformat(), _at(day, minute, tz))


def next_slot(plan: Plan, after: float, tz: str) -> Slot | None:
    """The first scheduled time strictly after `after` (skipping days off and time away)."""
    if not plan.times or not plan.days:
        return None
    start = max(after, plan.paused_until or after)
    day = _local(start, tz).date()
    for offset in range(8 + 366):  # a week, plus however long someone is away (up to a year)
        current = day + timedelta(days=offset)
        if current.weekday() not in plan.days:
            continue
        for minute in plan.times:
            slot = _slot(current, minute, tz)
            if slot.at > after and not plan.away_at(slot.at):
                return slot
    return None


def latest_slot(plan: Plan, now: float, tz: str, within: float) -> Slot | None:
    """The latest scheduled time in (now - within, now]: what a late tick (a restart) still asks.
    Older slots are skipped: nobody is asked yesterday's question."""
    day = _local(now, tz).date()
    best: Slot | None = None
    for offset in (1, 0):
        current = day - timedelta(days=offset)
        if current.weekday() not in plan.days:
            continue
        for minute in plan.times:
            slot = _slot(current, minute, tz)
            if now - within < slot.at <= now and not plan.away_at(slot.at):
                best = slot
    return best


def in_quiet(plan: Plan, quiet: Quiet | None) -> list[int]:
    """The plan's times that fall in quiet hours (refused when the plan is made)."""
    return [t for t in plan.times if quiet is not None and quiet.contains(t)]


# -- the ladder ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """What to do with a check-in whose timer is due: the action and the new state."""

    action: str          # remind | ticket | emergency | none
    state: str


def due_step(state: str) -> Step:
    """The step a due timer takes, by the state it is in."""
    if state == WAITING:
        return Step("remind", REMINDED)
    if state == REMINDED:
        return Step("ticket", TICKET)
    if state == TICKET:
        return Step("emergency", EMERGENCY)
    return Step("none", state)


def after_delivery(state: str, delivered_at: float, grace: int, tz: str, quiet: Quiet | None) -> float | None:
    """When the next step is due, counting from delivery: a reminder (after the question) or a
    ticket (after the reminder), moved out of quiet hours when it speaks to the resident."""
    if state in (WAITING, REMINDED):
        return out_of_quiet(delivered_at + grace, tz, quiet) if state == WAITING else delivered_at + grace
    return None


def ticket_urgency(missed_yesterday: bool) -> str:
    """Missed on two consecutive days: an emergency at once."""
    return "emergency" if missed_yesterday else "urgent"


# -- the desk: who is at risk today (/elderly) -----------------------------------------------------

# Today's state of one resident, most at risk first (the order of the list).
TODAY_STATES = ("ticket", "reminded", "waiting", "answered", "away", "not_due")
_TODAY_OF = {TICKET: "ticket", EMERGENCY: "ticket", HELP: "ticket", REMINDED: "reminded", ASKED: "waiting",
             WAITING: "waiting", ANSWERED: "answered", LATE: "answered", VISITED: "answered", AWAY: "away"}
ANSWERED_STATES = (ANSWERED, LATE, VISITED)
PAGE_SIZE = 20


@dataclass(frozen=True)
class DayRow:
    """One check-in as the desk reads it: its day, state, whether it raised an alarm, when answered."""

    day: str
    state: str
    missed: bool = False
    answered_at: float | None = None


@dataclass(frozen=True)
class Standing:
    """One resident on the desk's list: names and grids only (no phones, no flats)."""

    resident_id: int
    name: str
    grid: str | None
    today: str                    # one of TODAY_STATES
    last_answer: float | None
    misses: int                   # days with a missed check-in in the window
    streak: int                   # answered days in a row, newest first (days off do not break it)


def today_state(rows: list[DayRow], today: str, away: bool) -> str:
    """The worst state of today's check-ins; away (or a check-in set aside) when paused; else not due."""
    states = [_TODAY_OF.get(r.state, "waiting") for r in rows if r.day == today]
    if states:
        return min(states, key=TODAY_STATES.index)
    return "away" if away else "not_due"


def day_outcome(rows: list[DayRow]) -> str | None:
    """One day's check-ins in a word: missed (an alarm was raised), open, help, answered, or None
    (nothing asked: away, a day off)."""
    if any(r.missed for r in rows):
        return "missed"
    if any(r.state in OPEN_STATES for r in rows):
        return "open"
    if any(r.state == HELP for r in rows):
        return "help"
    if any(r.state in ANSWERED_STATES for r in rows):
        return "answered"
    return None


def streak(rows: list[DayRow]) -> int:
    """Answered days in a row, counting back from the newest day that is settled: a day still
    open (today's question waiting) is skipped, a day with nothing asked does not break it."""
    by_day: dict[str, list[DayRow]] = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row)
    count = 0
    for day in sorted(by_day, reverse=True):
        outcome = day_outcome(by_day[day])
        if outcome is None or (outcome == "open" and count == 0):
            continue
        if outcome != "answered":
            break
        count += 1
    return count


def standing(resident_id: int, name: str, grid: str | None, rows: list[DayRow], today: str, since: str,
             away: bool) -> Standing:
    """A resident's line on the desk from their recent check-ins (`since`: the first day of the window)."""
    answered = [r.answered_at for r in rows if r.answered_at is not None and r.state in ANSWERED_STATES + (HELP,)]
    return Standing(resident_id, name, grid, today_state(rows, today, away), max(answered, default=None),
                    len({r.day for r in rows if r.missed and r.day >= since}), streak(rows))


def by_risk(people: list[Standing]) -> list[Standing]:
    """Most at risk first: today's state, then more misses, a shorter streak, the longest silence."""
    return sorted(people, key=lambda s: (TODAY_STATES.index(s.today), -s.misses, s.streak,
                                         s.last_answer if s.last_answer is not None else float("-inf"),
                                         s.name, s.resident_id))


# -- the family's "all well today" -------------------------------------------------------------------

def last_slot_key(plan: Plan, day: date) -> str | None:
    """The key of the day's last question ("2026-09-22 18:00"), or None on a day off."""
    if not plan.times or day.weekday() not in plan.days:
        return None
    minute = plan.times[-1]
    return f"{day.isoformat()} {minute // 60:02d}:{minute % 60:02d}"


def all_well(plan: Plan, day: date, slots: dict[str, str]) -> bool:
    """The family may hear "all well today": the day's last question was answered (or a visit
    counted for the day), and nothing that day is still open, asked for help or raised an alarm. `slots`: the
    day's check-ins, slot key -> state."""
    if any(state in OPEN_STATES or state in (HELP, LATE) for state in slots.values()):
        return False  # a day with an alarm (answered late) had its own notices, not "all well"
    if any(key.startswith(f"{day.isoformat()} visit") and state == VISITED for key, state in slots.items()):
        return True
    key = last_slot_key(plan, day)
    return key is not None and slots.get(key) in ANSWERED_STATES


_QUESTION = re.compile(r"[?？]|请问|怎么|如何|哪里|哪儿|几点|多少|能不能|可不可以|\b(how|what|when|where|why|can i|could you)\b",
                       re.IGNORECASE)


def asks(text: str) -> bool:
    """A question rather than "I'm fine": it wants an answer of its own."""
    return bool(_QUESTION.search(text))
