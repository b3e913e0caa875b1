"""The serif font of official documents: Liberation Serif 2 (metric-compatible with Times New
Roman, every Vietnamese letter precomposed), found through fontconfig and embedded in every
PDF. Older Liberation releases lack Vietnamese letters such as "ệ", so a candidate is used only
when its character map covers the whole Vietnamese alphabet."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from fontTools.ttLib import TTFont

__all__ = ["SERIF", "serif_file", "font_faces_css", "FontMissing", "VIETNAMESE"]

SERIF = "Liberation Serif"
STYLES = {"regular": ("Regular", "normal", "normal"), "bold": ("Bold", "bold", "normal"),
          "italic": ("Italic", "normal", "italic"), "bolditalic": ("Bold Italic", "bold", "italic")}
VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
HINT = "install Liberation Serif 2 (Debian: apt-get install fonts-liberation2)"


class FontMissing(RuntimeError):
    pass


def covers_vietnamese(path: Path) -> bool:
    """Whether the font file has a glyph for every Vietnamese letter."""
    try:
        with TTFont(str(path), lazy=True) as font:
            cmap = font.getBestCmap() or {}
    except Exception:  # noqa: BLE001 — an unreadable font file is simply not a candidate
        return False
    return all(ord(c) in cmap for c in VIETNAMESE)


def _candidates(style: str) -> list[Path]:
    pattern = f"{SERIF}:style={STYLES[style][0]}"
    try:
        listed = subprocess.run(["fc-list", "-f", "%{file}\n", pattern], capture_output=True, text=True,
                                check=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.SubprocessError) as err:
        raise FontMissing(f"cannot look up the font {pattern!r} ({err}); {HINT}") from err
    return sorted((Path(p) for p in listed if p.strip()), key=lambda p: "liberation2" not in str(p))


@functools.cache
def serif_file(style: str = "regular") -> Path:
    """The font file of ``style`` (regular, bold, italic, bolditalic) that covers Vietnamese."""
    for path in _candidates(style):
        if path.exists() and covers_vietnamese(path):
            return path
    raise FontMissing(f"no {SERIF} {STYLES[style][0]} with Vietnamese letters is installed; {HINT}")


@functools.cache
def font_faces_css() -> str:
    """``@font-face`` rules binding the family name to exactly those files, for WeasyPrint."""
    return "\n".join(
        f'@font-face {{ font-family: "{SERIF}"; src: url("{serif_file(style).as_uri()}"); '
        f"font-weight: {weight}; font-style: {slant}; }}"
        for style, (_, weight, slant) in STYLES.items())


@functools.cache
def reportlab_serif() -> dict[str, str]:
    """The serif registered with ReportLab once per process: style → ReportLab font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = {}
    for style in STYLES:
        names[style] = f"Serif-{style}"
        pdfmetrics.registerFont(TTFont(names[style], str(serif_file(style))))
    return names


def serif_canvas(*args, **kwargs):
    """A ReportLab canvas that starts in the serif, so no unembedded Helvetica is referenced."""
    from reportlab.pdfgen.canvas import Canvas

    kwargs["initialFontName"] = reportlab_serif()["regular"]
    return Canvas(*args, **kwargs)
