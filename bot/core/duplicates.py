"""Duplicates: is a new request the same problem as one already open in its building?

A building's shared problem (a burst main, no water, a power cut, a broken lift, a dark stairwell,
gas in the stairwell, noise from one source) reported twice needs one volunteer, not two alerts:
the second report is *linked* to the first (bot/services/duplicates.py) and its reporter follows the
first one's news. A person's own need is never a duplicate: two falls in one building are two
people. Pure: a function of the two requests and a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.triage import RANK

WINDOW = 6 * 3600  # seconds: an open request reported longer ago than this is not the same event

# Categories whose problem belongs to the building: one fix ends it for everyone who reported it.
SHARED = frozenset({
    "water",           # no water, a burst main, a leak from the floor above
    "power",           # a power cut, a tripped supply, sparks in the stairwell's box
    "gas",             # gas smell in the stairwell, the supply off
    "heating",         # the radiators of the block are cold
    "lift",            # the lift is broken (or stuck, with someone in it: one rescue)
    "fire",            # one fire, however many people see its smoke
    "infrastructure",  # a dark stairwell, a broken door or railing
    "sanitation",      # the bins, a blocked drain, the smell in the corridor
    "dispute",         # noise from one source (a renovation, a party)
})
# Never linked, whatever the words: each is a person (or one person's money or safety).
#   medical  - two falls, two chest pains: two people who each need someone
#   care     - an elderly person alone, a missed check-in, groceries: one person each
#   security - a theft, a fraud, a missing person, violence: a victim each, and the police by name
#   admin    - questions and thanks: answered, never alerted, so nothing to save
PERSONAL = frozenset({"medical", "care", "security", "admin"})


@dataclass(frozen=True)
class Report:
    """What the rule needs of a request."""

    id: int
    reporter: int            # the reporter's chat
    building: str | None
    category: str
    urgency: str
    status: str              # lifecycle status
    created_at: float
    linked_to: int | None = None


def shared(category: str) -> bool:
    return category in SHARED


def outranks(urgency: str, than: str) -> bool:
    """Is `urgency` worse than `than`?"""
    return RANK.get(urgency, 0) > RANK.get(than, 0)


def may_link(new: Report, old: Report, now: float) -> bool:
    """May `new` be linked to `old` as the same problem?

    - same building (known) and same category, and that category is a building's shared problem;
    - `old` still waits for or has a volunteer (open or claimed), was reported within WINDOW and is
      itself an original (no chains); a *resolved* one is not linked to: a new report after the
      volunteer said "fixed" is news that it is not, and gets its own alert;
    - not `info` (nothing is alerted, so nothing to save: the answer is the point);
    - not the same reporter (their words already chose a new request: "it's a new request");
    - `new` is not more urgent than `old`: "water pouring through the ceiling onto the wires"
      after a routine "water leak" gets its own alert at its own level, with its own address and
      the emergency number, rather than waiting behind a routine ticket. We do not raise the old
      one instead: the worse words may be another flat's problem of the same kind, and a stranger's
      words should not rewrite someone else's request. (As bad or milder: linked; an emergency
      linked to an open emergency still gets the emergency answer, see Duplicates.)
    """
    return (
        new.building is not None and new.building == old.building
        and new.category == old.category and shared(new.category)
        and old.status in ("open", "claimed") and old.linked_to is None and old.id != new.id
        and new.reporter != old.reporter
        and "info" not in (new.urgency, old.urgency)
        and not outranks(new.urgency, old.urgency)
        and now - WINDOW <= old.created_at <= now
    )


def original_for(new: Report, candidates: Iterable[Report], now: float) -> Report | None:
    """The request `new` is a duplicate of: the first reported of those it may be linked to (the
    one volunteers have known longest), or None: a request of its own."""
    fits = [old for old in candidates if may_link(new, old, now)]
    return min(fits, key=lambda old: (old.created_at, old.id)) if fits else None
