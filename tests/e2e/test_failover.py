"""Failover (issue #16): deploy/Procfile's three webhook workers, real processes on one PostgreSQL
database behind deploy/nginx.conf's nginx (its ports put in for the test), the emulator as Telegram
posting every update to nginx's one address (a 502 is Telegram's retry). Without nginx installed the
emulator plays the proxy (each update POSTed to the workers in turn, a failed POST retried on the
next), and the test says so. 300 residents of 300 buildings write
at once (the burst: 300 tickets, each acknowledged and alerted to its grid's volunteers); a worker
is killed with SIGKILL in the middle. Nothing may be lost: every update taken, every reporter
answered, every alert delivered; a message may reach a chat twice only where its row's outcome was
unknown when its sender died (counted in `outbox.unknown_outcomes`).

PostgreSQL only: on SQLite one process holds the database, and is its own leader."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from bot.clock import SystemClock
from bot.devtools.emulator import Emulator
from tests.conftest import fresh_database, on_postgres
from tests.e2e.workers import NGINX, NO_NGINX, Deployment

pytestmark = [
    pytest.mark.skipif(not on_postgres,
                       reason="several workers share one database: PostgreSQL only (FRONTDESK_TEST_DB=postgres)"),
    pytest.mark.timeout(240),   # about 35 s and 65 s on a 2-core machine: the sender's 30 messages a second
]

REPORTS = 300
RESIDENT = 1_000_000
VOLUNTEER = 2_000_000
TEXTS = ("No power in the whole building, lifts stopped", "整栋楼停电了，电梯也停了",
         "water leaking from the ceiling of the stairwell", "楼道里的水管爆了，到处是水")


async def seed(url: str, tmp: Path, per_grid: int) -> int:
    """300 residents, one per building, four buildings to a grid; `per_grid` volunteers on each
    grid. Migrates the database first (the workers then start on its tables). Returns the number of
    alerts the burst will make (each ticket alerts every volunteer of its grid)."""
    from bot.services import import_residents, import_volunteers
    from storage import Database

    grids = REPORTS // 4
    people = tmp / "residents.csv"
    people.write_text("name,phone,telegram_id,building,unit,room,grid,language\n" + "".join(
        f"R{n},139{n:08d},{RESIDENT + n},{n + 1},1,101,G{n // 4 + 1},{'en' if n % 2 else 'zh'}\n"
        for n in range(REPORTS)), encoding="utf-8")
    crew = tmp / "volunteers.csv"
    crew.write_text("name,phone,telegram_id,team,role,grids,language\n" + "".join(
        f"V{n},137{n:08d},{VOLUNTEER + n},team{n // per_grid + 1},{'member' if n % per_grid else 'leader'},"
        f"G{n // per_grid + 1},zh\n" for n in range(grids * per_grid)), encoding="utf-8")
    db = await Database(url).open()
    try:
        await import_residents(db, people, SystemClock())
        await import_volunteers(db, crew, SystemClock())
    finally:
        await db.close()
    return REPORTS * per_grid


async def query(url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [dict(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def leader(url: str, timeout: float = 15.0) -> dict[str, Any] | None:
    """The sender's epoch, holder (host:pid) and since when, once a worker leads (None in a build
    without the leader, issue #16 part 3)."""
    import asyncpg

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            rows = await query(url, "SELECT epoch, holder, since FROM sender_leader WHERE slot = 1")
        except asyncpg.UndefinedTableError:
            return None
        if rows and rows[0]["holder"]:
            return rows[0]
        if loop.time() > deadline:
            raise AssertionError(f"no worker took the lead in {timeout:.0f} s")
        await asyncio.sleep(0.1)


def sends(emulator: Emulator, since: float = 0.0) -> int:
    return sum(1 for at, method, _ in emulator.calls if method == "sendMessage" and at >= since)


def burst(emulator: Emulator) -> list[Any]:
    """Every resident writes at once (a building-wide outage, the evening it happens)."""
    residents = [emulator.user(RESIDENT + n, f"R{n}", "en" if n % 2 else "zh") for n in range(REPORTS)]
    for n, resident in enumerate(residents):
        resident.send(TEXTS[n % len(TEXTS)])
    return residents


async def nothing_lost(desk: Deployment, url: str, residents: list[Any], alerts: int, timeout: float) -> int:
    """Every update taken and handled once, every reporter answered with their ticket's number, every
    alert delivered, the outbox empty; a chat that heard a text twice had a row of unknown outcome."""
    emulator = desk.emulator
    volunteers = alerts // 4   # four buildings (four tickets) to a grid

    def answered() -> bool:
        return all(any("#" in m.text for m in emulator.chat(r.id)) for r in residents)

    try:
        await emulator.wait_for(answered, timeout, "every reporter's answer")
        await emulator.wait_for(lambda: sum(1 for v in range(volunteers) for m in emulator.chat(VOLUNTEER + v)
                                            if "#" in m.text) >= alerts or None, timeout, "every alert")
    except AssertionError:
        print(desk.stderr())
        raise
    tickets = await query(url, "SELECT id, reporter_chat_id FROM tickets")
    assert len(tickets) == REPORTS and {t["reporter_chat_id"] for t in tickets} == {r.id for r in residents}
    inbox = await query(url, "SELECT count(*) AS n, count(handled_at) AS handled FROM inbox")
    assert inbox[0] == {"n": REPORTS, "handled": REPORTS}
    for deadline in range(100):   # the last sends' marks may trail their delivery by a moment
        left = await query(url, "SELECT id, status, claimed_at FROM outbox WHERE status <> 'sent'")
        if not left:
            break
        await asyncio.sleep(0.1)
    assert left == []
    # each ticket's alert reached each volunteer of its grid, by the ticket's number
    rows = await query(url, "SELECT chat_id, ticket_id FROM outbox WHERE purpose = 'alert'")
    assert len(rows) == alerts
    for row in rows:
        assert any(f"#{row['ticket_id']}" in m.text for m in emulator.chat(row["chat_id"])), row
    unknown = (await query(url, "SELECT coalesce(sum(unknown_outcomes), 0) AS n FROM outbox"))[0]["n"]
    assert emulator.duplicates <= unknown, (emulator.duplicates, unknown)
    for chat in emulator.duplicate_chats:
        assert await query(url, "SELECT id FROM outbox WHERE chat_id = $1 AND unknown_outcomes > 0", chat), chat
    return unknown


