"""Every sentence a person reads: jinja2 templates per language, and keyboards.

templates/<lang>/<name>.j2 is one message; templates/<lang>/buttons.j2 holds the button
labels as `{% set name = "..." %}` lines, so a committee rewords both without code.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from bot.config import LANGUAGES

# Telegram refuses texts over 4096 characters; we leave room for the template around them.
MAX_QUOTE = 1500

Button = tuple[str, str]          # (label key in buttons.j2, callback data)
Keyboard = dict[str, Any]          # Bot API JSON for reply_markup


def _shorten(text: str | None, limit: int = MAX_QUOTE) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
