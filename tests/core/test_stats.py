"""bot/core/stats.py: the words of /stats, the summary's numbers, the days of the chart, comments
without personal details, and when the weekly report is due."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core import periods
from bot.core.stats import (
    Group, Timing, Weekly, day_series, duration, median, next_weekly, parse_weekly, read_words, scrub, share,
    summarize,
)

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=ZoneInfo(TZ)).timestamp()   # a Monday afternoon


def is_period(word: str) -> bool:
    return word != "all" and periods.parse(word, NOW, TZ) is not None


@pytest.mark.parametrize(("words", "period", "grid", "bad"), [
    ([], None, None, None),
    (["30d"], "30d", None, None),
    (["g2"], None, "G2", None),                  # grids as the committee wrote them
    (["G2", "month"], "month", "G2", None),      # either order
    (["2026-11", "G1"], "2026-11", "G1", None),
    (["99x"], None, None, "99x"),
    (["7d", "30d"], "7d", None, "30d"),          # a second period is not understood
    (["G1", "G2"], None, "G1", "G2"),
    (["all"], None, None, "all"),
    (["2027-01"], None, None, "2027-01"),        # a month still to come
    (["７ｄ"], "7d", None, None),                # full-width, as a Chinese keyboard types it
])
def test_read_words(words, period, grid, bad):
    asked = read_words(words, is_period, ["G1", "G2"])
    assert (asked.period, asked.grid, asked.bad) == (period, grid, bad)


def test_median_share_duration():
    assert median([]) is None
    assert median([5.0]) == 5.0
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert share(1, 3) == pytest.approx(1 / 3) and share(0, 0) is None and share(0, 4) == 0
    assert duration(None) is None
    assert duration(10) == {"value": 1, "unit": "m"}            # under a minute still reads "1 min"
    assert duration(20 * 60) == {"value": 20, "unit": "m"}
    assert duration(89 * 60) == {"value": 89, "unit": "m"}
    assert duration(3.5 * 3600) == {"value": 3.5, "unit": "h"}
    assert duration(2 * 3600) == {"value": 2, "unit": "h"}
    assert duration(3 * 86400) == {"value": 3, "unit": "d"}


def test_summarize_counts_medians_and_shares():
    period = periods.parse("7d", NOW, TZ)
    groups = [
        Group("routine", "water", "G1", 3, escalated=1, rating_sum=9, rated=2),
        Group("emergency", "medical", "G1", 1),
        Group("urgent", "lift", "G2", 2, escalated=2, rating_sum=1, rated=1),
        Group("info", "admin", "G2", 4),                        # no chain: not in the escalated share
        Group("routine", "water", "G2", 1),
    ]
    timings = [Timing("routine", 600, 7200), Timing("routine", 1800, None), Timing("routine", 1200, 3600),
               Timing("urgent", 2400, None), Timing("emergency", -5, 60)]   # a clock skew reads as 0
    s = summarize(period, None, groups, timings, checkins=(10, 9))
    assert s.total == 11 and not s.empty
    assert s.by_urgency == [("emergency", 1), ("urgent", 2), ("routine", 4), ("info", 4)]
    assert s.by_category == [("admin", 4), ("water", 4), ("lift", 2), ("medical", 1)]
    assert s.by_grid == [("G2", 7), ("G1", 4)]
    assert s.claim == {"emergency": {"value": 1, "unit": "m"}, "urgent": {"value": 40, "unit": "m"},
                       "routine": {"value": 20, "unit": "m"}}
    assert s.claim_seconds["emergency"] == 0 and s.claimed == {"routine": 3, "urgent": 1, "emergency": 1}
    assert s.resolve == {"emergency": {"value": 1, "unit": "m"}, "routine": {"value": 1.5, "unit": "h"}}
    assert (s.escalated, s.chained) == (3, 7) and s.escalated_share == pytest.approx(3 / 7)
    assert s.rating == 3.3 and s.rated == 3
    assert s.checkin_rate == 0.9


def test_duplicates_are_reports_but_not_in_the_share_passed_on():
    # three residents reported the same burst main (two linked to the first), which was passed on
    groups = [Group("urgent", "water", "G1", 3, escalated=1, duplicates=2), Group("routine", "lift", "G1", 1)]
    s = summarize(periods.parse("7d", NOW, TZ), None, groups, [])
    assert s.total == 4 and s.duplicates == 2
    assert (s.escalated, s.chained) == (1, 2) and s.escalated_share == 0.5


def test_an_empty_period_has_no_shares_to_divide():
    s = summarize(periods.parse("7d", NOW, TZ), ["G1"], [], [])
    assert s.empty and s.escalated_share is None and s.rating is None and s.checkin_rate is None
    assert s.claim == {} and s.by_urgency == []


def test_day_series_has_every_day_and_puts_hours_in_local_days():
    period = periods.parse("7d", NOW, TZ)                      # Tue 24th 00:00 to Mon 30th 15:00
    days = day_series(period, TZ, [(0, "water", 2), (23, "water", 1), (24, "lift", 1), (24 * 6 + 14, "gas", 3)])
    assert [d for d, _ in days] == [date(2026, 11, d) for d in range(24, 31)]
    assert days[0][1] == {"water": 3} and days[1][1] == {"lift": 1} and days[2][1] == {} and days[6][1] == {"gas": 3}


def test_day_series_across_a_daylight_saving_change():
    tz = "Europe/London"                                        # 25 hours on Sunday 25 October 2026
    now = datetime(2026, 10, 27, 12, 0, tzinfo=ZoneInfo(tz)).timestamp()
    period = periods.parse("3d", now, tz)
    # the period starts at 00:00 Sunday, a day of 25 hours (0..24): hour 24 is 23:00 Sunday, 25 is Monday
    days = dict(day_series(period, tz, [(0, "a", 1), (24, "b", 1), (25, "c", 1)]))
    assert days[date(2026, 10, 25)] == {"a": 1, "b": 1} and days[date(2026, 10, 26)] == {"c": 1}


@pytest.mark.parametrize(("text", "names", "kept", "gone"), [
    ("Thank you Zhang Wei! Call me on 13800001111, flat 3-1-502", ["Zhang Wei"], ["Thank you", "Call me on"],
     ["Zhang", "Wei", "138", "502"]),
    ("王秀兰说谢谢，电话 138-0000-1111，5号楼2单元301室", ["王秀兰"], ["说谢谢"],
     ["王秀兰", "1111", "301", "号楼"]),
    ("Li came quickly, thanks Li Ming", ["Li Ming"], ["came quickly"], ["Ming", "Li "]),
    ("+86 10 6512 3456 is my number", [], ["is my number"], ["6512"]),
    ("building 12 room 4, very kind", [], ["very kind"], ["12", "room 4"]),
    ("5 stars, came in 10 minutes", [], ["5 stars, came in 10 minutes"], []),
])
def test_scrub_masks_names_phones_and_flats(text, names, kept, gone):
    out = scrub(text, names)
    assert all(k in out for k in kept), out
    assert not any(g in out for g in gone), out


def test_scrub_of_nothing():
    assert scrub(None) == "" and scrub("  \n ok  ") == "ok"


@pytest.mark.parametrize(("text", "expected"), [
    ("mon 09:00", Weekly(0, 540)), ("Fri 17:30", Weekly(4, 1050)), ("周日 8:05", Weekly(6, 485)),
    ("周一09:00", Weekly(0, 540)), ("off", None), ("", None), ("关闭", None),
    ("monday", False), ("mon 25:00", False), ("09:00", False), ("xyz 09:00", False),
])
def test_parse_weekly(text, expected):
    assert parse_weekly(text) == expected


def test_next_weekly_is_strictly_after_and_keeps_the_wall_clock():
    monday_9 = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo(TZ)).timestamp()
    weekly = Weekly(0, 540)
    assert next_weekly(weekly, monday_9 - 1, TZ) == monday_9
    assert next_weekly(weekly, monday_9, TZ) == monday_9 + 7 * 86400         # not the same instant again
    assert next_weekly(weekly, NOW, TZ) == monday_9 + 7 * 86400
    assert next_weekly(Weekly(2, 540), NOW, TZ) == monday_9 + 2 * 86400
    london = ZoneInfo("Europe/London")                                        # across the clocks going back
    before = datetime(2026, 10, 20, 12, 0, tzinfo=london).timestamp()
    assert datetime.fromtimestamp(next_weekly(weekly, before, "Europe/London"), london) == \
        datetime(2026, 10, 26, 9, 0, tzinfo=london)
    assert parse_weekly("mon 09:00").spec == "mon 09:00"


def test_the_weekly_report_setting_is_checked_at_start_up():
    from bot.config import ConfigError, load_settings

    assert load_settings(telegram_bot_token="1:x", weekly_report_at="周五 17:30").weekly_report_at == "fri 17:30"
    assert load_settings(telegram_bot_token="1:x", weekly_report_at="OFF").weekly_report_at == "off"
    assert load_settings(telegram_bot_token="1:x").weekly_report_at == "mon 09:00"
    with pytest.raises(ConfigError, match="WEEKLY_REPORT_AT .*mon 09:00, or off"):
        load_settings(telegram_bot_token="1:x", weekly_report_at="someday")
