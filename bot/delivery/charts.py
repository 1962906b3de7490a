"""The /stats chart: requests per day stacked by category, and the median time to claim by urgency,
as one PNG. matplotlib's object API on the Agg canvas (no pyplot, no display, no global figure
list), so the services draw it in a worker thread (`asyncio.to_thread`) and the chats go on.

Every label is drawn in the font shipped in bot/fonts (Frontdesk CJK: a subset of Noto Sans CJK SC,
made by bot/devtools/cjk_font.py), Latin letters too, so a fresh machine draws Chinese labels and
never falls back to a font without them: if the font cannot be found, drawing fails loudly.

matplotlib is imported at the first chart, not with the bot: its first import on a machine builds
a font cache (and says so), which `frontdesk` commands that draw nothing need not wait for."""

from __future__ import annotations

import io
import logging
import threading
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

from bot.core.stats import Summary, duration
from bot.core.triage import URGENCIES

log = logging.getLogger(__name__)

FAMILY = "Frontdesk CJK"
FONT_FILE = "FrontdeskCJK-Regular.otf"
MOST_CATEGORIES = 7          # more are one "other" band: a phone screen tells seven colours apart
# one colour per band, told apart in print and by most colour-blind readers (Okabe-Ito, then greys)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
URGENCY_COLOURS = {"emergency": "#D55E00", "urgent": "#E69F00", "routine": "#0072B2", "info": "#999999"}

_lock = threading.Lock()     # matplotlib's font cache is shared: one drawing at a time
_font: Path | None = None


def font_path() -> Path:
    return Path(str(resources.files("bot.fonts").joinpath(FONT_FILE)))


def ensure_font() -> Path:
    """Register the shipped font with matplotlib (once) and check that its family resolves to it."""
    from matplotlib import font_manager

    global _font
    if _font is None:
        path = font_path()
        font_manager.fontManager.addfont(str(path))
        found = Path(font_manager.findfont(font_manager.FontProperties(family=FAMILY), fallback_to_default=False))
        if found.resolve() != path.resolve():
            raise RuntimeError(f"the chart font resolves to {found}, not the shipped {path}")
        _font = path
    return _font


def draw(summary: Summary, labels: dict[str, Any]) -> bytes:
    """The PNG of a period's summary. `labels` are the reader's words (templates/<lang>/stats_chart.j2):
    title, axis names, units, and the names of the urgencies and categories."""
    import matplotlib

    ensure_font()
    with _lock, matplotlib.rc_context({"font.family": [FAMILY], "axes.unicode_minus": False}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = _draw(summary, labels)
    for warning in caught:  # a glyph missing from the font is a defect to see, not a box to shrug at
        log.warning("chart: %s", warning.message)
    return png


def _draw(summary: Summary, labels: dict[str, Any]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9.6, 9.0), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, height_ratios=[3, 2])
    figure.suptitle(labels["title"], fontsize=15)
    _per_day(top, summary, labels)
    _to_claim(bottom, summary, labels)
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor="white")
    return out.getvalue()


def _per_day(ax: Any, summary: Summary, labels: dict[str, Any]) -> None:
    totals: dict[str, int] = {}
    for _, counts in summary.days:
        for category, n in counts.items():
            totals[category] = totals.get(category, 0) + n
    ranked = sorted(totals, key=lambda c: (-totals[c], c))
    shown, rest = ranked[:MOST_CATEGORIES], ranked[MOST_CATEGORIES:]
    x = list(range(len(summary.days)))
    base = [0] * len(x)
    bands = [(c, labels["categories"].get(c, c), [d.get(c, 0) for _, d in summary.days]) for c in shown]
    if rest:
        bands.append(("", labels["other"], [sum(d.get(c, 0) for c in rest) for _, d in summary.days]))
    for colour, (_, name, heights) in zip(PALETTE, bands):
        ax.bar(x, heights, bottom=base, color=colour, label=name, width=0.8)
        base = [b + h for b, h in zip(base, heights)]
    step = max(1, len(x) // 10)
    ax.set_xticks(x[::step], [day.strftime("%m-%d") for day, _ in summary.days][::step])
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_ylabel(labels["requests"])
    ax.set_title(labels["per_day"], fontsize=12, loc="left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=10)


def _to_claim(ax: Any, summary: Summary, labels: dict[str, Any]) -> None:
    ax.set_title(labels["to_claim"], fontsize=12, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    urgencies = [u for u in URGENCIES if u in summary.claim_seconds]
    if not urgencies:
        ax.set_axis_off()
        ax.text(0.5, 0.5, labels["none_claimed"], ha="center", va="center", fontsize=12, transform=ax.transAxes)
        return
    # a log scale: three minutes for an emergency and a day for a routine request both show
    minutes = [max(summary.claim_seconds[u] / 60, 0.5) for u in urgencies]
    y = list(range(len(urgencies)))[::-1]
    bars = ax.barh(y, minutes, color=[URGENCY_COLOURS.get(u, "#999999") for u in urgencies], height=0.6)
    ax.set_yticks(y, [labels["urgencies"].get(u, u) for u in urgencies])
    ax.bar_label(bars, ["  " + labels["bar"].format(time=_said(summary.claim_seconds[u], labels["units"]),
                                                    n=summary.claimed.get(u, 0)) for u in urgencies], fontsize=10)
    ax.set_xscale("log")
    ticks = [t for t in TICKS if t[0] <= max(minutes) * 3] or TICKS[:1]
    ax.set_xticks([t[0] for t in ticks], [_tick(t[0], labels["units"]) for t in ticks])
    ax.minorticks_off()
    ax.set_xlim(0.5, max(minutes) * 8)
    ax.set_xlabel(labels["median"])
    ax.grid(axis="x", alpha=0.3)


TICKS = [(1,), (5,), (15,), (60,), (240,), (1440,), (10080,)]   # minutes: the time axis's marks


def _tick(minutes: int, units: dict[str, str]) -> str:
    """A mark on the time axis in the largest whole unit: 15 min, 1 h, 1 days (1 天)."""
    for size, unit in ((1440, "d"), (60, "h")):
        if minutes >= size and minutes % size == 0:
            return f"{minutes // size} {units[unit]}"
    return f"{minutes} {units['m']}"


def _said(seconds: float, units: dict[str, str]) -> str:
    """3 min, 3.5 h, 2 days: in the reader's units (bot/core/stats.duration)."""
    d = duration(seconds) or {"value": 0, "unit": "m"}
    return f"{d['value']} {units[d['unit']]}"
