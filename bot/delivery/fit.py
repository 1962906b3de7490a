"""Fitting replies into Telegram messages: pure functions, no Telegram and no I/O.

Telegram refuses a text over 4,096 characters (counted on what the message shows, in UTF-16 code
units). Every long reply goes through here: one long document (a ticket's history, the claim
details) is `split` into several messages at line breaks; a list a person browses is cut into
pages (`paginate`, with ⬅️ ➡️ buttons made by the outbox); an edit, which cannot become two
messages, is cut short at a line break (`truncate`).

Texts are Telegram HTML (what bot.delivery.render makes). A cut never falls inside a tag or an
entity such as &amp;, and a tag open at a cut (a quoted block) is closed at the end of the part
and opened again at the start of the next, so each part is valid HTML on its own. Sizes are
measured on the HTML itself, which is never shorter than what it shows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

LIMIT = 4096

_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>")
_ATOM = re.compile(r"<[^>]*>|&#?\w+;|.", re.S)           # a tag, an entity, or one character
_LINE = re.compile(r"[^\n]*\n|[^\n]+")                 # a line with its line break (only \n breaks one)
_EMPTY_PAIR = re.compile(r"<([a-zA-Z][\w-]*)(?:\s[^>]*)?>(\s*)</\1>")
# where a line too long for one message is best cut: after a space or a sentence's punctuation
_GOOD_CUT = set(" \t，。！？；、,.!?;:：")

Stack = list[tuple[str, str]]   # the tags open at a point: (name, the opening tag as written)


def size(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def visible(text: str) -> str:
    """What a person reads of an HTML text (tags dropped, entities read)."""
    return html.unescape(_TAG.sub("", text))


def _after(stack: Stack, fragment: str) -> Stack:
    stack = list(stack)
    for match in _TAG.finditer(fragment):
        name = match[2].lower()
        if not match[1]:
            stack.append((name, match[0]))
        elif stack and stack[-1][0] == name:
            stack.pop()
    return stack


def _closing(stack: Stack) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: Stack) -> str:
    return "".join(tag for _, tag in stack)


def _pieces(line: str, budget: int) -> list[str]:
    """A line cut into pieces of at most `budget`: at a space or punctuation when one is in the
    second half of the piece, else anywhere between two characters (never inside a tag or entity)."""
    if size(line) <= budget:
        return [line]
    pieces: list[str] = []
    atoms = _ATOM.findall(line)
    start = 0
    while start < len(atoms):
        used, end, cut = 0, start, None
        while end < len(atoms) and used + size(atoms[end]) <= budget:
            used += size(atoms[end])
            if atoms[end] in _GOOD_CUT and used > budget // 2:
                cut = end + 1
            end += 1
        if end < len(atoms) and cut is not None:
            end = cut
        end = max(end, start + 1)   # an atom larger than the budget still moves on
        pieces.append("".join(atoms[start:end]))
        start = end
    return pieces


def split(text: str, limit: int = LIMIT) -> list[str]:
    """A text cut into messages that each fit `limit`, at line breaks where possible."""
    if size(text) <= limit:
        return [text]
    parts: list[str] = []
    stack: Stack = []
    prefix, body = "", ""

    def finish() -> None:
        nonlocal prefix, body
        part = _EMPTY_PAIR.sub(r"\2", prefix + body.rstrip("\n") + _closing(stack))
        if visible(part).strip():
            parts.append(part)
        prefix, body = _opening(stack), ""

    for line in _LINE.findall(text):
        overhead = size(_opening(stack)) + size(_closing(stack))
        for piece in _pieces(line, limit - 2 * overhead - 64):
            then = _after(stack, piece)
            if body and size(prefix + body + piece + _closing(then)) > limit:
                finish()
                piece = piece.lstrip("\n")   # a part does not start with an empty line
            body += piece
            stack = then
    finish()
    return parts or [text[:limit]]


def truncate(text: str, limit: int = LIMIT) -> str:
    """A text cut short to fit one message, at a line break where possible, marked with …"""
    if size(text) <= limit:
        return text
    return split(text, limit - 2)[0] + "\n…"


def paginate(count: int, fits: Callable[[int, int], bool], most: int) -> list[tuple[int, int]]:
    """The pages of a list of `count` items, as (start, end) slices in order: each page holds at
    most `most` items and as many as fit (`fits(start, end)`: does a page of items[start:end]
    fit one message?); an item that fits on no page alone gets a page of its own."""
    pages: list[tuple[int, int]] = []
    start = 0
    while start < count:
        end = min(count, start + most)
        if end - start > 1 and not fits(start, end):
            good, bad = start + 1, end          # the largest end that fits lies in [good, bad)
            while bad - good > 1:
                middle = (good + bad) // 2
                if fits(start, middle):
                    good = middle
                else:
                    bad = middle
            end = good
        pages.append((start, end))
        start = end
    return pages or [(0, 0)]