@pytest.fixture
async def deployment(pg_cluster, emulator: Emulator, tmp_path: Path, request: pytest.FixtureRequest):
    url = await fresh_database(pg_cluster, f"failover_{request.node.name[5:30]}")
    desks: list[Deployment] = []

    async def start(per_grid: int) -> tuple[Deployment, str, int]:
        alerts = await seed(url, tmp_path, per_grid)
        desk = Deployment(emulator, url, tmp_path, proxy=True)
        desks.append(desk)
        await desk.start()
        return desk, url, alerts

    yield start
    for desk in desks:
        await desk.stop()
    if NGINX is None:   # the test ran, but the proxy was the emulator's: say so in the summary
        request.node.add_report_section("call", "proxy", NO_NGINX)
        import warnings
        warnings.warn(NO_NGINX, stacklevel=1)


def proxy_tried_the_victim(desk: Deployment, emulator: Emulator, victim: Any) -> bool:
    """After the kill, a POST reached the dead worker and went to another (nginx's
    proxy_next_upstream) or back to Telegram as a failure, which it retried."""
    if desk.nginx is None:
        return any(status != 200 for status in emulator.webhook_by_upstream.get(victim.url, []))
    dead = f"127.0.0.1:{victim.port}"
    return any(dead in tried and statuses[tried.index(dead)] != "200" for _, tried, statuses in desk.nginx.requests())


async def test_a_worker_killed_in_the_burst_loses_nothing(deployment, emulator):
    """A worker that is not sending is killed while the burst arrives: the POSTs in its hands fail
    (or time out) and Telegram sends them again, to the next worker."""
    desk, url, alerts = await deployment(per_grid=1)
    t0 = time.monotonic()
    residents = burst(emulator)
    await emulator.wait_for(lambda: sum(1 for _, status in emulator.webhook_log if status == 200) >= REPORTS // 3,
                            30, "a third of the burst taken")
    current = await leader(url)
    assert current is not None, "no sender leader (issue #16 part 3: storage/leader.py)"
    sender = desk.leader_by_pid(current["holder"])
    assert sender is not None, current
    victim = next(w for w in desk.workers if w is not sender)
    victim.kill()
    await nothing_lost(desk, url, residents, alerts, timeout=90)
    assert proxy_tried_the_victim(desk, emulator, victim), "the killed worker was never tried again: the proxy's part did not run"
    if desk.nginx is not None:
        answers = [status for status, _, _ in desk.nginx.requests()]
        print(f"nginx: {len(answers)} POSTs, {sum(1 for a in answers if a != 200)} not 200 (Telegram retried them); "
              f"{sum(1 for _, tried, _ in desk.nginx.requests() if len(tried) > 1)} passed on to the next worker")
    assert time.monotonic() - t0 < 90


async def test_the_leader_killed_in_the_wave_is_replaced_within_10_s_and_nothing_is_lost(deployment, emulator):
    """The sender is killed half-way through a wave of 1,200 alerts (and the burst's answers): a
    new leader sends within 10 s, re-sending only the rows whose outcome was unknown."""
    desk, url, alerts = await deployment(per_grid=4)
    assert alerts >= 1000
    first = await leader(url)
    assert first is not None, "no sender leader (issue #16 part 3: storage/leader.py)"
    sending = desk.leader_by_pid(first["holder"])
    assert sending is not None, first
    residents = burst(emulator)
    await emulator.wait_for(lambda: sends(emulator) >= (alerts + 2 * REPORTS) // 2 or None, 120,
                            "half the wave sent")
    sending.kill()
    killed_at, killed_wall = time.monotonic(), time.time()
    await asyncio.sleep(0.2)
    in_flight = sends(emulator, killed_at)   # answers the dead leader had asked for already
    await emulator.wait_for(lambda: sends(emulator, killed_at) > in_flight or None, 15, "the new leader's first send")
    after = sorted(at for at, method, _ in emulator.calls if method == "sendMessage" and at >= killed_at)
    resumed = after[in_flight]
    took_over = await leader(url)
    assert took_over is not None and took_over["epoch"] > first["epoch"]
    assert desk.leader_by_pid(took_over["holder"]) not in (None, sending)
    unknown = await nothing_lost(desk, url, residents, alerts, timeout=120)
    # within 10 s of the kill (the advisory lock is freed when the dead worker's connection is)
    assert resumed - killed_at < 10.0, resumed - killed_at
    print(f"failover: a new leader took over {took_over['since'] - killed_wall:.2f} s after the kill and sent "
          f"{resumed - killed_at:.2f} s after it; rows of unknown outcome "
          f"{unknown}, chats that heard a text twice {len(emulator.duplicate_chats)} ({emulator.duplicates} copies); "
          f"{sends(emulator)} sends in all")
