"""/stats and the weekly report, as pure functions: which words name a period and which a grid,
the summary of a period's tickets (counts, medians, shares), the requests per local day, a
comment with its personal details masked, and when the weekly report is next due. The rows come
from storage/stats.py; nothing here reads the database or the clock."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.periods import Period
from bot.core.triage import URGENCIES

HOUR = 3600.0
ALERTED = tuple(u for u in URGENCIES if u != "info")   # urgencies that start an escalation chain


# -- the words of /stats ----------------------------------------------------------------------

@dataclass(frozen=True)
class Asked:
    """What /stats was asked: a period word (None: the default), a grid, or the word not understood."""

    period: str | None = None
    grid: str | None = None
    bad: str | None = None


def read_words(words: Sequence[str], is_period: Callable[[str], bool], grids: Iterable[str]) -> Asked:
    """`/stats [PERIOD] [GRID]` in either order. A word is a period if `is_period` says so, else a
    grid if it names one of `grids` (case as the committee wrote it); anything else, or a second
    period or grid, is the bad word."""
    known = {_fold(g): g for g in grids}
    period = grid = None
    for word in words:
        folded = _fold(word)
        if period is None and is_period(folded):
            period = folded
        elif grid is None and folded in known:
            grid = known[folded]
        else:
            return Asked(period, grid, word)
    return Asked(period, grid)


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).strip().lower()


# -- numbers ----------------------------------------------------------------------------------

def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def share(part: int, whole: int) -> float | None:
    """part/whole, None when there is nothing to share (never a division by zero, never "0%" of nothing)."""
    return part / whole if whole else None


def duration(seconds: float | None) -> dict[str, Any] | None:
    """A duration as a template says it: a number and a unit (m, h, d), one decimal at most."""
    if seconds is None:
        return None
    minutes = seconds / 60
    if minutes < 90:
        return {"value": max(1, round(minutes)), "unit": "m"}
    hours = minutes / 60
    if hours < 48:
        return {"value": _tidy(hours), "unit": "h"}
    return {"value": _tidy(hours / 24), "unit": "d"}


def _tidy(value: float) -> float | int:
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


# -- the summary ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """One row of the period's tickets grouped by (urgency, category, grid)."""

    urgency: str
    category: str
    grid: str
    count: int
    escalated: int = 0     # past step 1 of the chain (tickets.escalation_step >= 2)
    duplicates: int = 0    # of `count`, reports linked to an earlier request (no chain of their own)
    rating_sum: int = 0
    rated: int = 0


@dataclass(frozen=True)
class Timing:
    """A ticket that was claimed: its urgency, seconds to claim, seconds to resolve (None: not yet)."""

    urgency: str
    to_claim: float
    to_resolve: float | None = None


@dataclass
class Summary:
    """Everything /stats says about a period. A new count is one more field here, filled by
    Stats.summary, and one more line in templates/*/_stats.j2 (as `wishes` is)."""

    period: Period
    grids: list[str] | None                      # None: the whole community
    total: int = 0
    duplicates: int = 0                          # of total, the same problem reported again (linked)
    by_urgency: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_grid: list[tuple[str, int]] = field(default_factory=list)
    claim: dict[str, dict[str, Any] | None] = field(default_factory=dict)    # urgency -> duration()
    resolve: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    claim_seconds: dict[str, float] = field(default_factory=dict)           # urgency -> median (the chart)
    claimed: dict[str, int] = field(default_factory=dict)                   # urgency -> tickets claimed
    escalated: int = 0
    chained: int = 0                             # tickets with a chain (not info)
    escalated_share: float | None = None
    rating: float | None = None
    rated: int = 0
    comments: list[dict[str, Any]] = field(default_factory=list)
    checkins_asked: int = 0
    checkins_answered: int = 0
    checkin_rate: float | None = None
    days: list[tuple[date, dict[str, int]]] = field(default_factory=list)   # the chart's bars
    extra: dict[str, Any] = field(default_factory=dict)                     # the weekly report's lists
    wishes: dict[str, int] | None = None         # micro-wishes new/approved/adopted/fulfilled (None: not counted)

    @property
    def empty(self) -> bool:
        return self.total == 0


def summarize(period: Period, grids: list[str] | None, groups: Iterable[Group], timings: Iterable[Timing],
              days: list[tuple[date, dict[str, int]]] | None = None, checkins: tuple[int, int] = (0, 0),
              comments: list[dict[str, Any]] | None = None) -> Summary:
    groups = list(groups)
    summary = Summary(period, grids, days=days or [], comments=comments or [])
    urgency: dict[str, int] = {}
    category: dict[str, int] = {}
    grid: dict[str, int] = {}
    for g in groups:
        summary.total += g.count
        urgency[g.urgency] = urgency.get(g.urgency, 0) + g.count
        category[g.category] = category.get(g.category, 0) + g.count
        grid[g.grid] = grid.get(g.grid, 0) + g.count
        summary.duplicates += g.duplicates
        summary.escalated += g.escalated
        # a duplicate is never alerted on its own: it cannot be passed on, so it is not in the share
        summary.chained += g.count - g.duplicates if g.urgency in ALERTED else 0
        summary.rated += g.rated
    summary.by_urgency = [(u, urgency[u]) for u in URGENCIES if urgency.get(u)]
    summary.by_category = sorted(category.items(), key=lambda kv: (-kv[1], kv[0]))
    summary.by_grid = sorted(grid.items(), key=lambda kv: (-kv[1], kv[0]))
    summary.escalated_share = share(summary.escalated, summary.chained)
    ratings = sum(g.rating_sum for g in groups)
    summary.rating = round(ratings / summary.rated, 1) if summary.rated else None
    claims: dict[str, list[float]] = {}
    resolves: dict[str, list[float]] = {}
    for t in timings:
        claims.setdefault(t.urgency, []).append(max(0.0, t.to_claim))
        if t.to_resolve is not None:
            resolves.setdefault(t.urgency, []).append(max(0.0, t.to_resolve))
    for u in URGENCIES:
        if u in claims:
            summary.claim_seconds[u] = median(claims[u]) or 0.0
            summary.claimed[u] = len(claims[u])
            summary.claim[u] = duration(summary.claim_seconds[u])
        if u in resolves:
            summary.resolve[u] = duration(median(resolves[u]))
    asked, answered = checkins
    summary.checkins_asked, summary.checkins_answered = asked, answered
    summary.checkin_rate = share(answered, asked)
    return summary


