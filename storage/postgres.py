"""PostgreSQL under the same `Database` and `Tx` as SQLite (`pip install ".[postgres]"`).

The driver is asyncpg: its `Record` reads like aiosqlite's `Row` (`row[0]`, `row["name"]`,
`dict(row)`), which is all the repositories use, and it prepares and caches each statement by
itself. Its parameters are typed strictly (a str for a TEXT column, an int for a BIGINT one) where
SQLite converts by column affinity; a value of the wrong type is converted here once, the way
SQLite would, after the driver refuses it (`_coerce`).

One connection per process, and one transaction at a time on it, as on SQLite: the services were
written for that. Several processes on one database are PostgreSQL's ordinary business (READ
COMMITTED; the outbox's compare-and-set claims hold there too). A later claim with
`SELECT ... FOR UPDATE SKIP LOCKED` is one more statement inside `Database.transaction()`.
"""

from __future__ import annotations

import asyncio
import decimal
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from storage.db import Database, migrations, statements
from storage.dialect import POSTGRES_PRELUDE, Postgres

log = logging.getLogger(__name__)

# Two processes opening a new database at once: the second waits for the first one's migrations.
MIGRATION_LOCK = 0x66726F6E  # "fron"
# The sender's lock (two int4 keys: a key space apart from the one-bigint locks, the chats' among them)
SENDER_LOCK = (0x66726F6E, 1)
ALIVE_TIMEOUT = 2.0   # seconds the lock's connection may take to answer before the lock counts as lost
# A worker whose host vanished (no FIN, no RST) must not keep its session, and the locks it holds,
# for the kernel's two hours of TCP keepalive: the server probes an idle session and ends it when
# the probes go unanswered. The sender's lock: gone within about 5 s (a follower then leads within
# its retry); a worker's own connection (a chat's lock, a ticket's row inside a unit): about 8 s.
# Over a unix socket these do nothing.
LOCK_KEEPALIVE = {"tcp_keepalives_idle": "2", "tcp_keepalives_interval": "1", "tcp_keepalives_count": "3",
                  "tcp_user_timeout": "5000"}
KEEPALIVE = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "1", "tcp_keepalives_count": "3",
             "tcp_user_timeout": "8000"}


class Result:
    """What `Tx.execute` answers on PostgreSQL: SQLite's cursor's `lastrowid` and `rowcount`."""

    __slots__ = ("lastrowid", "rowcount")

    def __init__(self, lastrowid: int | None, rowcount: int) -> None:
        self.lastrowid = lastrowid
        self.rowcount = rowcount


def _number(text: str) -> int | float:
    """numeric (sum() of integers, avg()) as SQLite answers it: an int when whole, else a float."""
    value = decimal.Decimal(text)
    return int(value) if value == value.to_integral_value() and "." not in text and "e" not in text.lower() else float(value)


_INTS = {"int2", "int4", "int8"}
_FLOATS = {"float4", "float8", "numeric"}


def _coerce(args: Sequence[Any], types: Sequence[Any]) -> list[Any]:
    """Each argument as the type PostgreSQL expects there, as SQLite's affinity would store it."""
    out = []
    for value, kind in zip(args, types):
        name = kind.name
        if value is None:
            out.append(None)
        elif name in _INTS and isinstance(value, (str, float)):
            out.append(int(float(value)))
        elif name in _FLOATS and isinstance(value, (str, int)):
            out.append(float(value))
        elif name in ("text", "varchar", "bpchar", "name") and not isinstance(value, str):
            out.append(str(int(value)) if isinstance(value, bool) else str(value))
        elif name == "bytea" and isinstance(value, (str, memoryview, bytearray)):
            out.append(value.encode() if isinstance(value, str) else bytes(value))
        else:
            out.append(value)
    return out


