"""/stats and the weekly report: a period's tickets, grouped and counted in SQL (the indexes of
migration 019), and the schedule of the reports the bot sends by itself. `grids` None: the
whole community; a list: only those grids (a grid leader's)."""

from __future__ import annotations

from typing import Any

from storage.db import Tx, marks

# check-ins whose outcome is known: asked and answered (in time, with a call for help, or late),
# or asked and never answered (the alarm went out); a visit is not a question, "away" was not asked
ANSWERED = ("answered", "help", "late")
UNANSWERED = ("ticket", "emergency")


def _where(start: float, end: float, grids: list[str] | None, alias: str = "") -> tuple[str, list[Any]]:
    prefix = f"{alias}." if alias else ""
    sql = f"{prefix}created_at >= ? AND {prefix}created_at < ?"
    params: list[Any] = [start, end]
    if grids is not None:
        sql += f" AND {prefix}grid IN ({marks(grids)})"
        params += grids
    return sql, params


async def groups(tx: Tx, start: float, end: float, grids: list[str] | None) -> list[dict[str, Any]]:
    """The period's tickets by (urgency, category, grid): how many, how many of them are
    duplicates (linked to an earlier request: never alerted on their own), how many climbed past
    step 1 of the escalation chain, and their ratings (sum and count)."""
    rows = await tx.all(*_groups(start, end, grids))
    return [dict(row) for row in rows]


def _groups(start: float, end: float, grids: list[str] | None) -> tuple[str, list[Any]]:
    where, params = _where(start, end, grids)
    return (f"""SELECT urgency, category, grid, count(*) AS count, count(linked_to) AS duplicates,
                       sum(CASE WHEN escalation_step >= 2 THEN 1 ELSE 0 END) AS escalated,
                       coalesce(sum(rating), 0) AS rating_sum, count(rating) AS rated
                FROM tickets WHERE {where} GROUP BY urgency, category, grid""", params)


async def hours(tx: Tx, start: float, end: float, grids: list[str] | None) -> list[tuple[int, str, int]]:
    """The period's tickets by (hour after `start`, category): the chart's days are made of them."""
    rows = await tx.all(*_hours(start, end, grids))
    return [(int(row[0]), row[1], int(row[2])) for row in rows]


def _hours(start: float, end: float, grids: list[str] | None) -> tuple[str, list[Any]]:
    where, params = _where(start, end, grids)
    return (f"""SELECT CAST((created_at - ?) / 3600 AS INTEGER) AS hour, category, count(*) FROM tickets
                WHERE {where} GROUP BY hour, category""", [start, *params])


async def timings(tx: Tx, start: float, end: float, grids: list[str] | None) -> list[tuple[str, float, float | None]]:
    """(urgency, seconds to claim, seconds to resolve or None) of the period's claimed tickets."""
    rows = await tx.all(*_timings(start, end, grids))
    return [(row[0], float(row[1]), None if row[2] is None else float(row[2])) for row in rows]


def _timings(start: float, end: float, grids: list[str] | None) -> tuple[str, list[Any]]:
    where, params = _where(start, end, grids)
    return (f"""SELECT urgency, claimed_at - created_at, resolved_at - created_at FROM tickets
                WHERE {where} AND claimed_at IS NOT NULL""", params)


_RATED = """SELECT t.id, t.rating, t.rating_comment AS comment, t.reporter_name, r.name AS resident_name,
                   v.name AS volunteer_name
            FROM tickets t LEFT JOIN residents r ON r.id = t.resident_id
            LEFT JOIN volunteers v ON v.id = t.claimed_by"""


async def latest_comments(tx: Tx, start: float, end: float, grids: list[str] | None, limit: int) -> list[dict[str, Any]]:
    """The newest rating comments of the period's tickets, with the names a comment may repeat."""
    rows = await tx.all(*_comments(start, end, grids, limit))
    return [dict(row) for row in rows]


def _comments(start: float, end: float, grids: list[str] | None, limit: int) -> tuple[str, list[Any]]:
    where, params = _where(start, end, grids, "t")
    return (f"""{_RATED} WHERE t.rating_comment IS NOT NULL AND {where} AND trim(t.rating_comment) != ''
                ORDER BY t.created_at DESC LIMIT ?""", [*params, limit])


async def lowest_rated(tx: Tx, start: float, end: float, grids: list[str] | None, limit: int) -> list[dict[str, Any]]:
    """The period's tickets with the fewest stars (newest first among equals), with their comments."""
    rows = await tx.all(*_lowest(start, end, grids, limit))
    return [dict(row) for row in rows]


def _lowest(start: float, end: float, grids: list[str] | None, limit: int) -> tuple[str, list[Any]]:
    where, params = _where(start, end, grids, "t")
    return (f"""{_RATED} WHERE t.rating IS NOT NULL AND {where} ORDER BY t.rating, t.created_at DESC LIMIT ?""",
            [*params, limit])


