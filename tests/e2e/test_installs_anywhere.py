"""Finding 15 (installs that break elsewhere): a slim container or Windows has no time-zone
database, and Asia/Shanghai failed at start; exact pins on the direct dependencies but nothing
locked the rest, so two installs a month apart were two different programs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.e2e.processes import ROOT, BotProcess, until_polling

LOCK = ROOT / "requirements.lock"


async def test_the_bot_starts_without_a_system_time_zone_database(emulator, tmp_path: Path):
    # PYTHONTZPATH="" hides /usr/share/zoneinfo, as a slim image or Windows has none
    bot = BotProcess(emulator, tmp_path, tmp_path / "frontdesk.db", "bot", PYTHONTZPATH="", TIMEZONE="Asia/Shanghai")
    await bot.start()
    await until_polling(emulator, 0, bot)
    assert await bot.stop() == 0, bot.stderr()


def _locked() -> dict[str, tuple[str, str]]:
    """name -> (exact version, environment marker) of every requirement line in the lock."""
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier  # one specifier, and it is ==
        assert spec.operator == "==", line
        pins[canonicalize_name(requirement.name)] = (spec.version, str(requirement.marker or ""))
    return pins


def test_every_dependency_is_locked_to_one_version_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    direct = [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["test"]]
    pins = _locked()
    assert "tzdata" in {canonicalize_name(r.name) for r in direct}
    for requirement in direct:
        assert not [spec for spec in requirement.specifier if spec.operator == "=="], \
            f"{requirement}: a range in pyproject.toml, the exact version in the lock"
        version, _ = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement} locked at {version}"
    # the dependencies of the dependencies too: python-telegram-bot's httpx, its httpcore, ...
    for name in ("httpx", "httpcore", "anyio", "apscheduler", "pydantic", "pydantic-core", "numpy", "packaging"):
        assert name in pins, name


def test_ci_installs_from_the_lock_and_the_lock_says_how_it_was_made():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"pip install .*-r requirements\.lock", ci)
    assert re.search(r"pip install .*--no-deps", ci)          # the project itself, nothing re-resolved
    header = LOCK.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "compile" in header and "pyproject.toml" in header
