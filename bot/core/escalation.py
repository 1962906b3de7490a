"""The escalation chain, pure: a policy per urgency (whom each step alerts, how long after the
previous one it fires while nobody has claimed the ticket, and the repeat interval after the last
step), the admins' `/escalation` words, and when the next step is due (quiet hours included).

Steps are numbered from 1. Step 1 fires when the chain starts (release, "Not yet" and a raised
urgency start it again); a step past the last one is a repeat of the last step's audience, every
`repeat` seconds until claimed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace

from bot.core.checkins import Quiet, out_of_quiet

AUDIENCES = ("on_duty", "leader", "all_grid", "admin_group", "all_admins")
ADMIN_AUDIENCES = frozenset({"admin_group", "all_admins"})
URGENCIES = ("emergency", "urgent", "routine", "info")
MAX_DELAY = 7 * 24 * 3600  # a longer wait is a typo (10 years), not a policy
MINUTE, HOUR = 60, 3600


@dataclass(frozen=True)
class Step:
    audiences: tuple[str, ...]
    delay: int  # seconds after the previous step (step 1: 0, it goes when the chain starts)


@dataclass(frozen=True)
class Policy:
    steps: tuple[Step, ...]
    repeat: int | None = None        # seconds between repeats of the last step; None: never
    quiet: bool = False              # held while quiet hours last (routine)

    @property
    def delays(self) -> tuple[int, ...]:
        """The delays an admin can change: those of the steps after the first."""
        return tuple(step.delay for step in self.steps[1:])

    def step(self, number: int) -> Step:
        """Step `number` (from 1); past the last, the repeat of the last step."""
        if number <= len(self.steps):
            return self.steps[number - 1]
        return Step(self.steps[-1].audiences, self.repeat or 0)

    def has(self, number: int) -> bool:
        return bool(self.steps) and (number <= len(self.steps) or self.repeat is not None)

    def with_delays(self, delays: tuple[int, ...], repeat: int | None) -> "Policy":
        steps = (self.steps[0],) + tuple(replace(s, delay=d) for s, d in zip(self.steps[1:], delays))
        return replace(self, steps=steps, repeat=self.repeat if repeat is None else repeat)


DEFAULTS: dict[str, Policy] = {
    # the table in DESIGN.md ("Escalation")
    "emergency": Policy((Step(("on_duty", "leader"), 0), Step(("all_grid", "admin_group"), 2 * MINUTE),
                         Step(("all_admins",), 5 * MINUTE)), repeat=5 * MINUTE),
    "urgent": Policy((Step(("on_duty",), 0), Step(("leader",), 15 * MINUTE), Step(("admin_group",), 30 * MINUTE)),
                     repeat=30 * MINUTE),
    "routine": Policy((Step(("on_duty",), 0), Step(("leader",), 4 * HOUR), Step(("admin_group",), 24 * HOUR)),
                      repeat=24 * HOUR, quiet=True),
    "info": Policy(()),  # logged and answered from templates; nobody is alerted
}


# -- when ---------------------------------------------------------------------------------------

def first_due(policy: Policy, now: float, tz: str, quiet: Quiet | None) -> float | None:
    """When step 1 goes: now, or (a policy held in quiet hours) when they end; None: no chain."""
    if not policy.steps:
        return None
    return out_of_quiet(now, tz, quiet) if policy.quiet else now


def next_due(policy: Policy, fired: int, fired_at: float, tz: str, quiet: Quiet | None) -> float | None:
    """When the step after step `fired` (fired at `fired_at`) is due; None when the chain ends."""
    following = fired + 1
    if not policy.has(following):
        return None
    due = fired_at + policy.step(following).delay
    return out_of_quiet(due, tz, quiet) if policy.quiet else due


def is_escalation(policy: Policy, number: int) -> bool:
    """A step of the chain proper, not a repeat of the last one."""
    return number <= len(policy.steps)


# -- the admins' words --------------------------------------------------------------------------

URGENCY_WORDS = {
    "emergency": ("emergency", "紧急", "特急", "急救"),
    "urgent": ("urgent", "加急", "较急", "急"),
    "routine": ("routine", "一般", "普通", "日常"),
    "info": ("info", "information", "咨询", "信息"),
}
REPEAT_WORDS = ("repeat", "every", "重复", "每隔")
_URGENCY_OF = {word: urgency for urgency, words in URGENCY_WORDS.items() for word in words}
_DELAY = re.compile(r"(\d{1,9})\s*(s|sec|secs|m|min|mins|h|hr|hrs|秒|分|分钟|小时|时)?")
_UNIT = {"s": 1, "sec": 1, "secs": 1, "秒": 1, "m": 60, "min": 60, "mins": 60, "分": 60, "分钟": 60,
         "h": 3600, "hr": 3600, "hrs": 3600, "小时": 3600, "时": 3600}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


@dataclass(frozen=True)
class Refused:
    """Why an `/escalation` change was refused: a code the templates name, and the words at fault."""

    code: str          # usage | unknown_urgency | no_chain | bad_delay | zero_delay | too_long | count
    value: str = ""
    expected: int = 0  # for count: how many delays the urgency takes


@dataclass(frozen=True)
class Change:
    urgency: str
    delays: tuple[int, ...]
    repeat: int | None  # None: keep the repeat as it is


def parse_urgency(word: str) -> str | None:
    return _URGENCY_OF.get(_fold(word))


def parse_delay(text: str) -> int | Refused:
    """`90s`, `15m`, `4h` (or 秒, 分钟, 小时) -> seconds. A bare number (which unit?), zero,
    negative, over seven days or anything else is refused, naming the words."""
    folded = _fold(text)
    if folded.startswith("-"):
        return Refused("bad_delay", text)
    found = _DELAY.fullmatch(folded)
    if not found or not found[2]:
        return Refused("bad_delay", text)
    seconds = int(found[1]) * _UNIT[found[2]]
    if seconds <= 0:
        return Refused("zero_delay", text)
    if seconds > MAX_DELAY:
        return Refused("too_long", text)
    return seconds


def parse_change(args: list[str], policies: dict[str, Policy]) -> Change | Refused:
    """`URGENCY DELAY,DELAY,… [repeat DELAY]`: the new delays of the steps after the first
    (as many as the urgency has), and optionally the repeat interval."""
    if len(args) < 2:
        return Refused("usage")
    urgency = parse_urgency(args[0])
    if urgency is None:
        return Refused("unknown_urgency", args[0])
    policy = policies[urgency]
    if len(policy.steps) < 2:
        return Refused("no_chain", args[0])
    words = [_fold(w) for w in args[1:]]
    at = next((i for i, w in enumerate(words) if w in REPEAT_WORDS), None)
    delay_words, repeat_words = (args[1:], []) if at is None else (args[1:1 + at], args[2 + at:])
    if at is not None and len(repeat_words) != 1:
        return Refused("usage")
    parts = [p for p in re.split(r"[,，、;；]", " ".join(delay_words).replace(" ", ",")) if p.strip()]
    if not parts:
        return Refused("usage")
    delays: list[int] = []
    for part in parts:
        parsed = parse_delay(part)
        if isinstance(parsed, Refused):
            return parsed
        delays.append(parsed)
    if len(delays) != len(policy.steps) - 1:
        return Refused("count", ",".join(parts), len(policy.steps) - 1)
    repeat = None
    if repeat_words:
        parsed = parse_delay(repeat_words[0])
        if isinstance(parsed, Refused):
            return parsed
        repeat = parsed
    return Change(urgency, tuple(delays), repeat)


# -- stored as a setting ------------------------------------------------------------------------

def encode(policy: Policy) -> str:
    return json.dumps({"delays": list(policy.delays), "repeat": policy.repeat})


def decode(urgency: str, stored: str | None) -> Policy:
    """The default policy with the admins' delays; a stored value that no longer fits (the
    default gained a step) is ignored rather than guessed at."""
    default = DEFAULTS[urgency]
    if not stored:
        return default
    try:
        data = json.loads(stored)
        delays = tuple(int(d) for d in data["delays"])
        repeat = data.get("repeat")
    except (ValueError, KeyError, TypeError):
        return default
    if len(delays) != len(default.delays) or any(not 0 < d <= MAX_DELAY for d in delays):
        return default
    if repeat is not None and not 0 < int(repeat) <= MAX_DELAY:
        return default
    return default.with_delays(delays, None if repeat is None else int(repeat))


def format_delay(seconds: int) -> str:
    if seconds % HOUR == 0:
        return f"{seconds // HOUR}h"
    if seconds % MINUTE == 0:
        return f"{seconds // MINUTE}m"
    return f"{seconds}s"
