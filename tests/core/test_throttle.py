"""Pure: one person's flood judged from their counters and a time (bot/core/throttle.py)."""

from __future__ import annotations

from bot.core.throttle import Counters, Policy, admins_told, note, waited  # the module under test

POLICY = Policy()  # 5 messages in 60 s are a burst; 5 tickets an hour
T0 = 1_790_000_000.0


def _send(times: list[float], counters: Counters = Counters(), tickets: int = 0):
    flows = []
    for at in times:
        counters, flow = note(POLICY, counters, at, tickets)
        flows.append(flow)
    return counters, flows


def test_four_messages_in_a_minute_are_a_person_the_fifth_is_a_burst():
    _, flows = _send([T0 + i * 10 for i in range(5)])
    assert [f.burst for f in flows] == [False, False, False, False, True]


def test_the_same_messages_spread_over_more_than_a_minute_are_no_burst():
    _, flows = _send([T0 + i * 16 for i in range(8)])  # 5 messages span 64 s
    assert not any(f.burst for f in flows)


def test_a_burst_is_told_to_wait_once_and_a_later_burst_again():
    counters, flows = _send([T0] * 5)
    assert flows[-1].wait_due
    counters = waited(counters, T0)
    counters, flows = _send([T0 + 1, T0 + 30, T0 + 45], counters)   # the same burst goes on
    assert all(f.burst and not f.wait_due for f in flows)
    counters, flows = _send([T0 + 45 + 301 + i for i in range(5)], counters)  # calm for 5 minutes, then again
    assert [f.burst for f in flows] == [False, False, False, False, True]
    assert flows[-1].wait_due


def test_a_calm_message_after_a_burst_is_no_burst():
    counters, _ = _send([T0] * 8)
    counters, flow = note(POLICY, counters, T0 + 61, 0)
    assert not flow.burst and not flow.wait_due


def test_the_cap_counts_tickets_of_the_last_hour():
    assert not note(POLICY, Counters(), T0, 4)[1].capped
    assert note(POLICY, Counters(), T0, 5)[1].capped
    assert note(Policy(tickets_per_hour=2), Counters(), T0, 2)[1].capped


def test_a_long_burst_is_a_flood_the_admins_hear_of_once_an_hour():
    counters, flows = _send([T0 + i for i in range(25)])
    assert [f.flood for f in flows].index(True) == POLICY.flood_messages - 1
    assert flows[-1].notice_due
    counters = admins_told(counters, T0 + 25)
    counters, flows = _send([T0 + 26, T0 + 1800], counters)
    assert not any(f.notice_due for f in flows)
    assert note(POLICY, counters, T0 + 25 + 3600, 0)[1].notice_due


def test_the_counters_keep_only_what_the_window_needs():
    counters, _ = _send([T0 + i for i in range(100)])
    assert len(counters.recent) == POLICY.burst_messages
    assert counters.burst_since == T0 + 4 and counters.burst_count == 100  # the four that made it count too
