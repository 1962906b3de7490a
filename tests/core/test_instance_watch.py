"""The pure parts of one-bot-per-token: when a run of 409s is lasting, and what the log scrubs."""

from __future__ import annotations

import logging

from bot.instance import ConflictWatch
from bot.redact import HIDDEN, hide, scrub


def test_a_run_of_conflicts_is_lasting_once_it_is_as_old_as_the_grace_period():
    watch = ConflictWatch(grace=300)
    assert watch.seen(0) == "started"
    assert [watch.seen(t) for t in (1, 30, 60, 299)] == ["goes_on"] * 4
    assert watch.seen(300) == "lasting"


def test_a_quiet_spell_as_long_as_the_grace_period_starts_a_new_run():
    watch = ConflictWatch(grace=300)
    watch.seen(0)
    assert watch.seen(250) == "goes_on"
    assert watch.seen(551) == "started"          # 301 s without a conflict
    assert watch.seen(800) == "goes_on" and watch.seen(851) == "lasting"


def test_no_grace_stops_at_the_first_conflict():
    assert ConflictWatch(grace=0).seen(10) == "lasting"


def test_the_token_is_scrubbed_as_written_and_url_encoded(caplog):
    hide("42:secret-for-the-scrub-test")
    assert scrub("GET /bot42:secret-for-the-scrub-test/getMe and /bot42%3Asecret-for-the-scrub-test/x") == \
        f"GET /bot{HIDDEN}/getMe and /bot{HIDDEN}/x"
    with caplog.at_level(logging.INFO):
        logging.getLogger("anything").info("url %s", "http://h/bot42:secret-for-the-scrub-test/getMe")
        try:
            raise ValueError("token 42:secret-for-the-scrub-test")
        except ValueError:
            logging.getLogger("anything").exception("failed")
    assert "secret-for-the-scrub-test" not in caplog.text and HIDDEN in caplog.text
    assert "ValueError" in caplog.text                  # the traceback is still there, scrubbed