def day_series(period: Period, tz: str, hours: Iterable[tuple[int, str, int]]) -> list[tuple[date, dict[str, int]]]:
    """Requests per local day by category, one entry per day of the period (empty days too).
    `hours`: (hour after the period's start, category, count), as storage groups them: the
    period starts at a local midnight, so every hour lies in one local day, daylight saving or not."""
    zone = ZoneInfo(tz)
    first = datetime.fromtimestamp(period.start, zone).date()
    last = datetime.fromtimestamp(max(period.start, period.end - 1), zone).date()
    days: dict[date, dict[str, int]] = {}
    day = first
    while day <= last:
        days[day] = {}
        day += timedelta(days=1)
    for hour, category, count in hours:
        local = datetime.fromtimestamp(period.start + hour * HOUR, zone).date()
        bucket = days.setdefault(local, {})
        bucket[category] = bucket.get(category, 0) + count
    return sorted(days.items())


# -- comments without personal details -------------------------------------------------------

# a phone number, a flat (3-1-502, 5号楼2单元301室, building 12 flat 3), an id: any run of digits
# long enough to be one, with what joins them; and Chinese address words with their number
_DIGITS = re.compile(r"\+?\d(?:[\s\-–()]*\d){2,}")
_PLACE = re.compile(r"\d+\s*(?:号楼|栋|幢|单元|室|号|楼|层)"
                    r"|(?:building|bldg|block|flat|room|unit|apt|floor|no\.?)\s*#?\s*\d+\w*", re.IGNORECASE)
MASK = "…"


def scrub(text: str | None, names: Iterable[str | None] = ()) -> str:
    """A comment as a group may read it: the names given (the resident's, the volunteer's, each
    word of them), phone numbers and flats masked. Whatever else a person wrote is kept."""
    text = " ".join((text or "").split())
    for name in sorted({part for n in names if n for part in [n, *n.split()] if len(part.strip()) >= 2},
                       key=len, reverse=True):
        text = re.sub(re.escape(name), MASK, text, flags=re.IGNORECASE)
    text = _PLACE.sub(MASK, text)
    text = _DIGITS.sub(MASK, text)
    # masks side by side (a flat then a name) are one; no space is left before punctuation
    text = re.sub(rf"{MASK}(?:[\s\-–,，、/]*{MASK})+", MASK, text)
    return re.sub(rf"{MASK}\s+(?=[!?.,;:！？。，；：])", MASK, text).strip()


# -- the weekly report's schedule --------------------------------------------------------------

_WEEKDAYS = {
    "mon": 0, "monday": 0, "周一": 0, "星期一": 0, "tue": 1, "tuesday": 1, "周二": 1, "星期二": 1,
    "wed": 2, "wednesday": 2, "周三": 2, "星期三": 2, "thu": 3, "thursday": 3, "周四": 3, "星期四": 3,
    "fri": 4, "friday": 4, "周五": 4, "星期五": 4, "sat": 5, "saturday": 5, "周六": 5, "星期六": 5,
    "sun": 6, "sunday": 6, "周日": 6, "星期日": 6, "周天": 6, "星期天": 6,
}
_OFF = {"off", "none", "no", "false", "0", "关", "关闭", ""}
_AT = re.compile(r"^(\S+?)\s*(\d{1,2})[:：](\d{2})$")


@dataclass(frozen=True)
class Weekly:
    weekday: int    # Monday = 0
    minute: int     # after local midnight

    @property
    def spec(self) -> str:
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        return f"{names[self.weekday]} {self.minute // 60:02d}:{self.minute % 60:02d}"


def parse_weekly(text: str) -> Weekly | None | bool:
    """WEEKLY_REPORT_AT: "mon 09:00" (周一 09:00) -> Weekly; "off" -> None; anything else -> False."""
    folded = _fold(text)
    if folded in _OFF:
        return None
    found = _AT.match(folded)
    if not found or found[1] not in _WEEKDAYS:
        return False
    hour, minute = int(found[2]), int(found[3])
    if hour > 23 or minute > 59:
        return False
    return Weekly(_WEEKDAYS[found[1]], hour * 60 + minute)


def next_weekly(weekly: Weekly, after: float, tz: str) -> float:
    """The first time strictly after `after` that the committee's clock reads the weekday and time."""
    zone = ZoneInfo(tz)
    here = datetime.fromtimestamp(after, zone)
    day = here.date() + timedelta(days=(weekly.weekday - here.weekday()) % 7)
    for _ in range(3):
        # the wall clock's reading on that day, then the instant (a DST day keeps the committee's hour)
        when = datetime(day.year, day.month, day.day, weekly.minute // 60, weekly.minute % 60, tzinfo=zone).timestamp()
        if when > after:
            return when
        day += timedelta(days=7)
    raise AssertionError("unreachable: a week later is always after")
