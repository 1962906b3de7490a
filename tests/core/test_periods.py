"""The periods an admin names: local days in the committee's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import periods

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=ZoneInfo(TZ)).timestamp()


def _local(at: float) -> datetime:
    return datetime.fromtimestamp(at, ZoneInfo(TZ))


def test_seven_days_is_today_and_the_six_before_from_local_midnight():
    period = periods.parse("7d", NOW, TZ)
    assert _local(period.start) == datetime(2026, 11, 12, tzinfo=ZoneInfo(TZ))
    assert period.end == NOW + periods.NOW_INCLUDED and period.days == 7 and period.key == "7d"
    assert period.holds(NOW)    # what happened this very second is in


def test_month_is_this_calendar_month_so_far_and_a_named_month_is_whole():
    assert _local(periods.parse("month", NOW, TZ).start) == datetime(2026, 11, 1, tzinfo=ZoneInfo(TZ))
    october = periods.parse("2026-10", NOW, TZ)
    assert _local(october.start).day == 1 and _local(october.end) == datetime(2026, 11, 1, tzinfo=ZoneInfo(TZ))
    assert october.days == 31 and october.key == "2026-10"
    december = periods.parse("2025-12", NOW, TZ)
    assert _local(december.end) == datetime(2026, 1, 1, tzinfo=ZoneInfo(TZ))


def test_words_that_name_no_period_are_refused():
    for word in ("7", "0d", "999d", "2026-13", "2027-01", "yesterday", "30 d"):
        assert periods.parse(word, NOW, TZ) is None, word
    assert periods.parse(None, NOW, TZ).key == "7d"
    assert periods.parse("30D", NOW, TZ).key == "30d"


def test_last_week_is_the_seven_whole_days_before_today():
    week = periods.last_week(NOW, TZ)
    assert _local(week.start) == datetime(2026, 11, 11, tzinfo=ZoneInfo(TZ))
    assert _local(week.end) == datetime(2026, 11, 18, tzinfo=ZoneInfo(TZ))
    assert week.days == 7 and not week.holds(NOW) and week.holds(week.start)


def test_the_periods_in_chinese_words():
    for word, key in (("本月", "month"), ("近7天", "7d"), ("30天", "30d"), ("最近 30 天", "30d"), ("７d", "7d"),
                      ("2026年9月", "2026-09"), ("全部", "all")):
        period = periods.parse(word, NOW, TZ)
        assert period is not None and period.key == key, word
    assert periods.parse("上个月", NOW, TZ) is None and periods.parse("7天前", NOW, TZ) is None
