"""The harness: the real Application, over HTTP, against the bundled Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.app import Services, build_application, build_services, start, stop
from bot.clock import FakeClock
from bot.config import load_settings
from bot.core import FloodControl, Limits
from bot.devtools.emulator import TOKEN, ChatUser, Emulator
from storage import Database

ADMIN = 9001
GROUP = -100500

# FRONTDESK_TEST_DB=postgres runs the whole suite on PostgreSQL: one throw-away cluster per session
# (tests/pgcluster.py), a migrated template database, and for every SQLite file a test names (the
# harness's, a CLI's FRONTDESK_DB) its own database made from that template, the same one again
# for the same path (a restart finds its data).
ENGINE = os.environ.get("FRONTDESK_TEST_DB", "sqlite").lower()
if ENGINE not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"FRONTDESK_TEST_DB={ENGINE!r}: sqlite or postgres")
on_postgres = ENGINE == "postgres"
sqlite_only = pytest.mark.skipif(on_postgres, reason="SQLite by nature (a file, its lock, WAL)")


@pytest.fixture(scope="session")
def pg_cluster():
    if not on_postgres:
        yield None
        return
    import asyncpg

    from tests.pgcluster import Cluster

    cluster = Cluster().start()

    async def template() -> None:
        admin = await asyncpg.connect(cluster.url())
        await admin.execute("CREATE DATABASE frontdesk_template")
        await admin.close()
        db = await Database(cluster.url("frontdesk_template")).open()
        await db.close()

    asyncio.run(template())
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres_cluster(pg_cluster):
    """A PostgreSQL cluster on either engine's run (the tests of PostgreSQL itself); skipped where
    PostgreSQL is not installed."""
    if pg_cluster is not None:
        yield pg_cluster
        return
    from tests.pgcluster import Cluster, bindir

    try:
        if not (bindir() / "initdb").exists():
            raise RuntimeError("no initdb")
        import asyncpg  # noqa: F401
    except (RuntimeError, ImportError) as exc:
        pytest.skip(f"PostgreSQL or asyncpg is not installed: {exc}")
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


async def fresh_database(cluster: Any, name: str) -> str:
    """An empty database (no tables yet) on the cluster, and its URL."""
    import asyncpg

    admin = await asyncpg.connect(cluster.url())
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return cluster.url(name)


def pg_url(cluster: Any, location: str) -> str:
    """The database that stands for one SQLite location in this session."""
    if location.startswith(("postgresql://", "postgres://")):
        return location
    name = "t_" + hashlib.sha1(os.path.abspath(location).encode()).hexdigest()[:20]
    return cluster.url(name)


@pytest.fixture(autouse=True)
def _engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """On PostgreSQL: every `Database(path)` opens the database standing for that path (not in a
    test marked `real_sqlite`, which needs an SQLite file beside PostgreSQL: `db copy`)."""
    if not on_postgres or request.node.get_closest_marker("real_sqlite"):
        yield
        return
    cluster = request.getfixturevalue("pg_cluster")
    import asyncpg

    from storage.postgres import PgDatabase

    made: set[str] = set()
    original_new, original_init, original_open = Database.__new__, PgDatabase.__init__, PgDatabase.open

    def new(cls: type, location: str) -> Database:
        return original_new(cls, pg_url(cluster, location))

    def init(self: PgDatabase, location: str) -> None:
        original_init(self, pg_url(cluster, location))

    async def open_(self: PgDatabase) -> PgDatabase:
        name = urlsplit(self.path).path.lstrip("/")
        if name.startswith("t_") and name not in made:
            admin = await asyncpg.connect(cluster.url())
            try:
                exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
                if not exists:
                    with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                        await admin.execute(f"CREATE DATABASE {name} TEMPLATE frontdesk_template")
            finally:
                await admin.close()
            made.add(name)
        return await original_open(self)

    monkeypatch.setattr(Database, "__new__", new)
    monkeypatch.setattr(PgDatabase, "__init__", init)
    monkeypatch.setattr(PgDatabase, "open", open_)
    yield


class Frontdesk:
    """One bot process; `restart()` stops it and starts a fresh one on the same database."""

    def __init__(self, emulator: Emulator, db_path: Path, clock: FakeClock) -> None:
        self.emulator = emulator
        self.db_path = db_path
        self.clock = clock
        self.services: Services | None = None
        self.application: Any = None
        # The FakeClock starts at 22:13 in Asia/Shanghai, inside the default quiet hours, where a
        # routine alert waits for 07:00 (the escalation table). The flows of the other tests are
        # not about the night, so the harness has no alert quiet hours unless a test sets them
        # (tests/e2e/test_escalation.py) and restarts.
        self.overrides: dict[str, Any] = {"alert_quiet_hours": "none"}
        self.webhook = False   # updates by webhook rather than getUpdates (tests/e2e/test_webhook.py serves it)

    async def start(self, paused: bool = False) -> None:
        settings = load_settings(
            telegram_bot_token=TOKEN, telegram_api_base_url=self.emulator.base_url,
            frontdesk_db=str(self.db_path), admin_ids=frozenset({ADMIN}), default_language="zh", default_grid="G1",
            **self.overrides,
        )
        # Telegram's real limits are tested on their own (test_outbox); here they would only slow the flows.
        roomy = FloodControl(Limits(overall=(1000, 1.0), private=(1000, 1.0), group=(1000, 1.0)))
        self.services = build_services(settings, self.clock, roomy, poll_interval=0.02)
        self.services.outbox.paused = paused
        self.application = build_application(self.services)
        await start(self.application, poll_timeout=1, webhook=self.webhook)

    async def stop(self) -> None:
        if self.application is not None:
            await stop(self.application)
            self.application = None

    async def restart(self, paused: bool = False) -> None:
        await self.stop()
        await self.start(paused)

    @property
    def db(self) -> Database:
        assert self.services is not None
        return self.services.db

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self.db.transaction() as tx:
            return [dict(r) for r in await tx.all(sql, params)]

    async def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        async with self.db.transaction() as tx:
            return await tx.value(sql, params)

    async def drain(self) -> None:
        """Every queued message sent (or given up): nothing pending at all."""
        assert self.services is not None
        await self.services.outbox.drain()

    async def settle(self) -> None:
        """What is due now is sent; a row in its retry back-off on the fake clock stays pending."""
        assert self.services is not None
        await self.services.outbox.settle()


@pytest.fixture
async def emulator():
    emulator = Emulator()
    await emulator.start()
    yield emulator
    await emulator.stop()
    print("\n".join(emulator.transcript))  # shown by pytest only when the test failed


@pytest.fixture
async def frontdesk(emulator: Emulator, tmp_path: Path):
    desk = Frontdesk(emulator, tmp_path / "frontdesk.db", FakeClock())
    await desk.start()
    yield desk
    await stop_within(desk, 20.0)


async def stop_within(desk: Frontdesk, seconds: float) -> None:
    """Stop the bot, or fail with every task's stack: a stop that hangs is a defect to see, not a
    test run that never ends. (It showed one: the outbox loop's wait_for swallowing the stop's
    cancel on Python 3.11; see Outbox._run.)"""
    try:
        await asyncio.wait_for(asyncio.shield(desk.stop()), seconds)
    except TimeoutError:
        for task in asyncio.all_tasks():
            print("task", task.get_name(), task)
            task.print_stack()
        raise


@pytest.fixture
def admin(emulator: Emulator) -> ChatUser:
    return emulator.user(ADMIN, "Wang", "zh")


async def make_team(admin: ChatUser, volunteers: list[ChatUser], team: str = "north", grids: str = "G1") -> None:
    """An admin creates a team for `grids` and every volunteer joins it with the invite code."""
    admin.send(f"/invite {team}")
    invite = await admin.next_message("/join")
    code = re.search(r"/join (\w+)", invite.text).group(1)  # type: ignore[union-attr]
    admin.send(f"/team {team} grids {grids}")
    await admin.next_message(grids.split(",")[0])
    for volunteer in volunteers:
        volunteer.send(f"/join {code}")
        await volunteer.next_message(team)


async def staffed_grid(emulator: Emulator, admin: ChatUser) -> tuple[ChatUser, ChatUser]:
    """The usual cast: volunteer Zhang on a team covering G1, and Li, a registered resident."""
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    return zhang, resident


async def register(resident: ChatUser, name: str = "Li Xiuying", building: str = "5", lang: str = "en",
                   phone: str = "13800001111", shown: str | None = None) -> None:
    """The whole registration conversation, answered the way a resident would."""
    resident.send("/start")
    choose = await resident.next_message("choose a language")
    resident.press(choose, f"lang:{lang}")
    await resident.next_message(None)                     # language confirmation
    await resident.next_message(None)                     # intro
    await resident.next_message(None)                     # phone question
    resident.share_contact(phone)
    for answer in (name, building, "2", "302"):
        await resident.next_message(None)
        resident.send(answer)
    alone = await resident.next_message(None)
    resident.press(alone, "alone:yes")
    await resident.next_message(None)
    resident.send("Li Ming 13900002222")
    await resident.next_message(shown or name)
