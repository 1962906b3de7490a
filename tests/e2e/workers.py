"""The deployment file's processes, started as written: each line of deploy/Procfile run by a shell
with deploy/frontdesk.env.example's settings, the test's own token, emulator, database and ports put
in through the environment (so the file cannot rot: a line that does not start a working worker
fails the tests). The reverse proxy of deploy/nginx.conf is played by the emulator
(`Emulator.webhook_upstreams`: each update POSTed to the workers in turn); nginx is not on a clean
CI machine. Used by tests/e2e/test_failover.py and bench/scaleout.py."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.devtools.emulator import TOKEN, Emulator

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SECRET = "failover-secret_0123456789abcdef"
ADMIN = 9001


def procfile(path: Path = DEPLOY / "Procfile") -> list[tuple[str, str]]:
    """(name, command) of each process line."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries.append((name.strip(), command.strip()))
    return entries


def env_file(path: Path = DEPLOY / "frontdesk.env.example") -> dict[str, str]:
    settings = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Worker:
    """One Procfile line as a process group of its own (the shell and the `frontdesk` it starts)."""

    def __init__(self, name: str, command: str, env: dict[str, str], port: int, path: str, workdir: Path) -> None:
        self.name, self.command, self.env, self.port = name, command, env, port
        self.url = f"http://127.0.0.1:{port}{path}"
        self.workdir = workdir
        self.log = workdir / f"{name}.stderr"
        self.process: asyncio.subprocess.Process | None = None
        self.killed = False

    async def start(self) -> None:
        with open(self.log, "ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                "/bin/sh", "-c", self.command, cwd=self.workdir, env=self.env, start_new_session=True,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=err)

    def pids(self) -> set[int]:
        """The shell's pid and its children's (the shell may exec `frontdesk` or wait for it)."""
        assert self.process is not None
        found = {self.process.pid}
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            found |= {int(pid) for pid in children.read_text().split()}
        return found

    def cpu_seconds(self) -> float:
        """User and system CPU of the group's processes so far (/proc, in clock ticks)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks   # utime, stime
        return total

    def kill(self) -> None:
        """kill -9: the host died; nothing of the worker runs on."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.killed = True

    async def stop(self) -> int | None:
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            return await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            return await self.process.wait()

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    async def until_healthy(self, timeout: float = 60.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise AssertionError(f"{self.name} exited ({self.process.returncode}):\n{self.stderr()}")
                try:
                    answer = await client.get(f"http://127.0.0.1:{self.port}/healthz")
                    if answer.status_code == 200:
                        return answer.json()
                except httpx.TransportError:
                    pass
                if loop.time() > deadline:
                    raise AssertionError(f"{self.name} never became healthy:\n{self.stderr()}")
                await asyncio.sleep(0.1)


class Deployment:
    """deploy/Procfile's workers on one database, with the emulator as Telegram and as the proxy."""

    def __init__(self, emulator: Emulator, database_url: str, workdir: Path, workers: int | None = None,
                 **settings: str) -> None:
        self.emulator = emulator
        self.settings = env_file()
        self.settings.update({
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url, "FRONTDESK_DB": database_url,
            "WEBHOOK_SECRET": SECRET, "ADMIN_IDS": str(ADMIN), "ALERT_QUIET_HOURS": "none", **settings})
        self.path = urlsplit(self.settings["WEBHOOK_URL"]).path
        lines = procfile()[:workers]   # the first `workers` lines (one, for a desk on SQLite)
        ports = {f"FRONTDESK_PORT_{n}": str(free_port()) for n in range(1, len(lines) + 1)}
        self.env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                    "HOME": str(workdir), "PYTHONPATH": str(ROOT), **self.settings, **ports}
        self.workers = []
        for n, (name, command) in enumerate(lines, 1):
            # each line listens on its own FRONTDESK_PORT_n (the file's defaults are nginx.conf's ports)
            assert re.search(rf"\$\{{FRONTDESK_PORT_{n}\b", command), f"Procfile line {n} should use FRONTDESK_PORT_{n}"
            self.workers.append(Worker(name, command, self.env, int(ports[f"FRONTDESK_PORT_{n}"]), self.path, workdir))

    async def frontdesk(self, *argv: str) -> tuple[int, str]:
        """A `frontdesk` command the operator runs, with the workers' settings."""
        process = await asyncio.create_subprocess_exec(
            "frontdesk", *argv, env=self.env, cwd=self.workers[0].workdir, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await process.communicate()
        return await process.wait(), out.decode()

    async def start(self) -> None:
        for worker in self.workers:
            await worker.start()
        for worker in self.workers:
            await worker.until_healthy()
        code, out = await self.frontdesk("webhook", "set")
        assert code == 0, out
        # the proxy: Telegram's POSTs to WEBHOOK_URL reach the workers in turn
        self.emulator.webhook_upstreams = [worker.url for worker in self.workers]

    def live(self) -> list[Worker]:
        return [w for w in self.workers if not w.killed]

    def leader_by_pid(self, holder: str | None) -> Worker | None:
        """The worker whose pid the leader row names (`host:pid`)."""
        if not holder:
            return None
        pid = holder.rsplit(":", 1)[-1]
        for worker in self.workers:
            if pid.isdigit() and int(pid) in worker.pids():
                return worker
        return None

    async def stop(self) -> None:
        for worker in self.workers:
            await worker.stop()

    def stderr(self) -> str:
        return "\n".join(f"--- {w.name} ---\n{w.stderr()[-6000:]}" for w in self.workers)
