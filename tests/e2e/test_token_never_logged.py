"""Finding 11 (the token): with a wrong token the log printed the token itself; httpx logs every
request URL, and the token is part of it. Whoever reads the log (or a pasted error) could run the bot."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest

from bot.app import build_application, build_services, start, stop
from bot.clock import FakeClock
from bot.config import load_settings
from bot.devtools.emulator import TOKEN
from tests.e2e.processes import BotProcess

WRONG = "654321:AAH-wrong-secret-0123456789abcdefgh"


def _everything(caplog) -> str:
    """Every log line as a handler writes it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_a_wrong_token_is_in_no_log_line_and_no_error(emulator, tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)                  # httpx and python-telegram-bot at their most talkative
    settings = load_settings(telegram_bot_token=WRONG, telegram_api_base_url=emulator.base_url,
                             frontdesk_db=str(tmp_path / "frontdesk.db"))
    application = build_application(build_services(settings, FakeClock()))
    with pytest.raises(Exception) as refused:        # the emulator answers 401, as Telegram does
        await start(application, poll_timeout=1)
    await stop(application)
    shown = "".join(traceback.format_exception(refused.value))
    assert "Unauthorized" in _everything(caplog) or "rejected" in shown
    assert WRONG not in _everything(caplog)
    assert WRONG not in shown
    assert WRONG.split(":")[1] not in _everything(caplog) + shown


async def test_a_running_bot_logs_no_token(frontdesk, emulator, admin, caplog):
    caplog.set_level(logging.DEBUG)
    admin.send("/help")
    await admin.next_message(None)
    await frontdesk.drain()
    logged = _everything(caplog)
    assert "sendMessage" in logged                    # the requests were logged ...
    assert TOKEN not in logged                        # ... without the token in their URL


def test_the_settings_hold_the_token_as_a_secret():
    settings = load_settings(telegram_bot_token=WRONG)
    assert WRONG not in repr(settings) and WRONG not in str(settings) and WRONG not in str(settings.model_dump())


async def test_frontdesk_run_with_a_wrong_token_says_so_without_printing_it(emulator, tmp_path: Path):
    bot = BotProcess(emulator, tmp_path, tmp_path / "frontdesk.db", "bot", TELEGRAM_BOT_TOKEN=WRONG)
    await bot.start()
    assert await bot.exit_code() == 2
    said = bot.stderr()
    assert "TELEGRAM_BOT_TOKEN" in said and WRONG not in said, said
