"""The escalation chain, pure: default policies, when each step is due, quiet hours, /escalation words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.checkins import Quiet
from bot.core.escalation import (
    DEFAULTS, MAX_DELAY, Change, Policy, Refused, decode, encode, first_due, format_delay, next_due, parse_change, parse_delay
)

TZ = "Asia/Shanghai"
QUIET = Quiet.parse("22:00-07:00")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TZ)).timestamp()


def test_defaults_follow_the_design_table():
    emergency, urgent, routine = DEFAULTS["emergency"], DEFAULTS["urgent"], DEFAULTS["routine"]
    assert [s.audiences for s in emergency.steps] == [("on_duty", "leader"), ("all_grid", "admin_group"),
                                                      ("all_admins",)]
    assert emergency.delays == (120, 300) and emergency.repeat == 300 and not emergency.quiet
    assert [s.audiences for s in urgent.steps] == [("on_duty",), ("leader",), ("admin_group",)]
    assert urgent.delays == (900, 1800) and urgent.repeat == 1800
    assert routine.delays == (4 * 3600, 24 * 3600) and routine.repeat == 24 * 3600 and routine.quiet
    assert DEFAULTS["info"].steps == ()


def test_steps_then_repeats_of_the_last():
    urgent = DEFAULTS["urgent"]
    assert urgent.step(2).audiences == ("leader",)
    assert urgent.step(4).audiences == ("admin_group",) and urgent.step(4).delay == 1800
    assert urgent.step(40).audiences == ("admin_group",)
    assert not DEFAULTS["info"].has(1)


def test_when_each_step_is_due():
    emergency, now = DEFAULTS["emergency"], at("2026-09-21 15:00")
    assert first_due(emergency, now, TZ, QUIET) == now
    assert next_due(emergency, 1, now, TZ, QUIET) == now + 120
    assert next_due(emergency, 2, now, TZ, QUIET) == now + 300
    assert next_due(emergency, 3, now, TZ, QUIET) == now + 300     # the repeat
    assert next_due(emergency, 9, now, TZ, QUIET) == now + 300
    assert next_due(Policy(emergency.steps), 3, now, TZ, QUIET) is None    # no repeat: the chain ends
    assert first_due(DEFAULTS["info"], now, TZ, QUIET) is None


def test_quiet_hours_hold_routine_only():
    night = at("2026-09-21 23:30")
    assert first_due(DEFAULTS["routine"], night, TZ, QUIET) == at("2026-09-22 07:00")
    assert first_due(DEFAULTS["urgent"], night, TZ, QUIET) == night
    assert first_due(DEFAULTS["emergency"], night, TZ, QUIET) == night
    early = at("2026-09-22 03:00")
    assert first_due(DEFAULTS["routine"], early, TZ, QUIET) == at("2026-09-22 07:00")
    # the leader's step of a routine ticket, due at 01:00, waits for the morning too
    assert next_due(DEFAULTS["routine"], 1, at("2026-09-21 21:00"), TZ, QUIET) == at("2026-09-22 07:00")
    assert first_due(DEFAULTS["routine"], night, TZ, None) == night   # no quiet hours set


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("4h", 14400), ("2 m", 120),
                                           ("30分钟", 1800), ("１５ｍ", 900), ("168h", MAX_DELAY)])
def test_delays_read(text, seconds):
    assert parse_delay(text) == seconds


@pytest.mark.parametrize("text, code", [("0m", "zero_delay"), ("0s", "zero_delay"), ("-5m", "bad_delay"),
                                        ("15", "bad_delay"), ("abc", "bad_delay"), ("5d", "bad_delay"),
                                        ("169h", "too_long"), ("87600h", "too_long"), ("1.5h", "bad_delay")])
def test_bad_delays_are_refused_by_name(text, code):
    assert parse_delay(text) == Refused(code, text)


def test_a_change_reads_delays_and_repeat():
    assert parse_change(["urgent", "15m,30m", "repeat", "30m"], DEFAULTS) == Change("urgent", (900, 1800), 1800)
    assert parse_change(["紧急", "1m，3m"], DEFAULTS) == Change("emergency", (60, 180), None)
    assert parse_change(["routine", "2h", "12h"], DEFAULTS) == Change("routine", (7200, 43200), None)
    assert parse_change(["URGENT", "10m,20m", "重复", "1h"], DEFAULTS) == Change("urgent", (600, 1200), 3600)


@pytest.mark.parametrize("args, refused", [
    (["urgent"], Refused("usage")),
    ([], Refused("usage")),
    (["soon", "1m,2m"], Refused("unknown_urgency", "soon")),
    (["info", "1m"], Refused("no_chain", "info")),
    (["urgent", "15m"], Refused("count", "15m", 2)),
    (["urgent", "1m,2m,3m"], Refused("count", "1m,2m,3m", 2)),
    (["urgent", "15m,0m"], Refused("zero_delay", "0m")),
    (["urgent", "15m,87600h"], Refused("too_long", "87600h")),
    (["urgent", "15m,30m", "repeat"], Refused("usage")),
    (["urgent", "15m,30m", "repeat", "0s"], Refused("zero_delay", "0s")),
    (["urgent", "15m,30m", "repeat", "x"], Refused("bad_delay", "x")),
])
def test_bad_changes_are_refused_naming_what_was_wrong(args, refused):
    assert parse_change(args, DEFAULTS) == refused


def test_stored_policies_round_trip_and_a_stale_one_is_ignored():
    changed = DEFAULTS["urgent"].with_delays((600, 1200), 3600)
    assert decode("urgent", encode(changed)) == changed
    assert decode("urgent", None) == DEFAULTS["urgent"]
    assert decode("urgent", '{"delays": [60], "repeat": 60}') == DEFAULTS["urgent"]     # wrong count
    assert decode("urgent", '{"delays": [0, 60], "repeat": 60}') == DEFAULTS["urgent"]  # zero
    assert decode("urgent", "not json") == DEFAULTS["urgent"]
    assert changed.steps[0] == DEFAULTS["urgent"].steps[0] and changed.quiet == DEFAULTS["urgent"].quiet


def test_format_delay():
    assert [format_delay(s) for s in (90, 120, 3600, 86400, 5400)] == ["90s", "2m", "1h", "24h", "90m"]
