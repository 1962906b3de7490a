"""Who is on duty (bot/core/roster.py): shifts across midnight and the week end, overrides,
swaps, the next change, the gaps; in Asia/Shanghai (no DST) and Europe/London (DST)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.roster import (
    Cover, Member, Off, Roster, Shift, Swap, gaps, next_change, not_off, on_duty, parse_days, parse_span, parse_time,
    starting, until, wall, who,
)

SH, LDN = "Asia/Shanghai", "Europe/London"
ALL = frozenset(range(7))
WEEKDAYS = frozenset(range(5))


def at(tz: str, y: int, mo: int, d: int, h: int, mi: int = 0, fold: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz), fold=fold).timestamp()


def member(vid: int, team: str = "north", role: str = "member", tg: int | None = 0) -> Member:
    return Member(vid, 1000 + vid if tg == 0 else tg, f"v{vid}", "zh", role, team)


ZHANG, LI, WANG = member(1), member(2), member(3)
SOUTH = member(4, "south")
TEAM = [ZHANG, LI, WANG]


def ids(people) -> list[int]:
    return sorted(m.volunteer_id for m in people)


def day_shift(vols=(1,), days=WEEKDAYS, sid=1) -> Shift:
    return Shift(sid, "north", frozenset(days), 8 * 60, 20 * 60, frozenset(vols))


def night_shift(vols=(2,), days=WEEKDAYS, sid=2) -> Shift:
    return Shift(sid, "north", frozenset(days), 20 * 60, 8 * 60, frozenset(vols))


# 2026-09-21 is a Monday.

def test_a_team_without_shifts_is_on_duty_always():
    roster = Roster(shifts=(day_shift(),), tz=SH)
    night = at(SH, 2026, 9, 21, 3)
    # north has a shift: only its volunteers in shift hours; south has none: always
    assert ids(who(TEAM + [SOUTH], roster, "G1", night)) == [4]
    assert ids(who(TEAM, Roster(tz=SH), "G1", night)) == [1, 2, 3]
    assert ids(who(TEAM, None, "G1", night)) == [1, 2, 3]


def test_day_shift_bounds():
    roster = Roster(shifts=(day_shift(),), tz=SH)
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 7, 59))) == []
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 8))) == [1]
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 19, 59))) == [1]
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 20))) == []
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 26, 12))) == []   # Saturday: not a day of it


def test_overnight_belongs_to_its_start_day():
    roster = Roster(shifts=(night_shift(days={4}),), tz=SH)   # Friday 20:00 - Saturday 08:00
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 25, 23))) == [2]
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 26, 7, 59))) == [2]   # Saturday morning: Friday's
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 26, 8))) == []
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 25, 7))) == []        # Friday morning: Thursday's, none


def test_the_week_end_sunday_night_to_monday_morning():
    roster = Roster(shifts=(night_shift(days={6}),), tz=SH)   # Sunday 20:00 - Monday 08:00
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 27, 21))) == [2]      # Sunday night
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 28, 7))) == [2]       # Monday 07:00
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 28, 8))) == []
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 7))) == [2]       # the week before too


def test_off_wins_and_on_ends_it():
    roster = Roster(shifts=(day_shift((1, 3)),), off=(Off(1, at(SH, 2026, 9, 21, 9), at(SH, 2026, 9, 21, 11)),), tz=SH)
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 10))) == [3]
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 11))) == [1, 3]
    open_ended = Roster(shifts=(), off=(Off(2, at(SH, 2026, 9, 21, 9)),), tz=SH)   # /duty off with no end
    assert ids(who(TEAM, open_ended, "G1", at(SH, 2030, 1, 1, 0))) == [1, 3]    # off even without rosters


def test_not_off_keeps_everyone_but_who_is_off_shift_or_not():
    leader = member(3, role="leader")
    roster = Roster(shifts=(day_shift((1,)),), off=(Off(3, at(SH, 2026, 9, 21, 9), at(SH, 2026, 9, 21, 11)),), tz=SH)
    assert ids(not_off([ZHANG, LI, leader], roster, at(SH, 2026, 9, 21, 10))) == [1, 2]   # Li: no shift, not off
    assert ids(not_off([ZHANG, LI, leader], roster, at(SH, 2026, 9, 21, 11))) == [1, 2, 3]
    assert ids(not_off(TEAM, None, at(SH, 2026, 9, 21, 10))) == [1, 2, 3]


def test_cover_puts_someone_on_outside_any_shift_and_only_for_that_grid():
    stranger = member(9, "east")
    cover = Cover("G1", stranger, at(SH, 2026, 9, 21, 22), at(SH, 2026, 9, 22, 2))
    roster = Roster(shifts=(day_shift(),), covers=(cover,), tz=SH)
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 23))) == [9]
    assert ids(who(TEAM, roster, "G2", at(SH, 2026, 9, 21, 23))) == []
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 22, 2))) == []
    # ... but a volunteer who is off is never on duty, cover or not
    off = Roster(shifts=roster.shifts, covers=(cover,), off=(Off(9, 0.0),), tz=SH)
    assert ids(who(TEAM, off, "G1", at(SH, 2026, 9, 21, 23))) == []


def test_swap_is_for_that_one_occurrence():
    swap = Swap(1, date(2026, 9, 22), giver=1, taker=3)
    roster = Roster(shifts=(day_shift(),), swaps=(swap,), tz=SH)
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 22, 9))) == [3]
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 21, 9))) == [1]
    assert ids(who(TEAM, roster, "G1", at(SH, 2026, 9, 23, 9))) == [1]
    night = Roster(shifts=(night_shift(days={6}),), swaps=(Swap(2, date(2026, 9, 27), 2, 3),), tz=SH)
    assert ids(who(TEAM, night, "G1", at(SH, 2026, 9, 28, 7))) == [3]         # Monday morning of Sunday's


def test_on_duty_keeps_its_old_meaning_and_filters_the_unreachable():
    silent = member(5, tg=None)
    roster = Roster(shifts=(day_shift((1, 5)),), tz=SH)
    assert ids(on_duty(TEAM + [silent], at(SH, 2026, 9, 21, 9), roster=roster)) == [1]
    assert ids(who(TEAM + [silent], roster, "G1", at(SH, 2026, 9, 21, 9))) == [1, 5]
    assert ids(on_duty(TEAM, at(SH, 2026, 9, 21, 9), exclude=[1], roster=roster)) == []


def test_next_change_for_oncall():
    roster = Roster(shifts=(day_shift((1,)), night_shift((2,))), tz=SH)
    now = at(SH, 2026, 9, 21, 10)
    when, people = next_change(TEAM, roster, "G1", now)
    assert when == at(SH, 2026, 9, 21, 20) and ids(people) == [2]
    # Friday night's shift runs to Saturday 08:00, then nobody until Monday 08:00
    when, people = next_change(TEAM, roster, "G1", at(SH, 2026, 9, 26, 1))
    assert when == at(SH, 2026, 9, 26, 8) and people == []
    assert next_change(TEAM, None, "G1", now) is None


def test_gaps_over_the_next_24h():
    roster = Roster(shifts=(day_shift((1,), ALL),), tz=SH)
    start = at(SH, 2026, 9, 21, 20)
    assert gaps(TEAM, roster, "G1", start, start + 86400) == [(start, at(SH, 2026, 9, 22, 8))]
    covered = Roster(shifts=(day_shift((1,), ALL), night_shift((2,), ALL)), tz=SH)
    assert gaps(TEAM, covered, "G1", start, start + 86400) == []
    assert gaps([], covered, "G9", start, start + 86400) == [(start, start + 86400)]   # nobody at all
    off = Roster(shifts=covered.shifts, off=(Off(2, at(SH, 2026, 9, 22, 1), at(SH, 2026, 9, 22, 3)),), tz=SH)
    assert gaps(TEAM, off, "G1", start, start + 86400) == [(at(SH, 2026, 9, 22, 1), at(SH, 2026, 9, 22, 3))]


def test_a_shift_nobody_can_be_reached_on_is_a_gap():
    silent = member(5, tg=None)
    roster = Roster(shifts=(day_shift((5,), days=ALL),), tz=SH)
    start = at(SH, 2026, 9, 21, 0)
    assert gaps([silent], roster, "G1", start, start + 86400) == [(start, start + 86400)]


def test_shift_starts_in_an_interval():
    shifts = (day_shift((1,)), night_shift((2,)))
    found = starting(shifts, at(SH, 2026, 9, 21, 7, 59), at(SH, 2026, 9, 21, 8, 1), SH)
    assert [(o.shift.id, o.day) for o in found] == [(1, date(2026, 9, 21))]
    assert starting(shifts, at(SH, 2026, 9, 21, 8), at(SH, 2026, 9, 21, 9), SH) == []   # started before
    swapped = starting(shifts, at(SH, 2026, 9, 21, 19), at(SH, 2026, 9, 21, 21), SH,
                       (Swap(2, date(2026, 9, 21), 2, 3),))
    assert [sorted(o.volunteers) for o in swapped] == [[3]]


# -- a DST zone: Europe/London, 2026-03-29 (spring: 01:00 -> 02:00) and 2026-10-25 (autumn: 02:00 -> 01:00)

def test_london_spring_change_night_shift_is_an_hour_shorter():
    roster = Roster(shifts=(night_shift((2,), ALL),), tz=LDN)
    start, end = wall(date(2026, 3, 28), 20 * 60, LDN), wall(date(2026, 3, 29), 8 * 60, LDN)
    assert end - start == 11 * 3600
    assert ids(who(TEAM, roster, "G1", at(LDN, 2026, 3, 29, 7, 59))) == [2]
    assert ids(who(TEAM, roster, "G1", at(LDN, 2026, 3, 29, 8))) == []


def test_london_autumn_change_night_shift_is_an_hour_longer_and_holds_through_the_repeat():
    roster = Roster(shifts=(night_shift((2,), ALL),), tz=LDN)
    start, end = wall(date(2026, 10, 24), 20 * 60, LDN), wall(date(2026, 10, 25), 8 * 60, LDN)
    assert end - start == 13 * 3600
    assert ids(who(TEAM, roster, "G1", at(LDN, 2026, 10, 25, 1, 30, fold=0))) == [2]
    assert ids(who(TEAM, roster, "G1", at(LDN, 2026, 10, 25, 1, 30, fold=1))) == [2]


def test_london_a_shift_that_starts_in_the_skipped_hour_starts_when_the_clock_jumps():
    shift = Shift(7, "north", ALL, 1 * 60 + 30, 6 * 60, frozenset({1}))
    roster = Roster(shifts=(shift,), tz=LDN)
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=ZoneInfo("UTC")).timestamp()   # 01:00 GMT = 02:00 BST
    assert wall(date(2026, 3, 29), 90, LDN) == jump
    assert ids(who(TEAM, roster, "G1", jump - 1)) == []
    assert ids(who(TEAM, roster, "G1", jump)) == [1]
    # ends of shifts that end in the repeated hour of autumn: the first 01:30
    end = Shift(8, "north", ALL, 22 * 60, 90, frozenset({1}))
    autumn = Roster(shifts=(end,), tz=LDN)
    assert ids(who(TEAM, autumn, "G1", at(LDN, 2026, 10, 25, 1, 29, fold=0))) == [1]
    assert ids(who(TEAM, autumn, "G1", at(LDN, 2026, 10, 25, 1, 10, fold=1))) == []   # not again in the repeat


def test_london_gaps_and_next_on_the_change_days():
    roster = Roster(shifts=(day_shift((1,), ALL),), tz=LDN)
    start = at(LDN, 2026, 10, 24, 20)
    assert gaps(TEAM, roster, "G1", start, start + 86400) == [(start, at(LDN, 2026, 10, 25, 8))]
    assert at(LDN, 2026, 10, 25, 8) - start == 13 * 3600
    when, people = next_change(TEAM, roster, "G1", at(LDN, 2026, 3, 28, 21))
    assert when == at(LDN, 2026, 3, 29, 8) and ids(people) == [1]


# -- words -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, days", [
    ("mon-sun", set(range(7))), ("mon-fri", set(range(5))), ("mon,wed,fri", {0, 2, 4}), ("daily", set(range(7))),
    ("周一-周五", set(range(5))), ("周一,周三", {0, 2}), ("周一至周日", set(range(7))), ("fri-mon", {4, 5, 6, 0}),
    ("每天", set(range(7))), ("Sat", {5}), ("周末", {5, 6}),
])
def test_parse_days(text, days):
    assert parse_days(text) == frozenset(days)


@pytest.mark.parametrize("text", ["", "mon-funday", "moon", "周八", "1-5x", "mon,,xyz"])
def test_parse_days_refuses(text):
    assert parse_days(text) is None


def test_parse_span_and_time():
    assert parse_span("08:00-20:00") == (480, 1200)
    assert parse_span("20:00-08:00") == (1200, 480)
    assert parse_span("20:00-24:00") == (1200, 0)
    assert parse_span("08:00-08:00") == "same"
    assert parse_span("25:00-08:00") is None
    assert parse_span("8-20") is None
    assert parse_time("7:05") == 425 and parse_time("7:60") is None


def test_until():
    now = at(SH, 2026, 9, 21, 10)
    assert until("2h", now, SH) == now + 7200
    assert until("18:00", now, SH) == at(SH, 2026, 9, 21, 18)
    assert until("09:00", now, SH) == at(SH, 2026, 9, 22, 9)      # already past today: tomorrow
    assert until("0h", now, SH) is None and until("soon", now, SH) is None


def test_minutes_between_is_a_superset_or_nothing():
    from bot.core.roster import minutes_between
    assert minutes_between(at(SH, 2026, 9, 21, 7, 59) + 30, at(SH, 2026, 9, 21, 8) + 30, SH) == {479, 480}
    assert minutes_between(at(SH, 2026, 9, 21, 23, 59), at(SH, 2026, 9, 22, 0, 1), SH) == {1439, 0, 1}
    assert minutes_between(at(SH, 2026, 9, 21, 7), at(SH, 2026, 9, 21, 9), SH) is None          # over an hour
    assert minutes_between(at(LDN, 2026, 3, 29, 0, 50), at(LDN, 2026, 3, 29, 2, 10), LDN) is None  # DST change


def test_the_coverage_report_time_setting():
    from bot.config import ConfigError, load_settings
    assert load_settings(telegram_bot_token="1:x", coverage_report_at="7:30").coverage_report_at == "07:30"
    with pytest.raises(ConfigError, match="COVERAGE_REPORT_AT"):
        load_settings(telegram_bot_token="1:x", coverage_report_at="25:00")