def _params(params: Iterable[Any] | dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(params, dict):
        raise TypeError("named parameters are not supported on PostgreSQL: use ?")
    return tuple(params)


class PgTx:
    """`Tx` on PostgreSQL: the same four methods, the SQL rewritten by the dialect."""

    def __init__(self, conn: asyncpg.Connection, dialect: Postgres) -> None:
        self.conn = conn
        self.dialect = dialect

    async def _call(self, method: str, sql: str, args: tuple[Any, ...]) -> Any:
        query = self.dialect.query(sql)
        call = getattr(self.conn, method)
        try:
            return query, await call(query, *args)
        except asyncpg.DataError as exc:  # the driver refused an argument's type: nothing was sent
            if "invalid input for query argument" not in str(exc):
                raise
            statement = await self.conn.prepare(query)
            return query, await call(query, *_coerce(args, statement.get_parameters()))

    async def execute(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Result:
        args = _params(params)
        if self.dialect.returns_id(sql):
            _, rows = await self._call("fetch", sql, args)
            return Result(rows[-1][0] if rows else None, len(rows))
        _, status = await self._call("execute", sql, args)
        count = status.rsplit(" ", 1)[-1]
        return Result(None, int(count) if count.isdigit() else -1)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:  # one by one: each row's arguments may need converting on their own
            await self._call("execute", sql, _params(row))

    async def one(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Any:
        return (await self._call("fetchrow", sql, _params(params)))[1]

    async def all(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[Any]:
        return list((await self._call("fetch", sql, _params(params)))[1])

    async def value(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Any:
        row = await self.one(sql, params)
        return None if row is None else row[0]


class PgSenderLock:
    """`pg_try_advisory_lock` held on a connection of its own: PostgreSQL ends the session of a
    process that died (or of a connection that broke), and the lock with it, so another worker can
    take over; and the leader's own queries never wait behind it. `alive` asks the connection:
    a broken one means the lock may be another's already."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: asyncpg.Connection | None = None
        self.held = False

    async def try_acquire(self) -> bool:
        if self.held and await self.alive():
            return True
        await self.release()
        self.conn = await asyncpg.connect(self.url, timeout=ALIVE_TIMEOUT, server_settings=LOCK_KEEPALIVE)
        self.held = bool(await self.conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *SENDER_LOCK))
        if not self.held:
            await self.release()
        return self.held

    async def alive(self) -> bool:
        if not self.held or self.conn is None or self.conn.is_closed():
            return False
        try:
            return await self.conn.fetchval("SELECT 1", timeout=ALIVE_TIMEOUT) == 1
        except Exception:  # noqa: BLE001 - whatever broke, the lock is not known to be ours
            return False

    async def release(self) -> None:
        """Closing the session lets the lock go (an unlock would need a working connection)."""
        conn, self.conn, self.held = self.conn, None, False
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), ALIVE_TIMEOUT)
            except Exception:  # noqa: BLE001
                conn.terminate()


class PgDatabase(Database):
    engine = "postgres"

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.dialect = Postgres()

    def _tx(self) -> PgTx:  # type: ignore[override]
        return PgTx(self._conn, self.dialect)

    async def _begin(self) -> None:
        await self._conn.execute("BEGIN")

    async def open(self) -> "PgDatabase":
        conn = await asyncpg.connect(self.path, server_settings=KEEPALIVE)
        try:
            await conn.set_type_codec("numeric", encoder=str, decoder=_number, schema="pg_catalog", format="text")
            self._conn = conn
            await self._migrate()
        except BaseException:
            self._conn = None
            await conn.close()
            raise
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def broken(self) -> bool:
        return self._conn is not None and self._conn.is_closed()

    def sender_lock(self) -> PgSenderLock:  # type: ignore[override]
        return PgSenderLock(self.path)

    async def _migrate(self) -> None:
        """The same numbered list as SQLite's, each script rewritten by the dialect (or, where a
        script cannot be said in both, its own file in storage/migrations/postgres/)."""
        conn = self._conn
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            for statement in POSTGRES_PRELUDE:
                await conn.execute(statement)
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")
            done = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
            applied = False
            for version, entry in migrations():
                if version in done:
                    continue
                for statement in statements(entry.read_text(encoding="utf-8")):
                    await conn.execute(self.dialect.ddl(statement))
                await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2)", version, entry.name)
                applied = True
            tables = frozenset(row[0] for row in await conn.fetch(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND is_identity = 'YES'"))
            self.dialect = Postgres(tables)
            if applied:
                await self.sync_sequences(conn)

    async def sync_sequences(self, conn: asyncpg.Connection | None = None) -> None:
        """Each identity's next number past the largest id there (after rows were written with
        their ids: a copied desk, a migration that rebuilt a table)."""
        conn = conn or self._conn
        for table in sorted(self.dialect.identity):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
