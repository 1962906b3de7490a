"""The one place long replies are fitted into Telegram messages (bot/delivery/fit.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.delivery.fit import LIMIT, paginate, size, split, truncate, visible


class _Checker(HTMLParser):
    """Valid HTML as Telegram reads it: every tag closed, in turn."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (tag, self.open)
        self.open.pop()


def _valid(part: str) -> bool:
    checker = _Checker()
    checker.feed(part)
    checker.close()
    return not checker.open


def test_size_counts_what_telegram_counts():
    assert size("abc") == 3 and size("楼") == 1 and size("🚨") == 2


def test_a_short_text_is_one_part_unchanged():
    assert split("#1 water\nAddress: 5-2-302") == ["#1 water\nAddress: 5-2-302"]


def test_a_long_document_is_cut_at_line_breaks_and_loses_nothing():
    lines = [f"2026-09-0{i % 9 + 1} 10:{i % 60:02d} update · line {i:04d} still dripping" for i in range(400)]
    text = "\n".join(lines)
    parts = split(text)
    assert len(parts) > 1 and all(size(p) <= LIMIT for p in parts)
    assert "\n".join(parts).split("\n") == lines          # every line whole, in order


def test_a_quoted_block_cut_in_two_is_closed_and_opened_again():
    text = "#1 is yours now.\n<blockquote expandable>" + "\n".join(f"word {i} &amp; more" for i in range(600)) + \
           "</blockquote>\nAddress: building 5"
    parts = split(text, 1000)
    assert len(parts) > 2 and all(size(p) <= 1000 and _valid(p) for p in parts)
    assert parts[1].startswith("<blockquote expandable>") and parts[0].endswith("</blockquote>")
    assert "".join(visible(p) for p in parts).replace("\n", "") == visible(text).replace("\n", "")


def test_a_line_longer_than_a_message_is_cut_between_words_never_inside_an_entity():
    words = " ".join(["brown&amp;rusty"] * 800)
    parts = split(f"<blockquote>{words}</blockquote>", 1000)
    assert all(size(p) <= 1000 and _valid(p) for p in parts)
    for part in parts:
        inside = part.removeprefix("<blockquote>").removesuffix("</blockquote>")
        assert inside.startswith("brown") and inside.rstrip().endswith("rusty")   # cut at a space


def test_chinese_without_spaces_is_cut_at_punctuation_or_anywhere():
    text = "厨房的水管一直在漏水，地上全是水。" * 400
    parts = split(text, 500)
    assert all(size(p) <= 500 for p in parts) and "".join(parts) == text
    assert all(p.endswith(("，", "。")) for p in parts[:-1])


def test_an_edit_is_cut_short_with_a_mark():
    text = "\n".join(f"line {i}" for i in range(2000))
    cut = truncate(text)
    assert size(cut) <= LIMIT and cut.endswith("\n…") and cut.startswith("line 0\nline 1\n")
    assert truncate("short") == "short"


def test_pages_take_as_many_items_as_fit_and_cover_the_list():
    lengths = [100] * 50 + [3000] + [100] * 10

    def fits(start: int, end: int) -> bool:
        return 200 + sum(lengths[start:end]) <= LIMIT

    pages = paginate(len(lengths), fits, most=30)
    assert pages[0] == (0, 30)
    assert [i for start, end in pages for i in range(start, end)] == list(range(len(lengths)))
    assert all(fits(start, end) for start, end in pages)


def test_an_item_too_long_for_any_page_gets_a_page_of_its_own():
    pages = paginate(3, lambda start, end: end - start == 1 or not start <= 1 < end, most=10)   # item 1 is huge
    assert pages == [(0, 1), (1, 2), (2, 3)]


@pytest.mark.parametrize("count", [0, 1])
def test_an_empty_or_single_list_is_one_page(count):
    assert paginate(count, lambda start, end: True, most=10) == [(0, count)]


def test_any_mix_of_lines_quotes_and_entities_splits_into_valid_parts_that_lose_nothing():
    import random

    rng = random.Random(15)
    pieces = ["水管漏水，", "brown water ", "&amp;", "&lt;b&gt;", "🚨", " ", "\n", "Address: 5-2-302\n"]
    for _ in range(200):
        blocks = []
        for _ in range(rng.randint(1, 12)):
            words = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 400))).strip("\n") or "x"
            blocks.append(f"<blockquote>{words}</blockquote>" if rng.random() < 0.5 else words)
        text = "\n".join(blocks)
        limit = rng.choice([300, 1000, LIMIT])
        parts = split(text, limit)
        assert all(size(p) <= limit and _valid(p) for p in parts), text
        squeeze = lambda s: "".join(s.split())  # noqa: E731  (cuts may drop a line break or a space)
        assert squeeze("".join(visible(p) for p in parts)) == squeeze(visible(text))
