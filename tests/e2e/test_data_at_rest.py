"""Finding 11 (data at rest): the database and its -wal/-shm files were created world-readable
(0644), and the inbox kept every raw message for ever. (The token in the log: test_token_never_logged.)"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from bot.clock import FakeClock
from tests.conftest import Frontdesk, sqlite_only, staffed_grid

pytestmark = sqlite_only  # the file's mode and SQLite's -wal and -shm files

DAY = 86400.0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


async def test_database_files_are_created_readable_by_their_owner_only(emulator, admin, tmp_path: Path):
    old = os.umask(0o022)  # the usual umask, under which the files came out 0644
    try:
        desk = Frontdesk(emulator, tmp_path / "frontdesk.db", FakeClock())
        await desk.start()
        try:
            admin.send("/help")                  # a write: the WAL and its index exist now
            await admin.next_message(None)
            files = _files(desk.db_path)
            assert all(path.exists() for path in files)
            assert {path.name: oct(_mode(path)) for path in files} == {path.name: "0o600" for path in files}
        finally:
            await desk.stop()
    finally:
        os.umask(old)


async def test_an_existing_database_open_to_everyone_is_closed_to_others(emulator, admin, tmp_path: Path):
    db = tmp_path / "frontdesk.db"
    for path in _files(db):  # left by an older version (or a crash) with the old modes
        sqlite3.connect(db).close() if path == db else path.touch()
        path.chmod(0o644)
    desk = Frontdesk(emulator, db, FakeClock())
    await desk.start()
    try:
        admin.send("/help")
        await admin.next_message(None)
        assert {path.name: _mode(path) & 0o007 for path in _files(db)} == {path.name: 0 for path in _files(db)}
    finally:
        await desk.stop()


async def test_raw_inbox_texts_are_pruned_after_the_retention_period(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The stairs light on floor 3 is out")
    await resident.next_message("#1")
    ticket_text = await frontdesk.value("SELECT text FROM tickets WHERE id = 1")
    kept = "SELECT count(*) FROM inbox WHERE text = ?"
    assert await frontdesk.value(kept, ("The stairs light on floor 3 is out",)) == 1
    rows = await frontdesk.value("SELECT count(*) FROM inbox")

    frontdesk.clock.advance(89 * DAY)            # the default retention is 90 days
    await frontdesk.services.tick()
    assert await frontdesk.value(kept, ("The stairs light on floor 3 is out",)) == 1
    resident.send("The lift on the east side makes a grinding noise")
    await resident.next_message("#2")

    frontdesk.clock.advance(1.5 * DAY)           # the first message is 90.5 days old, the second 1.5
    await frontdesk.services.tick()
    assert await frontdesk.value(kept, ("The stairs light on floor 3 is out",)) == 0
    assert await frontdesk.value(kept, ("The lift on the east side makes a grinding noise",)) == 1
    old_texts = await frontdesk.value("SELECT count(*) FROM inbox WHERE text IS NOT NULL AND received_at < ?",
                                      (frontdesk.clock.now() - 90 * DAY,))
    assert old_texts == 0                        # registration answers and button data too
    # the ticket keeps its own text; the inbox keeps the update ids that recognise a replay
    assert await frontdesk.value("SELECT text FROM tickets WHERE id = 1") == ticket_text
    assert await frontdesk.value("SELECT count(*) FROM inbox") >= rows + 1
