"""`frontdesk db copy SQLITE_PATH POSTGRES_URL`: a desk's SQLite file into an empty PostgreSQL
database, every table with its ids, then each table's rows counted on both sides.

The source is read in one read transaction: under WAL a running bot goes on writing meanwhile, and
the copy is the desk as it was when the copy began (stop the bot first for a copy that misses
nothing written after). The target is written in one transaction: a copy that fails leaves it
empty, never half a desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.db import Database
from storage.dialect import is_url


# tables the migrations themselves write a row into (007: the phone numbers' conversion is due;
# 025: the sender's epoch, which goes on from the copied desk's)
SEEDED = ("settings", "sender_leader")


class CopyError(Exception):
    """The copy cannot begin (a wrong location, a target that already holds a desk)."""


@dataclass(frozen=True)
class Counted:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def dependency_order(tables: list[str], references: dict[str, set[str]]) -> list[str]:
    """The tables so that each comes after the tables its foreign keys point at (a table that
    points at itself is no obstacle); alphabetical where the order is free."""
    done: list[str] = []
    left = sorted(tables)
    while left:
        ready = [t for t in left if not (references.get(t, set()) - {t}) - set(done)]
        if not ready:
            raise CopyError(f"foreign keys go round in a circle among: {', '.join(left)}")
        done.extend(ready)
        left = [t for t in left if t not in ready]
    return done


def _convert(value: Any, kind: str) -> Any:
    """A value as SQLite stored it, as the PostgreSQL column's type wants it."""
    if value is None:
        return None
    if kind in ("int2", "int4", "int8"):
        return int(value)
    if kind in ("float4", "float8", "numeric"):
        return float(value)
    if kind == "text":
        return value if isinstance(value, str) else str(value)
    if kind == "bytea":
        return value.encode() if isinstance(value, str) else bytes(value)
    return value


async def copy(sqlite_path: str, postgres_url: str) -> list[Counted]:
    if is_url(sqlite_path) or not is_url(postgres_url):
        raise CopyError("usage: frontdesk db copy SQLITE_PATH POSTGRES_URL")
    source = await Database(sqlite_path).open()  # brings an older file up to this version's tables
    try:
        target = await Database(postgres_url).open()
        try:
            return await _copy(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


async def _copy(source: Database, target: Any) -> list[Counted]:
    conn = source._conn  # one read transaction, not the writers' BEGIN IMMEDIATE: the bot may run
    pg = target._conn
    await conn.execute("BEGIN")
    try:
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                "AND name <> 'schema_migrations'") as cursor:
            tables = [row[0] for row in await cursor.fetchall()]
        references: dict[str, set[str]] = {}
        for table in tables:
            async with conn.execute(f"PRAGMA foreign_key_list({table})") as cursor:
                references[table] = {row[2] for row in await cursor.fetchall()}
        order = dependency_order(tables, references)
        async with pg.transaction():
            for table in order:
                if table not in SEEDED and await pg.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                    raise CopyError(f"the PostgreSQL database already holds a desk ({table} has rows): "
                                    "copy into an empty database")
            for table in SEEDED:  # what the migrations wrote is the source's to say
                await pg.execute(f"DELETE FROM {table}")
            counted = []
            for table in order:
                kinds = {row[0]: row[1] for row in await pg.fetch(
                    "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                    "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped", table)}
                async with conn.execute(f"SELECT * FROM {table}") as cursor:
                    columns = [d[0] for d in cursor.description]
                    missing = [c for c in columns if c not in kinds]
                    if missing:
                        raise CopyError(f"{table}: PostgreSQL has no column {', '.join(missing)}")
                    rows = [tuple(_convert(v, kinds[c]) for v, c in zip(row, columns)) for row in await cursor.fetchall()]
                if rows:
                    await pg.copy_records_to_table(table, records=rows, columns=columns)
                copied = await pg.fetchval(f"SELECT count(*) FROM {table}")
                counted.append(Counted(table, len(rows), copied))
            await target.sync_sequences(pg)  # new rows numbered past the copied ids
    finally:
        await conn.execute("ROLLBACK")
    return counted
