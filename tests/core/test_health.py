"""The health verdict and the auditor's decision (bot/core/health.py): pure."""

from __future__ import annotations

from bot.core.health import OVERDUE, Due, Incident, assess, audit

NOW = 1_790_000_000.0


def test_nothing_due_is_healthy():
    health = assess(True, [], None, NOW)
    assert health.ok and health.timer is None and health.outbox is None
    body = health.as_json(NOW)
    assert body["status"] == "ok" and body["database"] == "reachable" and body["sender_leader"] is None


def test_the_sender_is_named_and_a_follower_is_healthy():
    from dataclasses import replace

    leader = {"worker": "host-b:4242", "epoch": 3, "since": NOW - 60, "this_worker": False}
    health = replace(assess(True, [], None, NOW), leader=leader)
    assert health.ok and health.as_json(NOW)["sender_leader"] == leader


def test_the_oldest_timer_of_any_kind_is_reported_and_overdue_past_a_minute():
    timers = [Due("ack_reminder", 4, NOW - 30, 2), Due("escalation", 9, NOW - 50), Due("checkin", 3, NOW - 10)]
    health = assess(True, timers, None, NOW)
    assert health.ok and (health.timer.kind, health.timer.id) == ("escalation", 9) and health.due_timers == 4
    late = assess(True, timers, None, NOW + OVERDUE - 50 + 1)
    assert not late.ok and late.problems == ["timer overdue: escalation 9, 61 s late"]
    assert late.as_json(NOW + 11)["oldest_due_timer"] == {
        "kind": "escalation", "id": 9, "due_at": NOW - 50, "overdue_seconds": 61.0, "due_count": 1}


def test_exactly_a_minute_late_is_not_overdue():
    assert assess(True, [Due("escalation", 1, NOW - OVERDUE)], None, NOW).ok
    assert not assess(True, [Due("escalation", 1, NOW - OVERDUE - 0.5)], None, NOW).ok


def test_an_overdue_outbox_row_is_unhealthy():
    health = assess(True, [], Due("outbox", 12, NOW - 61), NOW)
    assert not health.ok and health.problems == ["outbox row overdue: 12, 61 s late"]
    assert health.as_json(NOW)["status"] == "unhealthy"


def test_an_unreachable_database_is_unhealthy_whatever_else():
    health = assess(False, [Due("escalation", 1, NOW)], None, NOW)
    assert not health.ok and health.timer is None
    assert health.as_json(NOW)["database"] == "unreachable" and health.problems == ["database unreachable"]


def test_the_auditor_warns_once_then_clears_once():
    late = assess(True, [Due("escalation", 1, NOW - 120)], None, NOW)
    fine = assess(True, [Due("escalation", 1, NOW - 5)], None, NOW)
    incident = Incident(NOW, "escalation", 1)
    assert audit(None, late, NOW) == "warn"
    assert audit(incident, late, NOW) is None          # the same incident: said once
    assert audit(incident, fine, NOW) == "clear"
    assert audit(None, fine, NOW) is None
    assert audit(incident, assess(False, [], None, NOW), NOW) is None   # nothing to record it in
    # an overdue outbox row alone is /healthz's business, not the timers' auditor's
    assert audit(None, assess(True, [], Due("outbox", 1, NOW - 600), NOW), NOW) is None


def test_the_incident_row_round_trips_and_an_unreadable_one_is_still_open():
    incident = Incident(NOW, "checkin", 7)
    assert Incident.load(incident.dump()) == incident
    assert Incident.load(None) is None
    assert Incident.load("garbage") is not None


def test_the_sender_as_an_admin_reads_it():
    from bot.services.health import leader_line

    assert leader_line(None) is None
    assert leader_line({"worker": "a:1", "epoch": 2, "since": 0.0, "this_worker": True}) == "a:1, epoch 2 (this worker)"
    assert leader_line({"worker": "b:7", "epoch": 5, "since": 0.0, "this_worker": False}) == "b:7, epoch 5"
