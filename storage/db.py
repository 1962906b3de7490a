"""The SQLite connection: WAL, foreign keys, busy timeout, numbered migrations.

One connection per process. Every unit of work runs inside `transaction()`,
which serialises coroutines on an asyncio lock so that one coroutine's
statements never land inside another's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from typing import Any

import aiosqlite

Row = aiosqlite.Row


def set_clause(values: dict[str, Any]) -> tuple[str, list[Any]]:
    """The SET list of an UPDATE ("a = ?, b = ?") and its parameters. Column names come from the
    repositories' own field lists, never from what a person typed."""
    return ", ".join(f"{column} = ?" for column in values), list(values.values())


def marks(items: Iterable[Any]) -> str:
    """"?, ?, ?": one placeholder per item, for IN (...) and VALUES (...)."""
    return ", ".join("?" for _ in items)


class Tx:
    """A thin handle on an open transaction, handed to repository functions."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> aiosqlite.Cursor:
        return await self.conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self.conn.executemany(sql, rows)

    async def one(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Row | None:
        async with self.conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def all(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[Row]:
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def value(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Any:
        row = await self.one(sql, params)
        return None if row is None else row[0]


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> "Database":
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        self._conn = conn
        await self._migrate()
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        assert self._conn is not None, "Database.open() first"
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _migrate(self) -> None:
        """Apply storage/migrations/NNN_*.sql in order, each once."""
        assert self._conn is not None
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        async with self._conn.execute("SELECT version FROM schema_migrations") as cursor:
            done = {row[0] for row in await cursor.fetchall()}
        scripts = sorted(
            (int(entry.name.split("_", 1)[0]), entry)
            for entry in resources.files("storage.migrations").iterdir()
            if entry.name.endswith(".sql")
        )
        for version, entry in scripts:
            if version in done:
                continue
            script = entry.read_text(encoding="utf-8")
            await self._conn.executescript(
                f"BEGIN;\n{script}\nINSERT INTO schema_migrations VALUES ({version}, '{entry.name}');\nCOMMIT;"
            )
