"""The ticket state machine: which action moves a ticket from which state to which.

open -> claimed -> resolved -> closed; `release` and `reopen` go back to open, `redo` from
resolved back to the same claimant (both only from resolved: a closed ticket stays closed, so an
old "Not yet" cannot bring it back); `cancel` (the resident) and `close` (the committee, /close) end it from any unfinished state. Pure: the service applies the move with a
compare-and-set on the row, so two racing presses cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN, CLAIMED, RESOLVED, CLOSED, CANCELLED = "open", "claimed", "resolved", "closed", "cancelled"
ACTIVE = (OPEN, CLAIMED, RESOLVED)


@dataclass(frozen=True)
class Move:
    action: str                 # what a person does: the verb on the button
    sources: tuple[str, ...]
    target: str
    event: str                  # what the audit trail says happened


MOVES = {
    move.action: move
    for move in (
        Move("claim", (OPEN,), CLAIMED, "claimed"),
        Move("release", (CLAIMED,), OPEN, "released"),
        Move("resolve", (CLAIMED, OPEN), RESOLVED, "resolved"),
        Move("confirm", (RESOLVED,), CLOSED, "confirmed"),
        Move("reopen", (RESOLVED,), OPEN, "reopened"),
        Move("redo", (RESOLVED,), CLAIMED, "reopened"),   # "not yet": back to the volunteer who did the work
        Move("cancel", ACTIVE, CANCELLED, "cancelled"),
        Move("close", ACTIVE, CLOSED, "closed"),          # the committee closes it (/close N [reason])
        # a duplicate linked to an original (bot/services/duplicates.py) finishes when the original closes
        Move("close_with", (OPEN,), CLOSED, "closed_with"),
    )
}
EVENT_OF = {move.action: move.event for move in MOVES.values()}


class IllegalMove(Exception):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a ticket that is {status}")
        self.action = action
        self.status = status


def move(action: str, status: str) -> Move:
    """The move for `action` from `status`, or IllegalMove."""
    found = MOVES.get(action)
    if found is None or status not in found.sources:
        raise IllegalMove(action, status)
    return found


def can(action: str, status: str) -> bool:
    found = MOVES.get(action)
    return found is not None and status in found.sources
