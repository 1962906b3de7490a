"""bot/core/checkins.py: words for times, days, durations and dates; due slots; quiet hours; the ladder."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core import checkins as c

TZ = "Asia/Shanghai"


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 9, day, hour, minute, tzinfo=ZoneInfo(TZ)).timestamp()


@pytest.mark.parametrize("text,seconds", [("90m", 5400), ("2h", 7200), ("45s", 45), ("1.5h", 5400), ("2小时", 7200),
                                          ("30分钟", 1800), ("2 h", 7200), ("2", None), ("h", None), ("-1h", None)])
def test_durations(text, seconds):
    assert c.parse_duration(text) == seconds


@pytest.mark.parametrize("text,times", [("09:00", (540,)), ("09:00,18:00", (540, 1080)), ("18:00;9:00", (540, 1080)),
                                        ("9点半", (570,)), ("９：００", (540,)), ("25:00", None), ("9", None),
                                        ("09:00,abc", None), ("", None)])
def test_times(text, times):
    assert c.parse_times(text) == times


@pytest.mark.parametrize("text,days", [("daily", c.EVERY_DAY), ("每天", c.EVERY_DAY), ("weekdays", frozenset(range(5))),
                                       ("mon,wed,fri", frozenset({0, 2, 4})), ("周一、周三", frozenset({0, 2})),
                                       ("1,7", frozenset({0, 6})), ("sometimes", None), ("8", None)])
def test_days(text, days):
    assert c.parse_days(text) == days


def test_dates():
    today = date(2026, 9, 21)
    assert c.parse_date("2026-10-08", today) == date(2026, 10, 8)
    assert c.parse_date("10-08", today) == date(2026, 10, 8)
    assert c.parse_date("10月8日", today) == date(2026, 10, 8)
    assert c.parse_date("01-05", today) == date(2027, 1, 5)        # no year: the next one
    assert c.parse_date("2026-02-30", today) is None
    assert c.parse_date("tomorrow", today) is None


def test_next_slot_skips_days_off_and_time_away():
    plan = c.Plan((540, 1080), frozenset({0, 2}))                # Mondays and Wednesdays, 09:00 and 18:00
    assert c.next_slot(plan, at(21, 10), TZ).key == "2026-09-21 18:00"   # the 21st is a Monday
    assert c.next_slot(plan, at(21, 19), TZ).key == "2026-09-23 09:00"
    away = c.Plan((540,), c.EVERY_DAY, paused_until=at(25, 0))
    assert c.next_slot(away, at(21, 19), TZ).key == "2026-09-25 09:00"


def test_latest_slot_catches_up_only_recent_questions():
    plan = c.Plan((540,))
    assert c.latest_slot(plan, at(22, 9, 1), TZ, 3600).key == "2026-09-22 09:00"
    assert c.latest_slot(plan, at(22, 11), TZ, 3600) is None     # too old: not asked late
    assert c.latest_slot(c.Plan((540,), paused_until=at(23, 0)), at(22, 9, 1), TZ, 3600) is None


def test_quiet_hours():
    quiet = c.Quiet.parse("22:00-07:00")
    assert quiet is not None and quiet.contains(23 * 60) and quiet.contains(6 * 60) and not quiet.contains(7 * 60)
    assert c.out_of_quiet(at(22, 23), TZ, quiet) == at(23, 7)
    assert c.out_of_quiet(at(22, 3), TZ, quiet) == at(22, 7)
    assert c.out_of_quiet(at(22, 12), TZ, quiet) == at(22, 12)
    assert c.Quiet.parse("none") is None
    with pytest.raises(ValueError):
        c.Quiet.parse("late")
    assert c.in_quiet(c.Plan((540, 1410)), quiet) == [1410]


def test_all_well_waits_out_quiet_hours_then_brings_yesterday_too():
    quiet = c.Quiet.parse("22:00-07:00")
    assert c.allwell_days(at(22, 22, 30), TZ, quiet) == []                       # nobody is woken for good news
    assert c.allwell_days(at(23, 6, 59), TZ, quiet) == []
    assert c.allwell_days(at(23, 7), TZ, quiet) == [date(2026, 9, 22), date(2026, 9, 23)]
    assert c.allwell_days(at(22, 23), TZ, None) == [date(2026, 9, 21), date(2026, 9, 22)]


def test_the_ladder():
    quiet = c.Quiet.parse("22:00-07:00")
    assert c.due_step(c.WAITING) == c.Step("remind", c.REMINDED)
    assert c.due_step(c.REMINDED) == c.Step("ticket", c.TICKET)
    assert c.due_step(c.TICKET) == c.Step("emergency", c.EMERGENCY)
    assert c.due_step(c.ANSWERED).action == "none"
    # the grace counts from delivery; a reminder that would fall in quiet hours waits for the morning
    assert c.after_delivery(c.WAITING, at(22, 9, 4), 7200, TZ, quiet) == at(22, 11, 4)
    assert c.after_delivery(c.WAITING, at(22, 21), 7200, TZ, quiet) == at(23, 7)
    assert c.after_delivery(c.REMINDED, at(22, 21), 7200, TZ, quiet) == at(22, 23)  # the volunteers are not quiet
    assert c.end_of_day(at(22, 13), TZ) == at(23, 0)
    assert c.ticket_urgency(True) == "emergency" and c.ticket_urgency(False) == "urgent"
