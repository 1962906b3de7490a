"""The pure part of /cancel, /reply, /close and the 💬 Message relay (bot/core/ticket_end.py)."""

from __future__ import annotations

import pytest

from bot.core import lifecycle
from bot.core.ticket_end import (
    EMERGENCY, ENDED, EXPIRED, SEND, Command, read_command, relay_outcome, ticket_number
)


@pytest.mark.parametrize("word, number", [("12", 12), ("#12", 12), ("＃１２", 12), ("１２", 12), ("0", 0),
                                          ("abc", None), ("12a", None), ("", None), ("1234567890", None),
                                          ("-3", None), ("٣", None)])
def test_ticket_number(word, number):
    assert ticket_number(word) == number


def test_the_words_keep_their_line_breaks_and_the_command_word_goes():
    assert read_command("/reply@frontdesk_bot 12 Hello,\nthe water is back at 18:00", 100) == \
        Command(12, "Hello,\nthe water is back at 18:00")
    assert read_command("/close #7   answered by phone  ", 100) == Command(7, "answered by phone")


def test_no_number_no_text_and_a_word_that_is_no_number():
    assert read_command("/cancel", 10) == Command(None, "")
    assert read_command("/cancel   ", 10) == Command(None, "")
    assert read_command("/close 3", 10) == Command(3, "")
    assert read_command("/reply twelve hello", 100) == Command(None, "twelve hello", "number")


def test_a_text_over_the_limit_is_a_problem_not_cut():
    assert read_command("/reply 4 " + "x" * 11, 10) == Command(4, "x" * 11, "long")
    assert read_command("/reply 4 " + "x" * 10, 10) == Command(4, "x" * 10)


NOW = 1000.0


def test_a_relay_sends_while_open_and_theirs():
    assert relay_outcome("claimant", NOW + 1, NOW, lifecycle.CLAIMED, True, False) == SEND
    assert relay_outcome("resident", NOW + 1, NOW, lifecycle.CLAIMED, True, False) == SEND


def test_a_relay_expires():
    assert relay_outcome("claimant", NOW, NOW, lifecycle.CLAIMED, True, False) == EXPIRED
    assert relay_outcome("resident", NOW - 1, NOW, lifecycle.CLAIMED, True, False) == EXPIRED


@pytest.mark.parametrize("status", [lifecycle.OPEN, lifecycle.RESOLVED, lifecycle.CLOSED, lifecycle.CANCELLED, None])
def test_a_relay_ends_with_the_claim(status):
    assert relay_outcome("claimant", NOW + 60, NOW, status, True, False) == ENDED
    assert relay_outcome("resident", NOW + 60, NOW, status, True, False) == ENDED


def test_a_relay_ends_when_the_ticket_has_another_claimant():
    assert relay_outcome("claimant", NOW + 60, NOW, lifecycle.CLAIMED, False, False) == ENDED


def test_a_residents_emergency_is_never_only_relayed_open_window_or_not():
    for expires, status in ((NOW + 60, lifecycle.CLAIMED), (NOW - 60, lifecycle.CLAIMED), (NOW + 60, None)):
        assert relay_outcome("resident", expires, NOW, status, True, True) == EMERGENCY
    # the claimant chose to write to the resident: their words go (words of danger are advice, often)
    assert relay_outcome("claimant", NOW + 60, NOW, lifecycle.CLAIMED, True, True) == SEND


def test_the_committee_closes_any_unfinished_ticket_and_only_those():
    for status in lifecycle.ACTIVE:
        assert lifecycle.move("close", status).target == lifecycle.CLOSED
    for status in (lifecycle.CLOSED, lifecycle.CANCELLED):
        assert not lifecycle.can("close", status)
