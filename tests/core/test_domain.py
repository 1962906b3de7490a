"""Pure parts: the ticket state machine, the roster, phones, grids, settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings
from bot.core import Member, can_act_for_grid, lifecycle as tickets, normalize_phone, on_duty, split_contact
from bot.services import parse_grids


def test_ticket_moves():
    assert tickets.move("claim", "open").target == "claimed"
    assert tickets.move("resolve", "claimed").target == "resolved"
    assert tickets.move("confirm", "resolved").target == "closed"
    assert tickets.move("reopen", "resolved").target == "open"
    assert tickets.move("release", "claimed").target == "open"
    for action, status in [("claim", "claimed"), ("confirm", "open"), ("release", "open"), ("cancel", "closed"),
                           ("fly", "open"), ("reopen", "closed"), ("redo", "closed")]:
        assert not tickets.can(action, status)
        with pytest.raises(tickets.IllegalMove):
            tickets.move(action, status)


def _member(vid, role="member", team="north", tg=None):
    return Member(vid, tg if tg is not None else 1000 + vid, f"v{vid}", "zh", role, team)


def test_on_duty_alerts_each_person_once_leaders_first():
    members = [_member(1), _member(2, "leader"), _member(1, "leader", "south"), _member(3)]
    chosen = on_duty(members)
    assert [m.volunteer_id for m in chosen] == [1, 2, 3]
    assert all(m.role == "leader" for m in chosen if m.volunteer_id in (1, 2))


def test_on_duty_skips_unreachable_and_excluded():
    members = [_member(1), Member(2, None, "no telegram", None, "member", "north"), _member(3)]
    assert [m.volunteer_id for m in on_duty(members, exclude=[3])] == [1]
    assert can_act_for_grid(members, 3) and not can_act_for_grid(members, 9)


def test_phones():
    assert normalize_phone("+86 138-0000-1111") == "+8613800001111"       # E.164 (tests/core/test_phones.py)
    assert normalize_phone("0086 13800001111") == "+8613800001111"
    assert normalize_phone("12") is None and normalize_phone("") is None
    assert split_contact("Li Ming 139 0000 2222") == ("Li Ming", "+8613900002222")
    assert split_contact("李明，13900002222") == ("李明", "+8613900002222")
    assert split_contact("just a name")[1] is None


def test_grids():
    assert parse_grids("G1, G2；G3 G1") == ["G1", "G2", "G3"]
    with pytest.raises(ValueError):
        parse_grids("G$1")


def test_settings_parse_lists():
    settings = load_settings(telegram_bot_token="t", admin_ids="1, 2;3", emergency_numbers="ambulance=999")
    assert settings.admin_ids == frozenset({1, 2, 3}) and settings.emergency_numbers == {"ambulance": "999"}
    with pytest.raises(ConfigError, match="TIMEZONE"):
        load_settings(telegram_bot_token="t", timezone="Mars/Olympus")
    with pytest.raises(ConfigError, match="DEFAULT_LANGUAGE"):
        load_settings(telegram_bot_token="t", default_language="fr")


def test_run_without_a_token_exits_2_with_one_line(tmp_path):
    env = {"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[2])}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["frontdesk: configuration error: TELEGRAM_BOT_TOKEN is required"]
