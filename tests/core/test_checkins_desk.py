"""bot/core/checkins.py, the desk: today's state, the streak, the order by risk, pages, "all well today"."""

from __future__ import annotations

from datetime import date

from bot.core import checkins as c

D = c.DayRow


def test_today_state_is_the_worst_of_today():
    rows = [D("2026-09-22", c.ANSWERED, answered_at=1.0), D("2026-09-22", c.REMINDED), D("2026-09-21", c.TICKET)]
    assert c.today_state(rows, "2026-09-22", away=False) == "reminded"
    assert c.today_state([D("2026-09-22", c.EMERGENCY)], "2026-09-22", False) == "ticket"
    assert c.today_state([D("2026-09-22", c.HELP)], "2026-09-22", False) == "ticket"
    assert c.today_state([D("2026-09-22", c.ASKED)], "2026-09-22", False) == "waiting"
    assert c.today_state([D("2026-09-22", c.LATE)], "2026-09-22", False) == "answered"
    assert c.today_state([D("2026-09-21", c.ANSWERED)], "2026-09-22", False) == "not_due"
    assert c.today_state([], "2026-09-22", away=True) == "away"


def test_streak_counts_answered_days_back_from_the_newest_settled_one():
    rows = [D("2026-09-23", c.WAITING),                       # today, still open: skipped
            D("2026-09-22", c.ANSWERED), D("2026-09-22", c.VISITED),
            D("2026-09-21", c.AWAY),                          # nothing asked: does not break it
            D("2026-09-20", c.LATE, missed=True),             # answered late, but an alarm was raised
            D("2026-09-19", c.ANSWERED)]
    assert c.streak(rows) == 1
    rows[4] = D("2026-09-20", c.ANSWERED)
    assert c.streak(rows) == 3
    assert c.streak([D("2026-09-22", c.HELP), D("2026-09-21", c.ANSWERED)]) == 0
    assert c.streak([]) == 0


def test_standing_and_order_by_risk():
    today, since = "2026-09-22", "2026-08-23"
    old = D("2026-08-01", c.TICKET, missed=True)              # outside the window
    a = c.standing(1, "Ann", "G1", [D(today, c.ANSWERED, answered_at=100.0), old], today, since, False)
    assert (a.today, a.last_answer, a.misses, a.streak) == ("answered", 100.0, 0, 1)
    b = c.standing(2, "Bo", "G2", [D(today, c.TICKET, missed=True)], today, since, False)
    w1 = c.standing(3, "Wu", "G1", [D(today, c.WAITING), D("2026-09-21", c.TICKET, missed=True)], today, since, False)
    w2 = c.standing(4, "Xu", "G1", [D(today, c.WAITING), D("2026-09-21", c.ANSWERED, answered_at=50.0)],
                    today, since, False)
    w3 = c.standing(5, "Yu", "G1", [D(today, c.WAITING)], today, since, False)
    away = c.standing(6, "Zo", "G1", [], today, since, True)
    idle = c.standing(7, "Al", "G1", [], today, since, False)
    assert [s.resident_id for s in c.by_risk([idle, away, a, w2, w3, w1, b])] == [2, 3, 5, 4, 1, 6, 7]


def test_all_well_after_the_last_question_of_the_day():
    plan = c.Plan((540, 1080))
    day = date(2026, 9, 22)  # a Tuesday
    assert c.last_slot_key(plan, day) == "2026-09-22 18:00"
    assert not c.all_well(plan, day, {"2026-09-22 09:00": c.ANSWERED})
    assert c.all_well(plan, day, {"2026-09-22 09:00": c.ANSWERED, "2026-09-22 18:00": c.ANSWERED})
    assert not c.all_well(plan, day, {"2026-09-22 09:00": c.HELP, "2026-09-22 18:00": c.ANSWERED})
    assert not c.all_well(plan, day, {"2026-09-22 09:00": c.ANSWERED, "2026-09-22 18:00": c.WAITING})
    assert c.all_well(plan, day, {"2026-09-22 visit 1790000000": c.VISITED})
    weekdays = c.Plan((540,), frozenset(range(5)))
    assert c.last_slot_key(weekdays, date(2026, 9, 26)) is None   # a Saturday off
