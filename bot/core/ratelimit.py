"""Telegram's flood limits as sliding windows: overall, per private chat, per group."""

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
    overall: tuple[int, float] = (25, 1.0)       # Telegram allows about 30 a second: keep a margin for jitter
    private: tuple[int, float] = (3, 3.0)        # one a second per private chat, bursts of three
    group: tuple[int, float] = (20, 60.0)        # twenty a minute per group


class FloodControl:
    def __init__(self, limits: Limits = Limits(), monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.monotonic = monotonic
        self.overall = SlidingWindow(*limits.overall)
        self.chats: dict[int, SlidingWindow] = {}
        self.cooling: dict[int, float] = {}   # chat -> monotonic time a 429 lets it send again
        self._full: set[int] = set()          # chats whose window filled up when they last sent

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

    def overall_wait(self) -> float:
        return self.overall.wait(self.monotonic())

    def record(self, chat_id: int) -> None:
        now = self.monotonic()
        self.overall.record(now)
        window = self._chat(chat_id)
        window.record(now)
        if window.wait(now) > 0:
            self._full.add(chat_id)

    def cool_down(self, chat_id: int, seconds: float) -> None:
        self.cooling[chat_id] = self.monotonic() + seconds

    def waiting_chats(self) -> set[int]:
        """The chats that may not send now: at their own limit, or cooling after a 429. Only a
        send can fill a window, so only the chats that filled theirs are looked at again."""
        now = self.monotonic()
        self._full = {chat for chat in self._full if self.chats[chat].wait(now) > 0}
        self.cooling = {chat: until for chat, until in self.cooling.items() if until > now}
        return self._full | set(self.cooling)
