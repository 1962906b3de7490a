"""Regenerate the CJK font the charts use (bot/fonts/FrontdeskCJK-Regular.otf): Noto Sans CJK SC
(SIL OFL 1.1) cut down to the characters a chart can need, so Chinese labels render on a fresh
machine without a 16 MB font in the package.

    python -m bot.devtools.cjk_font path/to/NotoSansCJKsc-Regular.otf

(the font is in the mplfonts wheel: `mplfonts/fonts/NotoSansCJKsc-Regular.otf`). The set: ASCII,
GB2312's symbol and full-width rows (CJK punctuation), its 3,755 level-1 hanzi, and every
character of the Chinese templates. The family is renamed "Frontdesk CJK", as the OFL asks of a
modified version, and so a system's full Noto can never be mistaken for ours in the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bot" / "fonts" / "FrontdeskCJK-Regular.otf"
FAMILY = "Frontdesk CJK"


def gb2312(rows: range) -> set[str]:
    """The characters of GB2312 rows (1-based, as the standard counts them)."""
    found = set()
    for row in rows:
        for cell in range(1, 95):
            try:
                found.add(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return found


def characters() -> set[str]:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= gb2312(range(1, 10))      # symbols, numerals, full-width forms, kana, Greek, Cyrillic, box
    chars |= gb2312(range(16, 56))     # level-1 hanzi (by pinyin)
    chars |= set("·–—…‘’“”•°×÷≤≥←→↑↓…％")
    for template in (ROOT / "templates" / "zh").glob("*.j2"):
        chars |= {c for c in template.read_text("utf-8") if ord(c) >= 0x2E80}
    return chars


def build(source: Path, out: Path = OUT) -> int:
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.hinting = False          # Agg renders unhinted well; halves the size
    options.desubroutinize = False
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters())))
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 4):
            names.setName(f"{FAMILY} Regular", record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName("FrontdeskCJK-Regular", record.nameID, record.platformID, record.platEncID, record.langID)
    if "CFF " in font:  # the PostScript name inside the CFF table too
        cff = font["CFF "].cff
        cff.fontNames = ["FrontdeskCJK-Regular"]
        top = cff.topDictIndex[0]
        for key in ("FamilyName", "FullName"):
            if hasattr(top, key):
                setattr(top, key, FAMILY if key == "FamilyName" else f"{FAMILY} Regular")
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    return out.stat().st_size


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    size = build(Path(argv[0]))
    print(f"{OUT.relative_to(ROOT)}: {size / 1e6:.2f} MB, {len(characters())} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
