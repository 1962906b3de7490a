"""After the claim: the ack timer's rules (bot/core/followup.py)."""

from __future__ import annotations

import pytest

from bot.core import followup

NOW = 1_790_000_000.0


def test_default_delays_by_urgency_info_as_routine():
    assert followup.delay("emergency") == 300
    assert followup.delay("urgent") == 3600
    assert followup.delay("routine") == 86400
    assert followup.delay("info") == 86400


def test_a_claim_starts_the_reminder_one_delay_away():
    timer = followup.start("emergency", NOW)
    assert timer == followup.Timer(NOW + 300, followup.REMIND)
    assert followup.due(timer.due_at, timer.stage, NOW + 299) is None
    assert followup.due(timer.due_at, timer.stage, NOW + 300) == "remind"


def test_after_the_reminder_the_release_is_one_delay_later():
    timer = followup.after_reminder("urgent", NOW + 3600)
    assert timer == followup.Timer(NOW + 7200, followup.RELEASE)
    assert followup.due(timer.due_at, timer.stage, NOW + 7199) is None
    assert followup.due(timer.due_at, timer.stage, NOW + 7200) == "release"


def test_no_timer_is_never_due():
    assert followup.due(None, followup.REMIND, NOW) is None


def test_a_word_from_the_claimant_starts_again():
    """On my way after the reminder: the release that was due is a whole delay away again."""
    reminded = followup.after_reminder("emergency", NOW)
    again = followup.start("emergency", NOW + 200)
    assert again.stage == followup.REMIND and again.due_at == NOW + 500 > reminded.due_at


def test_configured_delays():
    delays = followup.parse_delays("emergency=2m, urgent=90m;routine=2d")
    assert delays == {"emergency": 120, "urgent": 5400, "routine": 172800}
    assert followup.start("info", NOW, delays).due_at == NOW + 172800
    assert followup.parse_delays("urgent=30m") == {"emergency": 300, "urgent": 1800, "routine": 86400}
    assert followup.parse_delay("1.5h") == 5400 and followup.parse_delay(" 60 S ") == 60


@pytest.mark.parametrize("text, words", [
    ("urgent=0m", "out of range"),             # zero
    ("urgent=3650d", "out of range"),          # ten years
    ("urgent=30s", "out of range"),            # under the tick
    ("urgent=5", "not a delay"),               # no unit
    ("urgent=5w", "not a delay"),
    ("soon=5m", "urgency=delay"),              # unknown urgency
    ("urgent", "urgency=delay"),
    ("urgent=5m,urgent=10m", "twice"),
])
def test_bad_delays_are_named(text, words):
    with pytest.raises(ValueError, match=words):
        followup.parse_delays(text)


def test_the_setting_is_validated():
    from bot.config import ConfigError, load_settings

    settings = load_settings(telegram_bot_token="x", ack_reminders="emergency=10m")
    assert settings.ack_reminders["emergency"] == 600 and settings.ack_reminders["routine"] == 86400
    with pytest.raises(ConfigError, match="ACK_REMINDERS .*out of range"):
        load_settings(telegram_bot_token="x", ack_reminders="urgent=0h")
