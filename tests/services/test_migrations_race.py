"""Finding 14: two processes opening a new database at once failed with "table settings already
exists": the migration runner read the applied versions outside its write transaction."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from storage import Database

ROUNDS = 8
MIGRATIONS = Path(__file__).resolve().parents[2] / "storage" / "migrations"  # each round is a fresh file; the old runner lost at least one of them every time we tried


def _expected() -> list[int]:
    return sorted(int(script.name.split("_", 1)[0]) for script in MIGRATIONS.glob("*.sql"))


async def _versions(path: Path) -> list[int]:
    db = await Database(str(path)).open()
    try:
        async with db.transaction() as tx:
            return [row[0] for row in await tx.all("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await db.close()


async def test_two_connections_opening_a_new_database_at_once_both_succeed(tmp_path: Path):
    expected = _expected()
    for n in range(ROUNDS):
        path = tmp_path / f"new-{n}.db"
        first, second = Database(str(path)), Database(str(path))
        # each aiosqlite connection runs in its own thread: the two runners really overlap
        results = await asyncio.gather(first.open(), second.open(), return_exceptions=True)
        for db in (first, second):
            await db.close()
        assert [r for r in results if isinstance(r, BaseException)] == [], f"round {n}"
        assert await _versions(path) == expected  # each migration applied once


def test_two_processes_opening_a_new_database_at_once_both_succeed(tmp_path: Path):
    path = tmp_path / "new.db"
    start = tmp_path / "go"
    script = textwrap.dedent(f"""
        import asyncio, os, time
        from storage import Database
        while not os.path.exists({str(start)!r}):   # both wait at the line, then open together
            time.sleep(0.005)
        async def main():
            db = await Database({str(path)!r}).open()
            await db.close()
        asyncio.run(main())
    """)
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=root, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    start.touch()
    errors = [p.communicate(timeout=30)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert asyncio.run(_versions(path)) == _expected()
