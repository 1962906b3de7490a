"""Both engines from one numbered list of migrations: the same tables, the same columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Database
from tests.conftest import fresh_database

pytestmark = pytest.mark.real_sqlite


async def _sqlite_columns(path: Path) -> dict[str, list[str]]:
    db = await Database(str(path)).open()
    try:
        async with db.transaction() as tx:
            tables = [r[0] for r in await tx.all("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {t: sorted(r["name"] for r in await tx.all(f"PRAGMA table_info({t})")) for t in tables}
    finally:
        await db.close()


async def test_migrations_reach_the_same_tables_and_columns_on_both_engines(postgres_cluster, tmp_path):
    db = await Database(await fresh_database(postgres_cluster, "migrations")).open()
    try:
        async with db.transaction() as tx:
            rows = await tx.all("SELECT table_name, column_name FROM information_schema.columns "
                                "WHERE table_schema = current_schema() ORDER BY table_name, column_name")
            versions = [r[0] for r in await tx.all("SELECT version FROM schema_migrations ORDER BY version")]
            kinds = {(r[0], r[1]): r[2] for r in await tx.all(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema()")}
    finally:
        await db.close()
    on_postgres: dict[str, list[str]] = {}
    for row in rows:
        on_postgres.setdefault(row[0], []).append(row[1])
    assert on_postgres == await _sqlite_columns(tmp_path / "desk.db")
    assert versions == sorted(versions) and versions[-1] >= 24
    # Telegram's ids need 64 bits; times are doubles; files are bytes
    assert kinds[("users", "telegram_id")] == kinds[("outbox", "chat_id")] == kinds[("tickets", "id")] == "bigint"
    assert kinds[("tickets", "created_at")] == "double precision"
    assert kinds[("uploads", "data")] == "bytea"


async def test_a_second_open_applies_nothing_and_names_ignore_case(postgres_cluster):
    url = await fresh_database(postgres_cluster, "reopen")
    for _ in range(2):
        db = await Database(url).open()
        await db.close()
    db = await Database(url).open()
    try:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO teams (name, created_at) VALUES (?, ?)", ("North", 1.0))
            cursor = await tx.execute("INSERT INTO teams (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                                      ("NORTH", 2.0))
            assert cursor.rowcount == 0 and cursor.lastrowid is None     # COLLATE NOCASE, as on SQLite
            assert await tx.value("SELECT id FROM teams WHERE name = ?", ("north",)) == 1
            big = 7_000_000_000                                          # past 32 bits, as Telegram's ids are
            await tx.execute("INSERT INTO users (telegram_id, updated_at) VALUES (?, ?)", (big, 1))
            assert await tx.value("SELECT telegram_id FROM users") == big
            assert await tx.value("SELECT sum(telegram_id) FROM users") == big   # an int, as SQLite's sum
    finally:
        await db.close()
