"""Micro-wishes (微心愿): a resident's small wish (a wheelchair repaired, a winter coat, a ride to the
hospital) that the committee approves and a volunteer or a local unit adopts. Pure: the state
machine, who may make each move, what a wish's text may be, and when words are not a wish at all.

    pending --approve--> approved --adopt--> adopted --fulfil--> fulfilled --confirm--> confirmed
       |                  |  ^                 |  |                  |
       +--decline---------+  +---give_back-----+  |                  +--not_yet--> adopted
       +--withdraw (the resident, until fulfilled)-+

A move names the states it may start from; the database applies it as a compare-and-set on the
status (storage/wishes.py `change`), so of two volunteers pressing Adopt at once exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass

PENDING, APPROVED, ADOPTED, FULFILLED, CONFIRMED = "pending", "approved", "adopted", "fulfilled", "confirmed"
DECLINED, WITHDRAWN = "declined", "withdrawn"
STATES = (PENDING, APPROVED, ADOPTED, FULFILLED, CONFIRMED, DECLINED, WITHDRAWN)
# still waiting for someone to act: these count against a resident's limit
OPEN = (PENDING, APPROVED, ADOPTED)
# what an admin's /wishes shows (a fulfilled one still waits for the resident's word)
DESK = (PENDING, APPROVED, ADOPTED, FULFILLED)

MAX_TEXT = 500       # characters: a wish is a sentence or two, not a letter
MAX_REASON = 300     # an admin's reason for declining
MAX_THANKS = 300     # the resident's thank-you words
MAX_UNIT = 60        # the name of a local unit (a shop, a company) that adopts

# who may make a move
ADMIN, OWNER, ADOPTER, VOLUNTEER = "admin", "owner", "adopter", "volunteer"


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str
    who: str


MOVES: dict[str, Move] = {
    "approve": Move((PENDING,), APPROVED, ADMIN),
    "decline": Move((PENDING, APPROVED), DECLINED, ADMIN),   # approved, but nobody adopted it yet
    "adopt": Move((APPROVED,), ADOPTED, VOLUNTEER),
    "give_back": Move((ADOPTED,), APPROVED, ADOPTER),
    "fulfil": Move((ADOPTED,), FULFILLED, ADOPTER),
    "confirm": Move((FULFILLED,), CONFIRMED, OWNER),
    "not_yet": Move((FULFILLED,), ADOPTED, OWNER),
    "withdraw": Move(OPEN, WITHDRAWN, OWNER),
}


@dataclass(frozen=True)
class Actor:
    """Who is pressing, as far as one wish is concerned."""

    is_admin: bool = False
    is_owner: bool = False        # the resident whose wish it is
    is_adopter: bool = False      # the volunteer who adopted it
    is_volunteer: bool = False    # an active volunteer


def may(action: str, actor: Actor) -> bool:
    """Whether this person may make this move at all (whatever the wish's state)."""
    who = MOVES[action].who
    if who == ADMIN:
        return actor.is_admin
    if who == OWNER:
        return actor.is_owner
    if who == ADOPTER:
        return actor.is_adopter or actor.is_admin   # an admin records a unit's progress
    # adopt: a volunteer (or an admin, for themselves or a local unit); never one's own wish
    return (actor.is_volunteer or actor.is_admin) and not actor.is_owner


def check(action: str, status: str, actor: Actor) -> str | None:
    """Why this move cannot be made now: "not_allowed" (not theirs to make) or "stale" (the wish is
    no longer where the move starts); None when it can."""
    if action not in MOVES:
        return "not_allowed"
    if not may(action, actor):
        return "not_allowed"
    if status not in MOVES[action].sources:
        return "stale"
    return None


def problem_with(text: str, most: int = MAX_TEXT) -> str | None:
    """What is wrong with a wish's words: "empty", "too_long"; None when they will do."""
    words = " ".join(text.split())
    if not words:
        return "empty"
    if len(words) > most:
        return "too_long"
    return None


def clean(text: str) -> str:
    """A wish as stored: its words on one line, spaces collapsed."""
    return " ".join(text.split())


def is_a_report(urgency: str, unsure: bool) -> bool:
    """Words the triage engine reads as urgent or an emergency (or as danger it cannot place) are
    not a wish: they become a request, alerted at once, so nothing urgent waits for a committee's
    approval."""
    return urgency in ("emergency", "urgent") or unsure


def over_limit(open_wishes: int, most: int) -> bool:
    """A resident with `most` wishes still open may not add another until one is done."""
    return open_wishes >= most
