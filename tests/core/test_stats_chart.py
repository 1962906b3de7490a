"""The /stats chart (bot/delivery/charts.py): drawn with the CJK font shipped in bot/fonts, never a
fallback without Chinese glyphs, and a real PNG in both languages."""

from __future__ import annotations

import io
import logging
import warnings
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fontTools.ttLib import TTFont
from matplotlib import font_manager, image

from bot.core import periods
from bot.core.stats import Group, Timing, day_series, summarize
from bot.delivery import Renderer, charts

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=ZoneInfo(TZ)).timestamp()


def labels(lang: str) -> dict:
    renderer = Renderer()
    chart = renderer.env.get_template(f"{lang}/stats_chart.j2").module
    words = renderer.words(lang)
    keys = ("per_day", "requests", "to_claim", "median", "none_claimed", "other", "bar")
    return {**{k: getattr(chart, k) for k in keys}, "title": chart.title.format(start="2026-11-24", end="2026-11-30",
                                                                                grids=chart.grids.format(grids="G1")),
            "categories": dict(words.C), "urgencies": dict(words.U), "units": dict(chart.units)}


def a_week():
    period = periods.parse("7d", NOW, TZ)
    categories = ["water", "lift", "power", "medical", "sanitation", "infrastructure", "care", "security", "admin"]
    hours = [(h, categories[h % len(categories)], 1 + h % 3) for h in range(0, 7 * 24 - 10, 5)]
    groups = [Group("routine", "water", "G1", 20), Group("urgent", "lift", "G1", 5)]
    timings = [Timing("emergency", 180), Timing("urgent", 1500), Timing("routine", 5 * 3600)]
    return summarize(period, ["G1"], groups, timings, day_series(period, TZ, hours))


def test_the_shipped_font_is_the_one_matplotlib_uses():
    path = charts.ensure_font()
    assert path == charts.font_path() and path.is_file()
    assert 500_000 < path.stat().st_size < 4_000_000                   # a subset, not the 16 MB original
    assert (path.parent / "OFL.txt").read_text("utf-8").startswith("Copyright")
    found = font_manager.findfont(font_manager.FontProperties(family=charts.FAMILY), fallback_to_default=False)
    assert Path(found).resolve() == path.resolve()


def test_every_character_of_the_chinese_labels_is_in_the_font():
    cmap = TTFont(str(charts.font_path()))["cmap"].getBestCmap()
    words = labels("zh")
    text = "".join(str(v) for v in words.values() if isinstance(v, str))
    text += "".join(words["categories"].values()) + "".join(words["urgencies"].values()) + "".join(words["units"].values())
    missing = {c for c in text if not c.isspace() and ord(c) not in cmap}
    assert not missing


def test_chinese_labels_render_without_a_missing_glyph(caplog):
    caplog.set_level(logging.WARNING, logger="bot.delivery.charts")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                               # any warning at all fails the test
        png = charts.draw(a_week(), labels("zh"))
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = image.imread(io.BytesIO(png), format="png").shape[:2]
    assert width >= 800 and height >= 600


def test_a_missing_glyph_is_told_not_hidden(caplog):
    """The check above can fail: a character outside the subset is reported."""
    caplog.set_level(logging.WARNING, logger="bot.delivery.charts")
    words = labels("zh")
    words["title"] = "𪚥 " + words["title"]                          # a rare hanzi, outside GB2312
    charts.draw(a_week(), words)
    assert any("missing" in r.getMessage().lower() for r in caplog.records)


def test_english_and_a_period_nobody_claimed_in(caplog):
    caplog.set_level(logging.WARNING, logger="bot.delivery.charts")
    summary = a_week()
    summary.claim_seconds.clear()
    png = charts.draw(summary, labels("en"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and not caplog.records
