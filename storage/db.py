"""The database connection: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, numbered migrations.

`FRONTDESK_DB` is a file path (SQLite) or a `postgresql://` URL (storage/postgres.py; the
differences of SQL are in storage/dialect.py). One connection per process. Every unit of work runs
inside `transaction()`, which serialises coroutines on an asyncio lock so that one coroutine's
statements never land inside another's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import aiosqlite

from storage.dialect import SQLite, is_url

log = logging.getLogger(__name__)

Row = aiosqlite.Row
BUSY_TIMEOUT_MS = 5000


def set_clause(values: dict[str, Any]) -> tuple[str, list[Any]]:
    """The SET list of an UPDATE ("a = ?, b = ?") and its parameters. Column names come from the
    repositories' own field lists, never from what a person typed."""
    return ", ".join(f"{column} = ?" for column in values), list(values.values())


def marks(items: Iterable[Any]) -> str:
    """"?, ?, ?": one placeholder per item, for IN (...) and VALUES (...)."""
    return ", ".join("?" for _ in items)


class Tx:
    """A thin handle on an open transaction, handed to repository functions. `execute` answers an
    object with `lastrowid` and `rowcount` (on PostgreSQL too: storage/postgres.py's `PgTx`)."""

    dialect = SQLite()

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


class SenderLock:
    """Held by the one process of an SQLite file from the start. PostgreSQL's is an advisory lock
    on a connection of its own (storage/postgres.py `PgSenderLock`)."""

    async def try_acquire(self) -> bool:
        return True

    async def alive(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class _Unit:
    """An open `Database.unit()`: the task that owns it, while it is open."""

    def __init__(self, task: asyncio.Task[Any] | None) -> None:
        self.task = task
        self.open = True
        self.after: list[Callable[[], Awaitable[Any]]] = []  # run once committed, outside the lock


_UNIT: ContextVar[_Unit | None] = ContextVar("frontdesk_unit", default=None)
_SAVEPOINTS = itertools.count(1)


class Database:
    """`Database(location)`: an SQLite file, or PostgreSQL when `location` is a postgresql:// URL."""

    engine = "sqlite"

    def __new__(cls, location: str) -> "Database":
        if cls is Database and is_url(location):
            from storage.postgres import PgDatabase  # the driver is an optional extra
            return super().__new__(PgDatabase)
        return super().__new__(cls)

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: Any = None
        self._lock = asyncio.Lock()

    def _tx(self) -> Tx:
        return Tx(self._conn)

    async def _begin(self) -> None:
        await self._conn.execute("BEGIN IMMEDIATE")

    async def open(self) -> "Database":
        keep_private(self.path)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            # the busy timeout first: a second process opening a new file at the same moment
            # waits for the first one's migrations instead of failing
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await _wal(conn)
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            self._conn = conn
            await self._migrate()
        except BaseException:
            self._conn = None
            await conn.close()  # its thread would otherwise keep the process alive
            raise
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def broken(self) -> bool:
        """The connection is gone for good (PostgreSQL: the server or the network closed it)."""
        return False

    def sender_lock(self) -> "SenderLock":
        """The lock that makes one worker the sender (bot/delivery/leader.py). SQLite has one
        process (bot/instance.py): it always holds it."""
        return SenderLock()

    @contextlib.asynccontextmanager
    async def unit(self) -> AsyncIterator[Tx]:
        """One transaction around everything inside it (the handling of one update, so that the
        update is marked handled together with all it wrote, or not at all). Transactions the same
        task opens inside become savepoints of it: a service's failure still undoes only its own
        work. Other tasks (the outbox, the tick) wait for the unit as for any transaction."""
        assert self._conn is not None, "Database.open() first"
        unit = _Unit(asyncio.current_task())
        async with self._lock:
            await self._begin()
            token = _UNIT.set(unit)
            try:
                yield self._tx()
            except BaseException:
                unit.open = False
                with contextlib.suppress(Exception):
                    await self._conn.execute("ROLLBACK")
                raise
            else:
                unit.open = False
                await self._conn.execute("COMMIT")
            finally:
                unit.open = False
                _UNIT.reset(token)
        for callback in unit.after:  # committed, and the database free for the others again
            try:
                await callback()
            except Exception:  # noqa: BLE001 - a toast that fails must not undo what was committed
                log.warning("after the commit: %r failed", callback, exc_info=True)

    async def after_commit(self, callback: Callable[[], Awaitable[Any]]) -> None:
        """Run `callback` once the unit this task is in has committed, outside the database's lock
        (a network call, such as answering a button press, must not hold the database for its
        round trip); never if the unit is undone. Outside a unit: at once."""
        unit = _UNIT.get()
        if unit is not None and unit.open and unit.task is asyncio.current_task():
            unit.after.append(callback)
        else:
            await callback()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        assert self._conn is not None, "Database.open() first"
        unit = _UNIT.get()
        # inside a unit, by its own task (not one it spawned, which would outlive it): a savepoint
        if unit is not None and unit.open and unit.task is asyncio.current_task():
            name = f"sp{next(_SAVEPOINTS)}"
            await self._conn.execute(f"SAVEPOINT {name}")
            try:
                yield self._tx()
            except BaseException:
                await self._conn.execute(f"ROLLBACK TO {name}")
                await self._conn.execute(f"RELEASE {name}")
                raise
            await self._conn.execute(f"RELEASE {name}")
            return
        async with self._lock:
            await self._begin()
            try:
                yield self._tx()
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _migrate(self) -> None:
        """Apply storage/migrations/NNN_*.sql in order, each once. The write lock is taken before
        the applied versions are read, so two processes opening a new file at once cannot both
        apply the same script: the second waits, then finds nothing left to do."""
        assert self._conn is not None
        conn = self._conn
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
            )
            async with conn.execute("SELECT version FROM schema_migrations") as cursor:
                done = {row[0] for row in await cursor.fetchall()}
            for version, entry in migrations():
                if version in done:
                    continue
                for statement in statements(entry.read_text(encoding="utf-8")):
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, entry.name))
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


