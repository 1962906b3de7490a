"""The deployment file's processes, started as written: each line of deploy/Procfile run by a shell
with deploy/frontdesk.env.example's settings, the test's own token, emulator, database and ports put
in through the environment (so the file cannot rot: a line that does not start a working worker
fails the tests). With `proxy=True` deploy/nginx.conf is started too, as written but for its ports
(`Nginx`: the workers' ports and a free one to listen on put in place of the file's), and the
emulator posts to it alone, as Telegram does; where nginx is not installed the emulator plays the
proxy (`Emulator.webhook_upstreams`: each update POSTed to the workers in turn) and says so. Used by
tests/e2e/test_failover.py and bench/scaleout.py."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
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


NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
                                      None)
NO_NGINX = "nginx is not installed: the Bot API emulator plays deploy/nginx.conf's part (apt-get install nginx-light)"


def render_nginx(upstreams: list[int], listen: int, path: Path = DEPLOY / "nginx.conf") -> str:
    """deploy/nginx.conf with the test's ports: the workers' 8081-8083 and a plain-HTTP listen on
    127.0.0.1 in place of 443 (TLS is the operator's). Everything else is the file as written."""
    text = path.read_text(encoding="utf-8")
    for n, port in enumerate(upstreams, 1):
        text, found = re.subn(rf"^(\s*server )127\.0\.0\.1:{8080 + n}\b", rf"\g<1>127.0.0.1:{port}", text,
                              flags=re.M)
        assert found == 1, f"deploy/nginx.conf should have one upstream server 127.0.0.1:{8080 + n}"
    text, found = re.subn(r"^(\s*)listen 443 ssl;", rf"\g<1>listen 127.0.0.1:{listen};", text, flags=re.M)
    assert found == 1, "deploy/nginx.conf should have one `listen 443 ssl;`"
    return text


class Nginx:
    """deploy/nginx.conf's server in a foreground nginx of its own: its prefix, pid file, logs and
    temporary files under `workdir`, the file included in a minimal nginx.conf's http block."""

    def __init__(self, upstreams: list[int], workdir: Path) -> None:
        self.port = free_port()
        self.prefix = workdir / "nginx"
        for sub in ("logs", "tmp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        (self.prefix / "frontdesk.conf").write_text(render_nginx(upstreams, self.port), encoding="utf-8")
        # as root, nginx's workers would run as `nobody`, who cannot read a pytest tmp dir
        user = "user root;\n" if os.geteuid() == 0 else ""
        tmp = self.prefix / "tmp"
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(
            f"{user}worker_processes 1;\nevents {{ worker_connections 512; }}\nhttp {{\n"
            # where each POST went: a refused worker shows as "A, B" / "502, 200"
            "    log_format upstreams '$status $upstream_addr | $upstream_status';\n"
            f"    access_log {self.prefix / 'logs' / 'access.log'} upstreams;\n"
            f"    client_body_temp_path {tmp}/body;\n    proxy_temp_path {tmp}/proxy;\n"
            f"    fastcgi_temp_path {tmp}/fastcgi;\n    uwsgi_temp_path {tmp}/uwsgi;\n    scgi_temp_path {tmp}/scgi;\n"
            f"    include {self.prefix / 'frontdesk.conf'};\n}}\n", encoding="utf-8")
        self.log = self.prefix / "logs" / "error.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 15.0) -> None:
        assert NGINX is not None
        globals_ = f"daemon off; pid {self.prefix / 'nginx.pid'}; error_log {self.log} info;"
        with open(self.prefix / "logs" / "stderr", "ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                # -e: the log before the file is read, too (not /var/log/nginx: no root needed)
                NGINX, "-p", f"{self.prefix}/", "-e", str(self.log), "-c", str(self.conf), "-g", globals_,
                start_new_session=True,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=err)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.process.returncode is not None:
                raise AssertionError(f"nginx exited ({self.process.returncode}):\n{self.stderr()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                if loop.time() > deadline:
                    raise AssertionError(f"nginx never listened on {self.port}:\n{self.stderr()}")
                await asyncio.sleep(0.05)

    def requests(self) -> list[tuple[int, list[str], list[str]]]:
        """(status, upstreams tried, their statuses) of each request nginx answered."""
        found = []
        path = self.prefix / "logs" / "access.log"
        for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else []):
            status, _, rest = line.partition(" ")
            addrs, _, statuses = rest.partition(" | ")
            found.append((int(status), [a.strip() for a in addrs.split(",")], [s.strip() for s in statuses.split(",")]))
        return found

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGQUIT)   # graceful: finish what is in hand
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()

    def stderr(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace")[-4000:]
                         for p in (self.prefix / "logs" / "stderr", self.log) if p.exists())


class Deployment:
    """deploy/Procfile's workers on one database, with the emulator as Telegram and as the proxy."""

    def __init__(self, emulator: Emulator, database_url: str, workdir: Path, workers: int | None = None,
                 proxy: bool = False, **settings: str) -> None:
        self.emulator = emulator
        self.workdir = workdir
        self.want_proxy = proxy
        self.nginx: Nginx | None = None
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
        if self.want_proxy and NGINX is not None:
            # deploy/nginx.conf in front of the workers; Telegram posts to its one address
            self.nginx = Nginx([worker.port for worker in self.workers], self.workdir)
            await self.nginx.start()
            self.emulator.webhook_upstreams = [f"http://127.0.0.1:{self.nginx.port}{self.path}"]
        else:
            if self.want_proxy:
                print(NO_NGINX)
            # the emulator as the proxy: Telegram's POSTs to WEBHOOK_URL reach the workers in turn
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
        if self.nginx is not None:
            await self.nginx.stop()

    def stderr(self) -> str:
        proxy = f"\n--- nginx ---\n{self.nginx.stderr()}" if self.nginx is not None else ""
        return "\n".join(f"--- {w.name} ---\n{w.stderr()[-6000:]}" for w in self.workers) + proxy
