"""One person's flood, judged from their stored counters and a time. Pure: the service loads the
counters from the database, asks here, and stores what comes back, so a restart forgets nothing.

A **burst** is `burst_messages` messages within `burst_seconds` (a person types a problem and a
few words more; a flood sends dozens a minute). While it lasts the messages still count and are
kept, but they open no new ticket and get no answer of their own: the person is told once, at
the first one held back, that everything reached us. A burst ends after `quiet_seconds` without
one; the next burst is told again. Apart from bursts, a person opens at most `tickets_per_hour`
new tickets an hour (the TICKETS_PER_HOUR setting). The admins hear of one person's flood (the
cap reached, or a burst of `flood_messages`) at most once per `notice_seconds`. Emergencies are
never judged here: the caller lets a red flag through before asking.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    burst_messages: int = 5          # this many messages ...
    burst_seconds: float = 60.0      # ... within this many seconds are a burst
    quiet_seconds: float = 300.0     # a burst ends after this long without one
    flood_messages: int = 20         # a burst this long is a flood the admins hear of
    tickets_per_hour: int = 5        # new tickets one person may open in an hour
    notice_seconds: float = 3600.0   # the admins hear of one person's flood at most once in this time


HOUR = 3600.0


@dataclass(frozen=True)
class Counters:
    """One person's counters, as stored (storage/throttle.py)."""

    recent: tuple[float, ...] = ()      # times of their latest messages, oldest first (at most burst_messages)
    burst_since: float | None = None    # when the burst going on (or the last one) began
    burst_last: float | None = None     # the last message that came in a burst
    burst_count: int = 0                # messages in that burst so far
    waited_at: float | None = None      # when they were last told to wait
    flood_told_at: float | None = None  # when the admins last heard of their flood


@dataclass(frozen=True)
class Flow:
    """What one message is, for the throttle."""

    burst: bool        # part of a burst: no new ticket and no answer of its own
    capped: bool       # the person opened tickets_per_hour tickets in the last hour
    wait_due: bool     # in a burst whose person has not been told to wait yet
    flood: bool        # a burst of flood_messages (the admins should hear of it)
    notice_due: bool   # the admins have not heard of this person's flood in notice_seconds


def note(policy: Policy, counters: Counters, now: float, tickets_last_hour: int) -> tuple[Counters, Flow]:
    """One more message at `now`, from a person who opened `tickets_last_hour` tickets in the
    last hour: the counters to store, and what the message is."""
    recent = (counters.recent + (now,))[-policy.burst_messages:]
    burst = len(recent) >= policy.burst_messages and now - recent[0] <= policy.burst_seconds
    since, last, count = counters.burst_since, counters.burst_last, counters.burst_count
    if burst:
        if last is None or now - last > policy.quiet_seconds:  # a new burst: its first messages count
            since, count = now, policy.burst_messages - 1
        last, count = now, count + 1
    stored = dataclasses.replace(counters, recent=recent, burst_since=since, burst_last=last, burst_count=count)
    told = counters.waited_at
    flow = Flow(
        burst=burst,
        capped=tickets_last_hour >= policy.tickets_per_hour,
        wait_due=burst and (told is None or since is None or told < since),
        flood=burst and count >= policy.flood_messages,
        notice_due=counters.flood_told_at is None or now - counters.flood_told_at >= policy.notice_seconds,
    )
    return stored, flow


def waited(counters: Counters, now: float) -> Counters:
    """They were told to wait: not again in this burst."""
    return dataclasses.replace(counters, waited_at=now)


def admins_told(counters: Counters, now: float) -> Counters:
    """The admins heard of this person's flood: not again for notice_seconds."""
    return dataclasses.replace(counters, flood_told_at=now)
