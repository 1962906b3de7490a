"""Telegram's flood limits as sliding windows: overall, per private chat, per group.

The overall limit (30 messages a second) is counted where Telegram counts it, when a request
arrives, which we never see: it lies somewhere between our start of the send and its answer. So a
send holds its place in the window from its start until one window after its answer; at most the
limit of sends can be in that state at once, and then no second of arrivals can hold more than the
limit, whatever the network's jitter. The bulk lanes' sends are spread over the window (not all
at once), so a place frees about every thirtieth of a second and an emergency, first in the order,
takes the next one; `reserve` can keep places for emergencies alone. A 429 that says the overall limit was reached after all
pauses the bulk lanes for its retry_after and lowers their share for a while; the emergency lane
is never slowed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class SlidingWindow:
    """At most `limit` events in any `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.events: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more event fits (0 if it fits now)."""
        while self.events and self.events[0] <= now - self.window:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.window - now

    def record(self, now: float) -> None:
        self.events.append(now)


@dataclass(frozen=True)
class Limits:
    overall: tuple[int, float] = (30, 1.0)       # Telegram: about 30 a second, counted as explained above
    private: tuple[int, float] = (3, 3.0)        # one a second per private chat, bursts of three
    group: tuple[int, float] = (20, 60.0)        # twenty a minute per group
    reserve: int = 0                             # places in the overall window only emergencies use
    recover: float = 10.0                        # seconds without an overall 429 before the bulk share grows back


class FloodControl:
    def __init__(self, limits: Limits = Limits(), monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.monotonic = monotonic
        self.overall = SlidingWindow(*limits.overall)   # starts, for the record
        self.chats: dict[int, SlidingWindow] = {}
        self.cooling: dict[int, float] = {}   # chat -> monotonic time a 429 lets it send again
        self._full: set[int] = set()          # chats whose window filled up when they last sent
        self.in_flight = 0                    # sends started and not answered yet
        self.answered: deque[float] = deque()  # when the recent sends were answered
        self.bulk_share = max(1, limits.overall[0] - limits.reserve)
        self.bulk_paused_until = 0.0
        self.last_overall_429 = float("-inf")
        self.overall_429s = 0
        self.last_start = float("-inf")

    def _chat(self, chat_id: int) -> SlidingWindow:
        window = self.chats.get(chat_id)
        if window is None:
            window = SlidingWindow(*(self.limits.group if chat_id < 0 else self.limits.private))
            self.chats[chat_id] = window
        return window

    def chat_wait(self, chat_id: int) -> float:
        now = self.monotonic()
        cooling = max(0.0, self.cooling.get(chat_id, 0.0) - now)
        return max(cooling, self._chat(chat_id).wait(now))

    def overall_wait(self, emergency: bool = False) -> float:
        """Seconds until one more send may start in the emergency lane, or in the others (0 now).
        With every place taken by sends still in flight, the answer is a short poll: the next
        answer frees a place one window later at the earliest."""
        now = self.monotonic()
        _, window = self.limits.overall
        while self.answered and self.answered[0] <= now - window:
            self.answered.popleft()
        limit = self.limits.overall[0] if emergency else self._bulk_limit(now)
        if not emergency and self.bulk_paused_until > now:
            return self.bulk_paused_until - now
        if self.in_flight + len(self.answered) < limit:
            # the bulk lanes' sends spread evenly over the window rather than all at once: each
            # answer comes sooner, so its place is free sooner
            return 0.0 if emergency else max(0.0, self.last_start + window / (self.limits.overall[0] + 5) - now)
        # enough places free up when the oldest answers leave the window
        excess = self.in_flight + len(self.answered) - limit   # this many must leave, plus one
        if excess < len(self.answered):
            return max(0.001, self.answered[excess] + window - now)
        return 0.01

    def _bulk_limit(self, now: float) -> int:
        """The bulk lanes' share: lowered by an overall 429, grown back by one a quiet period."""
        top = max(1, self.limits.overall[0] - self.limits.reserve)
        if self.bulk_share < top and now - self.last_overall_429 >= self.limits.recover:
            self.bulk_share += 1
            self.last_overall_429 = now - self.limits.recover / 2   # the next step after another half period
        return self.bulk_share

    def record(self, chat_id: int) -> None:
        """A send starts (call `answered_now` when its answer, or failure, comes)."""
        now = self.monotonic()
        self.overall.record(now)
        self.last_start = now
        self.in_flight += 1
        window = self._chat(chat_id)
        window.record(now)
        if window.wait(now) > 0:
            self._full.add(chat_id)

    def answered_now(self, sent: bool = True) -> None:
        """A send started with `record` is over; `sent=False`: no request went out after all."""
        self.in_flight = max(0, self.in_flight - 1)
        if sent:
            self.answered.append(self.monotonic())

    def cool_down(self, chat_id: int, seconds: float) -> None:
        self.cooling[chat_id] = self.monotonic() + seconds

    def too_many(self, chat_id: int, seconds: float) -> bool:
        """A 429 for a send to `chat_id`: the chat cools down for `seconds`, as Telegram asks. When
        our own count of the overall window was nearly full as well (four fifths or more), the 429
        is read as the overall limit too: the bulk lanes pause as long and take a smaller share for
        a while (true is returned); the emergency lane does not."""
        self.cool_down(chat_id, seconds)
        now = self.monotonic()
        _, window = self.limits.overall
        while self.answered and self.answered[0] <= now - window:
            self.answered.popleft()
        if (self.in_flight + len(self.answered)) * 5 < self.limits.overall[0] * 4:
            return False
        self.overall_429s += 1
        self.bulk_paused_until = max(self.bulk_paused_until, now + seconds)
        self.bulk_share = max(1, int(self.bulk_share * 0.9))
        self.last_overall_429 = now
        return True

    def waiting_chats(self) -> set[int]:
        """The chats that may not send now: at their own limit, or cooling after a 429. Only a
        send can fill a window, so only the chats that filled theirs are looked at again."""
        now = self.monotonic()
        self._full = {chat for chat in self._full if self.chats[chat].wait(now) > 0}
        self.cooling = {chat: until for chat, until in self.cooling.items() if until > now}
        return self._full | set(self.cooling)