def keep_private(path: str) -> None:
    """Residents' phones and addresses are in this file: readable by the bot's own user only.
    A new file is created 0600 before SQLite opens it (SQLite gives the -wal and -shm files the
    mode of the database file); files an older version left open to everyone lose those bits."""
    if path == ":memory:" or path.startswith("file:"):
        return
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))  # an existing file keeps its mode here
    for each in (path, path + "-wal", path + "-shm"):
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(each).st_mode)
            if mode & 0o007:
                os.chmod(each, mode & ~0o007)
                log.warning("%s was open to every user of this machine (%o): now %o", each, mode, mode & ~0o007)


async def _wal(conn: aiosqlite.Connection) -> None:
    """Switch the file to WAL. SQLite answers "locked" at once, without the busy timeout, while
    another connection is switching the same new file: wait for it as the timeout would."""
    for _ in range(BUSY_TIMEOUT_MS // 50):
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            await asyncio.sleep(0.05)
    await conn.execute("PRAGMA journal_mode=WAL")


def migrations() -> list[tuple[int, Traversable]]:
    """The numbered scripts of storage/migrations, in order."""
    return sorted(
        ((int(entry.name.split("_", 1)[0]), entry)
         for entry in resources.files("storage.migrations").iterdir() if entry.name.endswith(".sql")),
        key=lambda pair: pair[0],
    )


def statements(script: str) -> Iterator[str]:
    """A script's statements one at a time (executescript would COMMIT the transaction the runner
    holds). SQLite's own parser says where a statement ends, so a ';' in a string or a trigger body
    does not split it."""
    start = 0
    for end, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start:end + 1]):
            yield script[start:end + 1]
            start = end + 1
    rest = "\n".join(line for line in script[start:].splitlines() if not line.strip().startswith("--"))
    if rest.strip():
        raise ValueError(f"a migration ends without ';': {rest.strip()[:60]!r}")