async def top_volunteers(tx: Tx, start: float, end: float, grids: list[str] | None, limit: int) -> list[dict[str, Any]]:
    """Who holds the most of the period's tickets (claimed, whatever became of them)."""
    rows = await tx.all(*_top(start, end, grids, limit))
    return [dict(row) for row in rows]


def _top(start: float, end: float, grids: list[str] | None, limit: int) -> tuple[str, list[Any]]:
    where, params = _where(start, end, grids, "t")
    return (f"""SELECT v.name, count(*) AS count FROM tickets t JOIN volunteers v ON v.id = t.claimed_by
                WHERE {where} AND t.claimed_by IS NOT NULL GROUP BY t.claimed_by, v.name ORDER BY count DESC, v.name LIMIT ?""",
            [*params, limit])


async def checkins(tx: Tx, start: float, end: float, grids: list[str] | None) -> tuple[int, int]:
    """(check-ins asked whose outcome is known, of them answered) with their time in the period."""
    row = await tx.one(*_checkins(start, end, grids))
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _checkins(start: float, end: float, grids: list[str] | None) -> tuple[str, list[Any]]:
    # `+c.state`: read by when they were due (checkins_due), not by state, which nearly all share
    states = ANSWERED + UNANSWERED
    sql = f"""SELECT count(*), coalesce(sum(CASE WHEN c.state IN ({marks(ANSWERED)}) THEN 1 ELSE 0 END), 0) FROM checkins c
              WHERE c.due_at >= ? AND c.due_at < ? AND +c.state IN ({marks(states)})"""
    params: list[Any] = [*ANSWERED, start, end, *states]
    if grids is not None:
        sql += f" AND c.resident_id IN (SELECT id FROM residents WHERE grid IN ({marks(grids)}))"
        params += grids
    return sql, params


async def known_grids(tx: Tx) -> list[str]:
    """Every grid a team covers, a building is in, or a ticket was for."""
    rows = await tx.all("""SELECT grid FROM team_grids UNION SELECT grid FROM buildings WHERE grid IS NOT NULL
                           UNION SELECT DISTINCT grid FROM tickets ORDER BY 1""")
    return [row[0] for row in rows]


# -- the schedule -------------------------------------------------------------------------------

async def schedule(tx: Tx, name: str) -> dict[str, Any] | None:
    row = await tx.one("SELECT name, spec, next_due_at, last_sent_at FROM report_schedule WHERE name = ?", (name,))
    return dict(row) if row else None


async def plan(tx: Tx, name: str, spec: str, next_due_at: float) -> None:
    """Set (or set again, for a changed setting) when the report is next due."""
    await tx.execute(
        """INSERT INTO report_schedule (name, spec, next_due_at) VALUES (?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, next_due_at = excluded.next_due_at""",
        (name, spec, next_due_at))


async def take_due(tx: Tx, name: str, due_at: float, next_due_at: float, now: float) -> bool:
    """Compare-and-set: this report, due at `due_at`, is ours to send, and is next due at
    `next_due_at`; False when another tick (or a process before a restart) took it first."""
    cursor = await tx.execute(
        "UPDATE report_schedule SET next_due_at = ?, last_sent_at = ? WHERE name = ? AND next_due_at = ?",
        (next_due_at, now, name, due_at))
    return cursor.rowcount == 1


# -- a history to measure (bench/run.py, tests) ---------------------------------------------------

SEED_COLUMNS = ("status", "urgency", "category", "lang", "text", "grid", "reporter_chat_id", "reporter_name",
                "claimed_by", "claimed_at", "resolved_at", "rating", "rating_comment", "escalation_step",
                "created_at", "updated_at")


async def seed_tickets(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Tickets written as they are, without the flows that make them: a benchmark's 100,000, a
    test's history of last month. Never called by the bot."""
    await tx.executemany(
        f"INSERT INTO tickets ({', '.join(SEED_COLUMNS)}) VALUES ({marks(SEED_COLUMNS)})",
        [[row.get(column) for column in SEED_COLUMNS] for row in rows])


async def query_plans(tx: Tx, start: float, end: float, grids: list[str] | None) -> dict[str, str]:
    """How SQLite answers each query of a summary and a weekly report (EXPLAIN QUERY PLAN, joined):
    the benchmark and the tests check that they read an index, never the whole table."""
    queries = {"groups": _groups(start, end, grids), "hours": _hours(start, end, grids),
               "timings": _timings(start, end, grids), "comments": _comments(start, end, grids, 3),
               "lowest": _lowest(start, end, grids, 3), "top": _top(start, end, grids, 5),
               "checkins": _checkins(start, end, grids)}
    plans = {}
    for name, (sql, args) in queries.items():
        rows = await tx.all(f"EXPLAIN QUERY PLAN {sql}", args)
        plans[name] = "; ".join(str(row["detail"]) for row in rows)
    return plans
