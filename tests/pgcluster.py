"""A throw-away PostgreSQL cluster for the tests (and benchmarks): initdb in a temporary
directory, a server on a free port that listens only on a unix socket, stopped and deleted at the
end. initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.

Durability is switched off (fsync, synchronous_commit, full_page_writes): the cluster lives for one
test run, and the tests measure the bot, not the disk."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def bindir() -> Path:
    found = os.environ.get("PG_BINDIR")
    if found:
        return Path(found)
    try:
        return Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        for each in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            return each
    raise RuntimeError("PostgreSQL's programs were not found (set PG_BINDIR)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="frontdesk-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "run"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *argv: str) -> None:
        command = (["runuser", "-u", "postgres", "--"] if self.as_root else []) + list(argv)
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> "Cluster":
        self.socket_dir.mkdir()
        if self.as_root:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        tools = bindir()
        self._run(str(tools / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(tools / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def stop(self) -> None:
        try:
            self._run(str(bindir() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
