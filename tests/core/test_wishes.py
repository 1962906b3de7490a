"""Micro-wishes: the state machine, who may make each move, and what a wish's words may be."""

from __future__ import annotations

import pytest

from bot.core import wishes as w

ADMIN = w.Actor(is_admin=True)
OWNER = w.Actor(is_owner=True)
ADOPTER = w.Actor(is_adopter=True, is_volunteer=True)
VOLUNTEER = w.Actor(is_volunteer=True)
STRANGER = w.Actor()


def walk(*steps: tuple[str, w.Actor]) -> str:
    """Make the moves from a new wish in order; the state reached (each move must be allowed)."""
    status = w.PENDING
    for action, actor in steps:
        assert w.check(action, status, actor) is None, (action, status)
        status = w.MOVES[action].target
    return status


def test_the_whole_life_of_a_wish() -> None:
    assert walk(("approve", ADMIN), ("adopt", VOLUNTEER), ("fulfil", ADOPTER), ("confirm", OWNER)) == w.CONFIRMED


def test_given_back_it_can_be_adopted_again_and_not_yet_returns_it_to_the_adopter() -> None:
    assert walk(("approve", ADMIN), ("adopt", VOLUNTEER), ("give_back", ADOPTER), ("adopt", VOLUNTEER),
                ("fulfil", ADOPTER), ("not_yet", OWNER), ("fulfil", ADOPTER)) == w.FULFILLED


@pytest.mark.parametrize("status", [w.PENDING, w.APPROVED, w.ADOPTED])
def test_the_resident_may_withdraw_until_it_is_fulfilled(status: str) -> None:
    assert w.check("withdraw", status, OWNER) is None
    assert w.MOVES["withdraw"].target == w.WITHDRAWN


@pytest.mark.parametrize("status", [w.FULFILLED, w.CONFIRMED, w.DECLINED, w.WITHDRAWN])
def test_too_late_to_withdraw(status: str) -> None:
    assert w.check("withdraw", status, OWNER) == "stale"


def test_only_admins_decide() -> None:
    for actor in (OWNER, VOLUNTEER, ADOPTER, STRANGER):
        assert w.check("approve", w.PENDING, actor) == "not_allowed"
        assert w.check("decline", w.PENDING, actor) == "not_allowed"
    assert w.check("approve", w.PENDING, ADMIN) is None
    assert w.check("decline", w.APPROVED, ADMIN) is None       # approved, nobody adopted it yet
    assert w.check("decline", w.ADOPTED, ADMIN) == "stale"      # somebody is on it


def test_who_may_adopt() -> None:
    assert w.check("adopt", w.APPROVED, VOLUNTEER) is None
    assert w.check("adopt", w.APPROVED, ADMIN) is None           # an admin records a local unit
    assert w.check("adopt", w.APPROVED, STRANGER) == "not_allowed"   # a resident is no volunteer
    # a volunteer never adopts their own wish
    assert w.check("adopt", w.APPROVED, w.Actor(is_volunteer=True, is_owner=True)) == "not_allowed"
    assert w.check("adopt", w.PENDING, VOLUNTEER) == "stale"     # not approved yet
    assert w.check("adopt", w.ADOPTED, VOLUNTEER) == "stale"     # somebody was quicker


def test_only_the_adopter_or_an_admin_fulfils_or_gives_back() -> None:
    for action in ("fulfil", "give_back"):
        assert w.check(action, w.ADOPTED, ADOPTER) is None
        assert w.check(action, w.ADOPTED, ADMIN) is None
        assert w.check(action, w.ADOPTED, VOLUNTEER) == "not_allowed"
        assert w.check(action, w.ADOPTED, OWNER) == "not_allowed"


def test_only_the_owner_confirms() -> None:
    assert w.check("confirm", w.FULFILLED, OWNER) is None
    for actor in (ADMIN, ADOPTER, VOLUNTEER, STRANGER):
        assert w.check("confirm", w.FULFILLED, actor) == "not_allowed"
    assert w.check("confirm", w.ADOPTED, OWNER) == "stale"


def test_ends_are_ends() -> None:
    for end in (w.CONFIRMED, w.DECLINED, w.WITHDRAWN):
        for action in w.MOVES:
            allowed = w.Actor(is_admin=True, is_owner=action != "adopt", is_adopter=True, is_volunteer=True)
            assert w.check(action, end, allowed) == "stale", (action, end)


def test_an_unknown_move_is_refused() -> None:
    assert w.check("teleport", w.PENDING, ADMIN) == "not_allowed"


def test_every_state_is_reachable_and_every_move_leads_to_a_state() -> None:
    targets = {move.target for move in w.MOVES.values()} | {w.PENDING}
    assert targets == set(w.STATES)
    for move in w.MOVES.values():
        assert set(move.sources) <= set(w.STATES)


def test_the_words_of_a_wish() -> None:
    assert w.problem_with("") == "empty"
    assert w.problem_with("   \n ") == "empty"
    assert w.problem_with("a winter coat") is None
    assert w.problem_with("x" * w.MAX_TEXT) is None
    assert w.problem_with("x" * (w.MAX_TEXT + 1)) == "too_long"
    assert w.clean("  a   warm\ncoat ") == "a warm coat"


def test_urgent_words_are_a_report_not_a_wish() -> None:
    assert w.is_a_report("emergency", False)
    assert w.is_a_report("urgent", False)
    assert w.is_a_report("routine", True)        # danger words the engine cannot place: a person reads it now
    assert not w.is_a_report("routine", False)
    assert not w.is_a_report("info", False)


def test_the_limit_of_open_wishes() -> None:
    assert not w.over_limit(2, 3)
    assert w.over_limit(3, 3)
