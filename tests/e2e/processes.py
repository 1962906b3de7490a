"""`frontdesk run` as a process of its own, against the test's emulator: what an operator starts.
Its settings come from the environment (the directory it runs in has no .env)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.devtools.emulator import TOKEN, Emulator

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    def __init__(self, emulator: Emulator, workdir: Path, db: Path, name: str, **settings: str) -> None:
        self.workdir = workdir
        self.log = workdir / f"{name}.stderr"
        self.env = {
            "PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url, "FRONTDESK_DB": str(db),
            "ADMIN_IDS": "9001", **settings,
        }
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        with open(self.log, "wb") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=self.workdir, env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=err)

    async def exit_code(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """A crash: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int:
        """What `systemctl stop` does: SIGTERM, and the process shuts down by itself."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.exit_code()


def calls(emulator: Emulator, method: str) -> int:
    return sum(1 for _, called, _ in emulator.calls if called == method)


async def until_polling(emulator: Emulator, seen: int, process: BotProcess, timeout: float = 30.0) -> None:
    """Wait until getUpdates has been called more than `seen` times (the process is running)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while calls(emulator, "getUpdates") <= seen:
        assert process.process is not None
        if process.process.returncode is not None:
            raise AssertionError(f"the bot exited ({process.process.returncode}):\n{process.stderr()}")
        if loop.time() > deadline:
            raise AssertionError(f"the bot never polled:\n{process.stderr()}")
        await asyncio.sleep(0.05)
