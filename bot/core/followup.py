"""After the claim: when a claimed ticket without a word from its claimant reminds them, and when
it goes back to the pool. Pure: the urgency, the delays and a time in; the timer out.

The timer has two stages. From a claim (or any word from the claimant: on my way, words relayed
to the resident) the claimant is reminded after the urgency's delay ("Still on #N?"); after the
same delay again without a word, the ticket goes back to the other volunteers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REMIND, RELEASE = 0, 1          # the stages: what fires when the timer is due

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
DEFAULT_DELAYS: dict[str, float] = {"emergency": 5 * MINUTE, "urgent": HOUR, "routine": DAY}
URGENCIES = tuple(DEFAULT_DELAYS)                # info tickets follow routine
UNITS = {"s": 1.0, "m": MINUTE, "h": HOUR, "d": DAY}
SHORTEST, LONGEST = MINUTE, 7 * DAY              # the scheduler ticks every minute; a week is forgotten
_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Timer:
    due_at: float
    stage: int


def delay(urgency: str, delays: dict[str, float] | None = None) -> float:
    """How long a claimant may be silent on a ticket of this urgency (info: as routine)."""
    delays = delays or DEFAULT_DELAYS
    return delays.get(urgency, delays.get("routine", DEFAULT_DELAYS["routine"]))


def start(urgency: str, now: float, delays: dict[str, float] | None = None) -> Timer:
    """A claim or a word from the claimant: the reminder is due one delay from now."""
    return Timer(now + delay(urgency, delays), REMIND)


def after_reminder(urgency: str, now: float, delays: dict[str, float] | None = None) -> Timer:
    """The reminder went: the ticket goes back to the pool one delay later, unless the claimant answers."""
    return Timer(now + delay(urgency, delays), RELEASE)


def due(due_at: float | None, stage: int, now: float) -> str | None:
    """What fires now: "remind", "release", or None (not yet, or no timer)."""
    if due_at is None or now < due_at:
        return None
    return "remind" if stage == REMIND else "release"


def parse_delay(text: str) -> float:
    """"5m" -> 300.0: a number and a unit (s, m, h, d), from a minute to a week."""
    found = _DELAY.match(text)
    if not found:
        raise ValueError(f"{text.strip()!r} is not a delay: a number and a unit s, m, h or d, e.g. 5m, 1h, 1d")
    seconds = float(found.group(1)) * UNITS[found.group(2).lower()]
    if not SHORTEST <= seconds <= LONGEST:
        raise ValueError(f"{text.strip()!r} is out of range: from 1m to 7d")
    return seconds


def parse_delays(text: str) -> dict[str, float]:
    """"emergency=5m,urgent=1h,routine=1d" -> delays by urgency; an urgency left out keeps its default."""
    delays = dict(DEFAULT_DELAYS)
    seen: set[str] = set()
    for part in (p for p in text.replace(";", ",").split(",") if p.strip()):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in URGENCIES:
            raise ValueError(f"{part.strip()!r}: expected urgency=delay with urgency one of "
                             f"{', '.join(URGENCIES)}, e.g. emergency=5m,urgent=1h,routine=1d")
        if name in seen:
            raise ValueError(f"{name} is given twice")
        seen.add(name)
        delays[name] = parse_delay(value)
    return delays
