"""The overall window as Telegram counts it (on arrival, which lies between a send's start and its
answer), the place kept for emergencies, and what a 429 slows down."""

from __future__ import annotations

from bot.core import FloodControl, Limits


def _flood(now: list[float], overall: int = 3, reserve: int = 1) -> FloodControl:
    return FloodControl(Limits(overall=(overall, 1.0), reserve=reserve, recover=10.0), monotonic=lambda: now[0])


def test_a_send_holds_its_place_until_a_window_after_its_answer():
    now = [0.0]
    flood = _flood(now)
    flood.record(1)
    flood.record(2)
    assert flood.overall_wait() > 0                 # the bulk lanes' share (3 - 1 kept) is taken
    assert flood.overall_wait(emergency=True) == 0  # the kept place is the emergency's
    now[0] = 0.5
    flood.answered_now()
    flood.answered_now()
    assert flood.overall_wait() == 1.0              # answered at 0.5: the places free at 1.5
    now[0] = 1.5
    assert flood.overall_wait() == 0


def test_a_send_that_never_went_out_frees_its_place_at_once():
    now = [0.0]
    flood = _flood(now, overall=2)
    flood.record(1)
    assert flood.overall_wait() > 0
    flood.answered_now(sent=False)
    now[0] = 0.2   # past the spacing between two bulk sends (a seventh of a second here)
    assert flood.overall_wait() == 0


def test_an_overall_429_pauses_the_bulk_lanes_never_the_emergency_lane():
    now = [0.0]
    flood = _flood(now, overall=10)
    for chat in range(1, 10):
        flood.record(chat)
    flood.answered_now()
    assert flood.too_many(1, 2.0) is True            # the window was full: the overall limit
    now[0] = 1.5
    assert 0 < flood.overall_wait() <= 0.5           # bulk paused for the 429's two seconds
    assert flood.overall_wait(emergency=True) == 0
    assert flood.bulk_share == 8                     # and a smaller share for a while
    now[0] = 30.0
    flood.overall_wait()
    assert flood.bulk_share == 9                     # quiet long enough: it grows back


def test_a_429_with_room_in_the_window_cools_only_that_chat():
    now = [0.0]
    flood = _flood(now, overall=30)
    flood.record(7)
    flood.answered_now()
    assert flood.too_many(7, 5.0) is False
    assert flood.chat_wait(7) == 5.0 and flood.chat_wait(8) == 0
    now[0] = 0.1   # past the spacing between two bulk sends
    assert flood.overall_wait() == 0


def test_bulk_sends_are_spread_over_the_window_emergencies_are_not():
    now = [0.0]
    flood = _flood(now, overall=30, reserve=0)
    flood.record(1)
    assert 0 < flood.overall_wait() <= 1 / 30
    assert flood.overall_wait(emergency=True) == 0
