"""Every sentence a person reads: jinja2 templates per language, and keyboards.

templates/<lang>/<name>.j2 is one message; templates/<lang>/buttons.j2 holds the button
labels as `{% set name = "..." %}` lines, so a committee rewords both without code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from bot.config import LANGUAGES
from bot.core import CATEGORIES, URGENCIES

# Telegram refuses texts over 4096 characters; we leave room for the template around them.
MAX_QUOTE = 1500

Button = tuple[str, str]          # (label key in buttons.j2, callback data)
Keyboard = dict[str, Any]          # Bot API JSON for reply_markup


def _shorten(text: str | None, limit: int = MAX_QUOTE) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# The codes the program writes, read back so a template can name their parts in the reader's
# language (see reason_parts and event_parts).
_VERDICT = re.compile(r"([a-z]+)/([a-z]+): (.+)", re.S)                     # urgent/water: burst
_ROUND = re.compile(r"round (\d+): (.*)", re.S)                            # Alerts.alert
_RELABEL = re.compile(r"([a-z]+)/([a-z]+) -> ([a-z]+)/([a-z]+)")           # Corrections._relabel
_UNDELIVERED = re.compile(r"([a-z_]+) to (-?\d+): ([a-z_]+)")               # Alerts.undeliverable


def _label(urgency: str, category: str) -> tuple[str, str] | None:
    return (urgency, category) if urgency in URGENCIES and category in CATEGORIES else None


def reason_parts(reason: str, labels: dict[str, str]) -> dict[str, Any] | None:
    """One of the triage engine's reasons, in parts a template names (None: not understood,
    show it as written). `labels` is the template's table of reason names (R in _words.j2).

    "urgent/water: burst" -> a verdict: urgency, category and why (a matched term, a label
    such as "past event", or two lexicon families "gas+smell"). Otherwise an optional urgency
    then a known label, and the matched terms after it: "urgent: needed today: 今天" ->
    urgency "urgent", label "needed today", terms ["今天"]. The matched terms stay as written.
    """
    verdict = _VERDICT.fullmatch(reason)
    if verdict and _label(verdict[1], verdict[2]):
        why = verdict[3]
        return {"urgency": verdict[1], "category": verdict[2], "label": why if why in labels else None,
                "why": why, "families": why.split("+") if "+" in why else [], "terms": []}
    urgency, rest = None, reason
    head, colon, tail = reason.partition(": ")
    if colon and head in URGENCIES:
        urgency, rest = head, tail
    for label in sorted(labels, key=len, reverse=True):
        if rest == label or rest.startswith(label + ": "):
            terms = rest[len(label) + 2:]
            return {"urgency": urgency, "category": None, "label": label, "why": None, "families": [],
                    "terms": terms.split(", ") if terms else []}
    return None


def event_parts(kind: str, detail: str | None) -> dict[str, Any]:
    """What a ticket event's detail says, in parts a template names; "text" (the detail as
    written) when it is a person's own words or a format this reader does not know.

    The details are written by the services (bot/services): alerted "round 2: Zhang, Li" ("-": nobody on
    duty), triage_corrected and raised "routine/water -> urgent/water", created the first reasons joined
    by "; ", rated "4", attachment "photo", undeliverable "alert to 7001: unreachable".
    """
    detail = detail or ""
    parts: dict[str, Any] = {"text": detail}
    if kind == "alerted" and (found := _ROUND.fullmatch(detail)):
        names = found[2].strip()
        parts.update(round=int(found[1]), names=[] if names in ("", "-") else names.split(", "))
    elif kind in ("triage_corrected", "raised") and (found := _RELABEL.fullmatch(detail.strip())):
        before, after = _label(found[1], found[2]), _label(found[3], found[4])
        if before and after:
            parts.update(before=before, after=after)
    elif kind == "created" and detail:
        parts.update(reasons=detail.split("; "))
    elif kind == "rated" and detail.isdigit() and 1 <= int(detail) <= 5:
        parts.update(stars=int(detail))
    elif kind == "attachment" and detail:
        parts.update(media=detail)
    elif kind == "undeliverable" and (found := _UNDELIVERED.fullmatch(detail)):
        parts.update(purpose=found[1], chat=found[2], status=found[3])
    return parts


class Renderer:
    def __init__(self, default_language: str = "zh", folder: Path | None = None) -> None:
        self.default_language = default_language
        root = folder or Path(str(resources.files("templates")))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(root)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,  # plain text messages: no parse mode, nothing to escape
        )
        self.env.filters["shorten"] = _shorten
        self.env.filters["reason_parts"] = reason_parts
        self.env.filters["event_parts"] = event_parts

    def lang(self, lang: str | None) -> str:
        return lang if lang in LANGUAGES else self.default_language

    def text(self, lang: str | None, name: str, **context: Any) -> str:
        template = self.env.get_template(f"{self.lang(lang)}/{name}.j2")
        return template.render(**context).strip()

    @lru_cache(maxsize=8)
    def _labels(self, lang: str) -> Any:
        return self.env.get_template(f"{lang}/buttons.j2").module

    @lru_cache(maxsize=8)
    def words(self, lang: str) -> Any:
        """The names of urgencies (U), categories (C), statuses (S) in one language (_words.j2)."""
        return self.env.get_template(f"{self.lang(lang)}/_words.j2").module

    def commands(self, lang: str) -> list[tuple[str, str]]:
        """The command menu of one language (commands.j2)."""
        return list(self.env.get_template(f"{self.lang(lang)}/commands.j2").module.commands)

    def label(self, lang: str | None, key: str, **context: Any) -> str:
        """A button's label; a key like "relay_to:12" fills {arg} with 12 ("Send to #12")."""
        key, _, arg = key.partition(":")
        value = str(getattr(self._labels(self.lang(lang)), key))
        return value.format(arg=arg, **context) if context or arg else value

    def inline(self, lang: str | None, rows: list[list[Button]], **context: Any) -> Keyboard:
        return {
            "inline_keyboard": [
                [{"text": self.label(lang, key, **context), "callback_data": data} for key, data in row]
                for row in rows
            ]
        }

    def contact_keyboard(self, lang: str | None) -> Keyboard:
        """A big "share my phone number" button under the text field."""
        return {
            "keyboard": [[{"text": self.label(lang, "share_phone"), "request_contact": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        }

    @staticmethod
    def remove_keyboard() -> Keyboard:
        return {"remove_keyboard": True}
