"""deploy/nginx.conf as the failover test renders it (tests/e2e/workers.py): on any engine, so a
change to the file that the rendering no longer fits fails on SQLite too, where the failover test
is skipped; and nginx itself accepts the result, where it is installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.workers import DEPLOY, NGINX, Nginx, render_nginx


def test_the_proxy_file_takes_the_tests_ports_and_nothing_else_changes():
    text = render_nginx([9101, 9102, 9103], 9200)
    original = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "server 127.0.0.1:808" not in text and "listen 443 ssl;" not in text
    for port in (9101, 9102, 9103):
        assert f"server 127.0.0.1:{port} " in text
    assert "listen 127.0.0.1:9200;" in text
    changed = [(a, b) for a, b in zip(original.splitlines(), text.splitlines()) if a != b]
    assert len(changed) == 4 and len(original.splitlines()) == len(text.splitlines()), changed
    assert "proxy_next_upstream error timeout non_idempotent;" in text


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_rendered_file(tmp_path: Path):
    proxy = Nginx([9101, 9102, 9103], tmp_path)
    checked = subprocess.run(
        [str(NGINX), "-t", "-p", f"{proxy.prefix}/", "-e", str(proxy.log), "-c", str(proxy.conf),
         "-g", f"pid {proxy.prefix / 'nginx.pid'}; error_log {proxy.log};"],
        capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
