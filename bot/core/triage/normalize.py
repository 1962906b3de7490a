"""Text normalisation: one canonical form for many ways of writing the same words."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NON_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_NON_LATIN = re.compile(r"[^0-9a-z]+")
# English contractions folded so that "can't", "cant" and "can not" are one token.
_CONTRACTIONS = [
    (re.compile(r"\bcan ?not\b|\bcan'?t\b"), "cant"),
    (re.compile(r"\bwon'?t\b|\bwill not\b"), "wont"),
    (re.compile(r"\b(do|does|did|is|was|are|were|has|have|had|could|would|should)n'?t\b"), r"\1nt"),
    (re.compile(r"\bi'?m\b"), "i am"),
    (re.compile(r"\b(he|she|it|that|there)'?s\b"), r"\1 is"),
]
# A cry written as a sign is the word: the SOS emoji (it has no compatibility decomposition, so
# NFKC keeps it) and S.O.S / S O S spelt out letter by letter (issue #15: "🆘" alone was routine).
_SOS_SIGN = "\U0001F198"
_SOS_SPELT = re.compile(r"(?<![a-z])s[.\s]+o[.\s]+s(?![a-z])")


def han_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _HAN.match(ch)) / len(letters)


@lru_cache(maxsize=4096)
def normalize(text: str) -> tuple[str, str]:
    """Return (han, latin): simplified Chinese with no spaces or punctuation, and
    lower-case English words separated by single spaces and padded with spaces.

    Both forms come from the same text, so a mixed message is searched in both.
    """
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    text = _SOS_SPELT.sub(" sos ", text.replace(_SOS_SIGN, " sos "))
    text = _T2S.convert(text)
    latin = text
    for pattern, replacement in _CONTRACTIONS:
        latin = pattern.sub(replacement, latin)
    latin = " " + " ".join(_NON_LATIN.sub(" ", latin).split()) + " "
    han = _NON_WORD.sub("", text)
    return han, latin
