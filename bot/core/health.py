"""Is the desk healthy? A pure verdict from the facts storage reads (the oldest due timer of each
kind, the oldest due outbox row, whether the database answered) and a time; and what the
auditor does about overdue timers (warn once per incident, tell when it is over).

One threshold: a timer or an outbox row past its due time by more than a minute. The scheduler
tick runs every minute and the auditor runs at its end, after every service fired what was due,
so anything still due a minute later is stuck (a failing step, a stopped scheduler), not slow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

OVERDUE = 60.0   # seconds past due before a timer or an outbox row counts as overdue


@dataclass(frozen=True)
class Due:
    """The oldest due row of one kind: a timer (escalation, ack_reminder, checkin, checkin_plan)
    or "outbox"; `count` how many of that kind are due."""

    kind: str
    id: int
    due_at: float
    count: int = 1

    def late(self, now: float) -> float:
        return max(0.0, now - self.due_at)


@dataclass(frozen=True)
class Health:
    database: bool
    timer: Due | None = None                    # the oldest due timer, any kind
    outbox: Due | None = None                   # the oldest due outbox row
    due_timers: int = 0                         # timers due now, all kinds
    # the sender (several workers on PostgreSQL): {"worker": host:pid, "epoch", "since",
    # "this_worker"}; None on SQLite, where the one process sends. A follower is healthy too.
    leader: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self, now: float) -> dict[str, Any]:
        """The /healthz body."""
        def due(item: Due | None) -> dict[str, Any] | None:
            if item is None:
                return None
            return {"kind": item.kind, "id": item.id, "due_at": item.due_at,
                    "overdue_seconds": round(item.late(now), 1), "due_count": item.count}

        return {
            "status": "ok" if self.ok else "unhealthy",
            "process": "up",
            "database": "reachable" if self.database else "unreachable",
            "oldest_due_timer": due(self.timer),
            "due_timers": self.due_timers,
            "oldest_due_outbox": due(self.outbox),
            "sender_leader": self.leader,
            "overdue_after_seconds": OVERDUE,
            "problems": self.problems,
        }


def oldest(timers: list[Due]) -> Due | None:
    return min(timers, key=lambda t: (t.due_at, t.kind, t.id)) if timers else None


def assess(database: bool, timers: list[Due], outbox: Due | None, now: float) -> Health:
    """The verdict: unhealthy when the database did not answer, or a timer or an outbox row is
    overdue by more than OVERDUE."""
    if not database:
        return Health(database=False, problems=["database unreachable"])
    timer = oldest(timers)
    problems = []
    if timer is not None and timer.late(now) > OVERDUE:
        problems.append(f"timer overdue: {timer.kind} {timer.id}, {timer.late(now):.0f} s late")
    if outbox is not None and outbox.late(now) > OVERDUE:
        problems.append(f"outbox row overdue: {outbox.id}, {outbox.late(now):.0f} s late")
    return Health(database=True, timer=timer, outbox=outbox, due_timers=sum(t.count for t in timers),
                  problems=problems)


@dataclass(frozen=True)
class Incident:
    """The overdue-timers incident the admins were warned of (kept as a settings row)."""

    since: float
    kind: str
    id: int

    def dump(self) -> str:
        return json.dumps({"since": self.since, "kind": self.kind, "id": self.id})

    @staticmethod
    def load(value: str | None) -> "Incident | None":
        if not value:
            return None
        try:
            data = json.loads(value)
            return Incident(float(data["since"]), str(data["kind"]), int(data["id"]))
        except (ValueError, KeyError, TypeError):
            return Incident(0.0, "unknown", 0)   # unreadable: still an open incident, to be closed


def audit(open_incident: Incident | None, health: Health, now: float) -> str | None:
    """What the auditor does this tick: "warn" (a new incident: timers overdue and nobody was
    warned), "clear" (the warned incident is over), or None (nothing changed). The database
    being unreachable changes nothing here: the auditor could not record it anyway."""
    if not health.database:
        return None
    overdue = health.timer is not None and health.timer.late(now) > OVERDUE
    if overdue and open_incident is None:
        return "warn"
    if not overdue and open_incident is not None:
        return "clear"
    return None
