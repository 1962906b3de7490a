"""`frontdesk db copy SQLITE_PATH POSTGRES_URL`: a desk that ran on SQLite goes on in PostgreSQL
with every row, its ids, and new rows numbered after them."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli import main
from bot.clock import FakeClock
from tests.conftest import Frontdesk, fresh_database, staffed_grid

pytestmark = pytest.mark.real_sqlite


async def test_a_desk_copied_into_postgres_keeps_every_row_and_runs_there(emulator, admin, tmp_path, postgres_cluster,
                                                                           capsys):
    path = tmp_path / "desk.db"
    sqlite_desk = Frontdesk(emulator, path, FakeClock())
    await sqlite_desk.start()
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The pipe under my kitchen sink burst and water keeps spraying out")
    await resident.next_message("#1")
    await zhang.next_message("#1")
    await sqlite_desk.drain()
    counts = {t: await sqlite_desk.value(f"SELECT count(*) FROM {t}")
              for t in ("residents", "volunteers", "teams", "tickets", "ticket_events", "outbox", "inbox", "users")}
    await sqlite_desk.stop()
    url = await fresh_database(postgres_cluster, "copied")

    capsys.readouterr()
    assert await asyncio.to_thread(main, ["db", "copy", str(path), url]) == 0   # the CLI runs its own loop
    out = capsys.readouterr().out
    for table, count in counts.items():   # each table's line: the same count on both sides
        assert any(line.split() == [table, str(count), str(count)] for line in out.splitlines()), (table, out)
    assert "MISMATCH" not in out and all(counts.values())

    # into a database that already holds a desk: refused, nothing written twice
    assert await asyncio.to_thread(main, ["db", "copy", str(path), url]) == 1
    assert "already holds a desk" in capsys.readouterr().err

    pg_desk = Frontdesk(emulator, url, sqlite_desk.clock)   # type: ignore[arg-type]
    await pg_desk.start()
    try:
        assert await pg_desk.value("SELECT count(*) FROM tickets") == 1
        resident.send("The lift is stuck between floors and an old man is inside")
        await resident.next_message("#2")             # numbered after the copied ticket
        await zhang.next_message("#2")
        assert await pg_desk.value("SELECT max(id) FROM tickets") == 2
    finally:
        await pg_desk.stop()


def test_the_copy_needs_an_sqlite_path_and_a_postgres_url(capsys):
    assert main(["db", "copy", "postgresql://h/db", "desk.db"]) == 1
    assert "usage" in capsys.readouterr().err
