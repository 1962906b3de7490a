"""Every sentence a person reads: jinja2 templates per language, and keyboards.

templates/<lang>/<name>.j2 is one message; templates/<lang>/buttons.j2 holds the button
labels as `{% set name = "..." %}` lines, so a committee rewords both without code.

Messages are Telegram HTML (`Renderer.html`): every value a template shows is escaped, so
nothing a person typed can become markup, and is one line (line breaks and control characters
collapsed), so a name can never start a line of its own that reads like the bot's. People's
words that keep their lines are shown with the `quote` filter: escaped, in a <blockquote>, set
apart from the bot's own lines. Toasts and the command line get plain text (`Renderer.text`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.filters import do_join
from markupsafe import Markup

from bot.config import LANGUAGES
from bot.core import CATEGORIES, URGENCIES

# Telegram refuses texts over 4096 characters; we leave room for the template around them.
MAX_QUOTE = 1500

Button = tuple[str, str]          # (label key in buttons.j2, callback data)
Keyboard = dict[str, Any]          # Bot API JSON for reply_markup


# Control characters, line and paragraph separators, and the bidirectional overrides that can
# make text read in another order than it was written.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shorten(text: str | None, limit: int = MAX_QUOTE) -> str:
    if isinstance(text, Markup):  # already escaped (a macro's output): cut what it shows, never an entity
        return Markup.escape(_shorten(text.unescape(), limit))
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(value: Any) -> Any:
    """A value as templates show it: text on one line, control characters gone. Markup (a
    quote, a macro's output) is left as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _CONTROL.sub(" ", value)
    return value


def _lines_kept(text: str) -> str:
    """People's words with their line breaks, and nothing else that controls the display."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(" ".join(_CONTROL.sub(" ", line).split()) for line in text.split("\n")).strip()


def quote(text: str | None, limit: int = MAX_QUOTE) -> Markup:
    """People's words (a request, an update, a volunteer's message) as a quoted block: escaped,
    shortened, their own line breaks kept inside the quote. Empty words make no block."""
    words = _lines_kept(_shorten(text.unescape() if isinstance(text, Markup) else text, limit))
    return Markup("<blockquote>{}</blockquote>").format(words) if words else Markup("")


def _plain_quote(text: str | None, limit: int = MAX_QUOTE) -> str:
    words = _lines_kept(_shorten(text, limit))
    return f'"{words}"' if words else ""


@jinja2.pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    """jinja's join, each item one line first (a list of names)."""
    items = [one_line(item) for item in value] if attribute is None else value
    return do_join(eval_ctx, items, d, attribute)


# The codes the program writes, read back so a template can name their parts in the reader's
# language (see reason_parts and event_parts).
_VERDICT = re.compile(r"([a-z]+)/([a-z]+): (.+)", re.S)                     # urgent/water: burst
_ROUND = re.compile(r"round (\d+)(?: step (\d+) ([a-z_+]+))?: (.*)", re.S)   # Escalation._fire
_GAP = re.compile(r"step (\d+): ([a-z_]+)")                                  # Escalation (a step skipped)
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

    The details are written by the services (bot/services): alerted "round 2 step 1 on_duty+leader: Zhang, Li" ("-":
    nobody), escalation_gap "step 1: nobody_on_duty", triage_corrected and raised "routine/water -> urgent/water", created the first reasons joined
    by "; ", rated "4", attachment "photo", undeliverable "alert to 7001: unreachable".
    """
    detail = detail or ""
    parts: dict[str, Any] = {"text": detail}
    if kind == "alerted" and (found := _ROUND.fullmatch(detail)):
        names = found[4].strip()
        parts.update(round=int(found[1]), names=[] if names in ("", "-") else names.split(", "),
                     step=int(found[2]) if found[2] else None, audiences=found[3].split("+") if found[3] else [])
    elif kind == "escalation_gap" and (found := _GAP.fullmatch(detail)):
        parts.update(step=int(found[1]), gap=found[2])
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

        def environment(html: bool) -> jinja2.Environment:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(root)),
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                autoescape=html,
                finalize=one_line,
            )
            env.filters.update(shorten=_shorten, reason_parts=reason_parts, event_parts=event_parts, join=_join,
                               quote=quote if html else _plain_quote)
            return env

        self.env = environment(html=False)       # toasts, the command line, texts stored on tickets
        self.html_env = environment(html=True)   # messages: Telegram HTML

    def lang(self, lang: str | None) -> str:
        return lang if lang in LANGUAGES else self.default_language

    def text(self, lang: str | None, name: str, **context: Any) -> str:
        """Plain text: a toast, a line for the command line, words stored on a ticket."""
        template = self.env.get_template(f"{self.lang(lang)}/{name}.j2")
        return template.render(**context).strip()

    def html(self, lang: str | None, name: str, **context: Any) -> Markup:
        """A message in Telegram HTML: every value escaped and on one line, people's words quoted."""
        template = self.html_env.get_template(f"{self.lang(lang)}/{name}.j2")
        return Markup(template.render(**context).strip())

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
