"""The pure rules of /broadcast: what the admin typed, Telegram's count, the progress."""

from __future__ import annotations

from bot.core import broadcast as rules


def test_parse_keeps_the_lines_of_the_text_and_takes_the_first_word_as_the_audience():
    assert rules.parse("/broadcast G1 Water off\n\ntomorrow 9-12") == ("G1", "Water off\n\ntomorrow 9-12")
    assert rules.parse("/broadcast all\nline one\nline two") == ("all", "line one\nline two")
    assert rules.parse("/broadcast@frontdesk_bot 全部　明天停水") == ("全部", "明天停水")   # a full-width space
    assert rules.parse("/broadcast 7号楼") == ("7号楼", "")
    assert rules.parse("/broadcast") == (None, "")
    assert rules.parse("/broadcast   ") == (None, "")
    assert rules.parse(None) == (None, "")


def test_all_in_both_languages():
    assert rules.is_all("ALL") and rules.is_all("全部") and rules.is_all("所有人")
    assert not rules.is_all("G1")


def test_telegram_counts_utf16_units():
    assert rules.utf16("abc") == 3
    assert rules.utf16("停水") == 2
    assert rules.utf16("📢") == 2          # outside the BMP: a surrogate pair


def test_progress_counts_skipped_recipients_as_unreachable_and_the_rest_as_left():
    p = rules.progress({"sent": 5, "unreachable": 1, "failed": 1, "pending": 3}, total=12, skipped=2)
    assert (p.sent, p.unreachable, p.failed, p.left) == (5, 3, 1, 3)
    assert p.done == 9
    # people who registered after Send are counted as they are queued: never a negative "left"
    assert rules.progress({"sent": 12, "pending": 2}, total=12, skipped=0).left == 2


def test_a_stopped_broadcast_counts_who_it_did_not_reach_apart():
    p = rules.progress({"sent": 4, "cancelled": 6}, total=10, skipped=0, stopped=True)
    assert (p.sent, p.failed, p.stopped, p.left) == (4, 0, 6, 0)
    # and those never queued (the broadcast is queued in batches)
    assert rules.progress({"sent": 4, "cancelled": 2}, total=10, skipped=1, stopped=True).stopped == 5
    assert rules.progress({"sent": 4, "cancelled": 1}, total=5, skipped=0).failed == 1


def test_time_left_from_the_recent_rate():
    assert rules.seconds_left([], 10) is None
    assert rules.seconds_left([(0.0, 0)], 10) is None
    assert rules.seconds_left([(0.0, 0), (10.0, 300)], 600) == 20.0          # 30 a second
    # only the last `span` seconds count: a slow start does not slow the estimate
    samples = [(0.0, 0), (10.0, 10), (20.0, 310), (30.0, 610)]
    assert rules.seconds_left(samples, 300, span=20.0) == 10.0
    assert rules.seconds_left([(0.0, 5), (5.0, 5)], 10) is None              # nothing moved: no guess
    assert rules.seconds_left([(0.0, 5)], 0) == 0.0
    assert rules.minutes_and_seconds(125.4) == (2, 5)
