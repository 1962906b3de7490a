"""The pure rule of duplicates: which new request is the same problem as an open one."""

from __future__ import annotations

import pytest

from bot.core import CATEGORIES
from bot.core.duplicates import PERSONAL, SHARED, WINDOW, Report, may_link, original_for, outranks

NOW = 1_000_000.0


def report(id: int = 2, reporter: int = 2, building: str | None = "5", category: str = "water", urgency: str = "urgent",
           status: str = "open", created_at: float = NOW, linked_to: int | None = None) -> Report:
    return Report(id, reporter, building, category, urgency, status, created_at, linked_to)


OLD = report(id=1, reporter=1, created_at=NOW - 3600)


def test_every_category_is_decided_once():
    assert SHARED | PERSONAL == set(CATEGORIES) and not SHARED & PERSONAL


def test_same_building_same_shared_category_within_six_hours_links():
    assert may_link(report(), OLD, NOW)
    assert original_for(report(), [OLD], NOW) == OLD


@pytest.mark.parametrize("category", sorted(SHARED))
def test_a_buildings_problem_links(category):
    assert may_link(report(category=category), report(id=1, reporter=1, category=category, created_at=NOW - 60), NOW)


@pytest.mark.parametrize("category", sorted(PERSONAL))
def test_a_persons_need_never_links(category):
    """Two falls in one building are two people; two frauds two victims."""
    for urgency in ("emergency", "urgent", "routine"):
        old = report(id=1, reporter=1, category=category, urgency=urgency, created_at=NOW - 60)
        assert not may_link(report(category=category, urgency=urgency), old, NOW)


def test_window_is_six_hours():
    assert may_link(report(), report(id=1, reporter=1, created_at=NOW - WINDOW), NOW)
    assert not may_link(report(), report(id=1, reporter=1, created_at=NOW - WINDOW - 1), NOW)
    assert WINDOW == 6 * 3600


def test_another_building_another_category_or_no_building_do_not_link():
    assert not may_link(report(building="6"), OLD, NOW)
    assert not may_link(report(category="power"), OLD, NOW)
    assert not may_link(report(building=None), report(id=1, reporter=1, building=None, created_at=NOW - 60), NOW)


@pytest.mark.parametrize("status,links", [("open", True), ("claimed", True), ("resolved", False), ("closed", False),
                                          ("cancelled", False)])
def test_only_an_original_still_waiting_or_worked_on(status, links):
    """Resolved is not linked to: a new report after "fixed" says it is not."""
    assert may_link(report(), report(id=1, reporter=1, status=status, created_at=NOW - 60), NOW) is links


def test_no_chains_and_not_oneself():
    assert not may_link(report(), report(id=1, reporter=1, linked_to=9, created_at=NOW - 60), NOW)
    assert not may_link(report(reporter=1), OLD, NOW)          # their own words chose a new request
    assert not may_link(OLD, OLD, NOW)


def test_more_urgent_gets_its_own_alert():
    """A routine leak, then "water pouring onto the wires": the emergency is not hidden behind it."""
    routine = report(id=1, reporter=1, urgency="routine", created_at=NOW - 60)
    assert not may_link(report(urgency="emergency"), routine, NOW)
    assert not may_link(report(urgency="urgent"), routine, NOW)
    assert may_link(report(urgency="routine"), report(id=1, reporter=1, urgency="urgent", created_at=NOW - 60), NOW)


def test_an_emergency_links_to_an_open_emergency():
    old = report(id=1, reporter=1, category="gas", urgency="emergency", created_at=NOW - 60)
    assert may_link(report(category="gas", urgency="emergency"), old, NOW)


def test_info_never_links():
    assert not may_link(report(urgency="info"), report(id=1, reporter=1, urgency="info", created_at=NOW - 60), NOW)
    assert not may_link(report(urgency="info"), OLD, NOW)


def test_the_first_reported_is_the_original():
    first = report(id=3, reporter=3, created_at=NOW - 7200)
    second = report(id=4, reporter=4, created_at=NOW - 60)
    assert original_for(report(id=9, reporter=9), [second, first], NOW) == first
    assert original_for(report(id=9, reporter=9, category="medical"), [second, first], NOW) is None
    assert original_for(report(), [], NOW) is None


def test_outranks():
    assert outranks("emergency", "urgent") and not outranks("urgent", "urgent") and not outranks("routine", "urgent")


def test_a_linked_report_closes_with_its_original_only_while_open():
    from bot.core import lifecycle

    assert lifecycle.move("close_with", "open").target == "closed"
    for status in ("claimed", "resolved", "closed", "cancelled"):
        assert not lifecycle.can("close_with", status)
