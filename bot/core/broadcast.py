"""Announcements (/broadcast): pure rules. What the admin typed (the audience word and the text,
its lines kept), whether it fits Telegram's limits as Telegram counts them, and the progress of a
broadcast being sent (counts, and the time left at the recent rate)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Send under a preview older than this is refused: "明天停水" written yesterday is wrong today,
# and a preview scrolled back to is easily taken for the one just made
PREVIEW_SECONDS = 3 * 3600
TEXT_LIMIT = 4096      # a message, in UTF-16 code units of the text it shows
CAPTION_LIMIT = 1024   # a photo's caption
ALL = frozenset({"all", "everyone", "全部", "所有", "所有人", "全体", "大家"})
_WORD = re.compile(r"(\S+)\s*(.*)", re.S)   # \s: a full-width space too
_COMMAND = re.compile(r"^\s*/broadcast(?:@\w+)?(?=\s|$)", re.IGNORECASE)


def parse(raw: str | None) -> tuple[str | None, str]:
    """'/broadcast G1 Water off\\ntomorrow' -> ('G1', 'Water off\\ntomorrow'): the first word names
    the audience, the rest is the text with its own line breaks (not the split words a command
    handler gets). No audience word: (None, '')."""
    rest = _COMMAND.sub("", raw or "", count=1).lstrip()
    if not rest:
        return None, ""
    found = _WORD.match(rest)
    assert found is not None
    return found[1], found[2].strip()


def is_all(word: str) -> bool:
    return unicodedata.normalize("NFKC", word).strip().lower() in ALL


def utf16(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Progress:
    sent: int
    unreachable: int
    failed: int
    left: int
    stopped: int = 0      # people Stop kept it from (cancelled in the outbox, or not queued yet)

    @property
    def done(self) -> int:
        return self.sent + self.unreachable + self.failed


def progress(counts: dict[str, int], total: int, skipped: int, stopped: bool = False) -> Progress:
    """A broadcast's counts from its outbox rows by status: `skipped` recipients were known to be
    unreachable and never queued; `total` is the audience when Send was pressed (people who
    registered since are counted as they are queued)."""
    sent = counts.get("sent", 0)
    unreachable = counts.get("unreachable", 0) + skipped
    failed = counts.get("failed", 0) + (0 if stopped else counts.get("cancelled", 0))
    done = sent + unreachable + failed
    left = max(total - done, counts.get("pending", 0))
    if stopped:   # everyone not reached: cancelled in the outbox, or never queued
        return Progress(sent, unreachable, failed, 0, left)
    return Progress(sent, unreachable, failed, left)


def seconds_left(samples: Sequence[tuple[float, int]], left: int, span: float = 20.0) -> float | None:
    """The time left at the recent rate: `samples` are (seconds, messages done so far), oldest
    first; the rate is taken over the last `span` seconds. None until there is a rate to go by."""
    if left <= 0:
        return 0.0
    if len(samples) < 2:
        return None
    end_time, end_done = samples[-1]
    start_time, start_done = next(((t, d) for t, d in samples if t >= end_time - span), samples[0])
    if end_time <= start_time or end_done <= start_done:
        return None
    return left / ((end_done - start_done) / (end_time - start_time))


def minutes_and_seconds(seconds: float) -> tuple[int, int]:
    whole = max(0, round(seconds))
    return whole // 60, whole % 60
