"""The spans of time an admin names in a command: `7d`, `30d`, `month` (this calendar month so
far), `2026-11` (that month), `all`; and the week a weekly report covers. Local calendar days in the
committee's time zone, returned as epoch seconds [start, end). Pure: the time is an argument."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_DAYS = re.compile(r"^(\d{1,3})d$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
# the same periods in the words a Chinese-speaking admin writes: 本月, 近7天, 30天, 2026年11月, 全部
_ZH_WORDS = {"本月": "month", "这个月": "month", "这月": "month", "当月": "month", "全部": "all", "所有": "all"}
_ZH_DAYS = re.compile(r"^(?:近|最近|过去)?\s*(\d{1,3})\s*(?:天|日)$")
_ZH_MONTH = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月份?$")
MOST_DAYS = 366
WORDS = ("7d", "30d", "month", "YYYY-MM", "all")


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    key: str      # what was asked, normalised ("7d", "month", "2026-11", "all", "week")
    days: int     # local calendar days it spans (a chart has one bar per day)

    def holds(self, at: float) -> bool:
        return self.start <= at < self.end


def _midnight(day: datetime) -> datetime:
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def _span(start: datetime, end: datetime, key: str) -> Period:
    days = max(1, (end.date() - start.date()).days + (1 if end.time() != datetime.min.time() else 0))
    return Period(start.timestamp(), end.timestamp(), key, days)


# A period "until now" ends a second after now: what happened this very second (a request made
# just before the admin asked, on a clock that has not moved on) is in it; nothing is later.
NOW_INCLUDED = 1.0


def parse(word: str | None, now: float, tz: str, default: str = "7d") -> Period | None:
    """The period `word` names, ending now; None when it names none (the caller says which words
    it takes: WORDS). `Nd` is today and the N-1 days before it."""
    word = _plain(word or default)
    zone = ZoneInfo(tz)
    here = datetime.fromtimestamp(now, zone)
    if match := _DAYS.match(word):
        days = int(match.group(1))
        if not 1 <= days <= MOST_DAYS:
            return None
        return _until_now(_span(_midnight(here) - timedelta(days=days - 1), here, f"{days}d"))
    if word == "month":
        return _until_now(_span(_midnight(here).replace(day=1), here, "month"))
    if match := _MONTH.match(word):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 2000:
            return None
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        if start > here:
            return None
        if end > here:   # this month: so far
            return _until_now(_span(start, here, f"{year:04d}-{month:02d}"))
        return _span(start, end, f"{year:04d}-{month:02d}")
    if word == "all":
        return Period(0.0, now + NOW_INCLUDED, "all", MOST_DAYS)
    return None


def _until_now(period: Period) -> Period:
    return Period(period.start, period.end + NOW_INCLUDED, period.key, period.days)


def _plain(word: str) -> str:
    """A period word as parse reads it: full-width digits folded, the Chinese words as the codes."""
    word = unicodedata.normalize("NFKC", word).strip().lower()
    if word in _ZH_WORDS:
        return _ZH_WORDS[word]
    if match := _ZH_DAYS.match(word):
        return f"{match.group(1)}d"
    if match := _ZH_MONTH.match(word):
        return f"{match.group(1)}-{match.group(2)}"
    return word


def last_week(now: float, tz: str) -> Period:
    """The seven whole local days before today: what a weekly report sent this morning covers."""
    today = _midnight(datetime.fromtimestamp(now, ZoneInfo(tz)))
    return _span(today - timedelta(days=7), today, "week")
