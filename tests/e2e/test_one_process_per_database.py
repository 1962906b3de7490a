"""Finding 5: two processes on one database doubled everything silently (a second `frontdesk run`
started by mistake, or a second host with the same token): every alert and answer went out twice,
or they fought over getUpdates with 409 Conflict and nobody noticed."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
from pathlib import Path

import pytest

from bot.clock import FakeClock
from tests.conftest import ADMIN, Frontdesk, sqlite_only
from tests.e2e.processes import BotProcess, calls, until_polling

CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


@sqlite_only
async def test_a_second_bot_on_the_same_database_does_not_start(frontdesk, emulator, admin):
    second = Frontdesk(emulator, frontdesk.db_path, FakeClock())
    try:
        with pytest.raises(Exception) as refused:
            await second.start()
        said = str(refused.value)
        assert f"pid {os.getpid()}" in said and socket.gethostname() in said and "started" in said, said
    finally:
        await second.stop()
    admin.send("/help")                                  # the first one answers, once
    await admin.next_message(None)
    await frontdesk.drain()
    await asyncio.sleep(0.3)
    assert len(emulator.chat(ADMIN)) == 1


@sqlite_only
async def test_a_second_frontdesk_run_exits_at_once_naming_the_first(emulator, tmp_path: Path):
    db = tmp_path / "frontdesk.db"
    first = BotProcess(emulator, tmp_path, db, "first")
    await first.start()
    await until_polling(emulator, 0, first)
    asked = calls(emulator, "getMe")

    second = BotProcess(emulator, tmp_path, db, "second")
    await second.start()
    assert await second.exit_code(timeout=20) == 3, second.stderr()
    said = second.stderr()
    assert f"pid {first.pid}" in said and socket.gethostname() in said and "started" in said, said
    assert calls(emulator, "getMe") == asked              # it stopped before talking to Telegram
    lock = db.with_name(db.name + ".lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600

    first.kill()                                          # a crash leaves no stale lock behind
    await first.exit_code()
    third = BotProcess(emulator, tmp_path, db, "third")
    await third.start()
    await until_polling(emulator, calls(emulator, "getUpdates"), third)
    assert await third.stop() == 0


async def test_a_409_conflict_is_reported_and_stops_the_bot_after_the_grace_period(frontdesk, emulator, admin,
                                                                                  caplog):
    caplog.set_level(logging.INFO)
    emulator.fail("getUpdates", 409, CONFLICT, times=10_000)   # another copy polls with our token
    notice = await admin.next_message(None, timeout=10)         # admins are told, in their language
    assert "409" in notice.text and socket.gethostname() in notice.text
    assert "another instance is using this token" in caplog.text
    assert frontdesk.services.source.running                 # a conflict may pass: not yet

    frontdesk.clock.advance(frontdesk.services.settings.conflict_grace_minutes * 60)
    for _ in range(200):                                         # the next conflict, about a second later
        if not frontdesk.services.source.running and not frontdesk.application.running:
            break
        await asyncio.sleep(0.05)
    assert not frontdesk.services.source.running and not frontdesk.application.running
    stopped = await admin.next_message(None, timeout=5)
    assert socket.gethostname() in stopped.text and stopped.text != notice.text


async def test_a_conflict_that_passes_does_not_stop_the_bot(frontdesk, emulator, admin, caplog):
    emulator.fail("getUpdates", 409, CONFLICT, times=1)         # e.g. the old copy's last poll at a restart
    await admin.next_message(None, timeout=10)
    frontdesk.clock.advance(frontdesk.services.settings.conflict_grace_minutes * 60 + 1)
    admin.send("/help")
    await admin.next_message(None, timeout=10)                   # polling resumed
    emulator.fail("getUpdates", 409, CONFLICT, times=1)          # one more, much later: a new episode
    await admin.next_message(None, timeout=10)
    assert frontdesk.services.source.running


async def test_frontdesk_run_stops_on_a_persistent_conflict(emulator, tmp_path: Path):
    emulator.fail("getUpdates", 409, CONFLICT, times=10_000)
    bot = BotProcess(emulator, tmp_path, tmp_path / "frontdesk.db", "bot", CONFLICT_GRACE_MINUTES="0")
    await bot.start()
    assert await bot.exit_code(timeout=30) == 3, bot.stderr()
    assert "another instance is using this token" in bot.stderr()
    assert emulator.chat(ADMIN), "the admins were not told"
