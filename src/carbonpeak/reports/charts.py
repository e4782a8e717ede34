"""Charts of the reports (matplotlib): the CJK font, and SVG/PNG that are the same bytes for
the same data.

中文：报告图表——中文字体、同样数据生成同样字节的 SVG/PNG。

No pyplot (no global figure state; safe in the API's worker threads): a chart is a
:class:`matplotlib.figure.Figure` made by :func:`figure`, saved by :func:`svg` or :func:`png`
under :data:`RC` (the CJK face, text drawn as paths so the SVG needs no font, a fixed hash
salt and no dates). Every text of a figure is checked against the font first: a character
the font lacks is an error naming it, never a missing-glyph box in a published chart.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from carbonpeak.errors import ConfigError
from carbonpeak.reports.fonts import cjk_font, missing_glyphs

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["RC", "data_uri", "figure", "hbar", "png", "svg"]

MM = 1 / 25.4  # inch
RC: dict[str, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "carbonpeak",
    "svg.id": None,
    "text.parse_math": False,  # a "$" in a name is a dollar sign
    "axes.unicode_minus": False,
    "font.size": 8.0,
    "axes.titlesize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100.0,
    "savefig.dpi": 200.0,
    "path.simplify": True,
}
# matplotlib's rcParams are global: one chart at a time
_LOCK = threading.RLock()


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl  # noqa: PLC0415 - slow to import; only for charts
    from matplotlib import font_manager  # noqa: PLC0415

    font = cjk_font()
    if font.family not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(font.path))
    rc: dict[Any, Any] = {**RC, "font.family": "sans-serif", "font.sans-serif": [font.family]}
    with _LOCK, mpl.rc_context(rc):
        yield


def figure(width_mm: float = 160.0, height_mm: float = 70.0) -> Figure:
    """An empty figure of the given size (A4 text width is 170 mm portrait)."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    with _style():
        return Figure(figsize=(width_mm * MM, height_mm * MM), layout="constrained")


def _check_glyphs(fig: Figure) -> None:
    from matplotlib.text import Text  # noqa: PLC0415

    text = "".join(t.get_text() for t in fig.findobj(Text))
    missing = missing_glyphs(text)
    if missing:
        msg = ("the chart font has no glyph for " + ", ".join(
            f"{c!r} (U+{ord(c):04X})" for c in missing) + " 图表字体缺字")
        raise ConfigError(msg)


def svg(fig: Figure) -> bytes:
    """The figure as SVG: the same bytes for the same figure (no date, fixed ids)."""
    with _style():
        _check_glyphs(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def png(fig: Figure, dpi: float = 200.0) -> bytes:
    """The figure as PNG: the same bytes for the same figure (no software tag)."""
    with _style():
        _check_glyphs(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def data_uri(data: bytes, mime: str = "image/svg+xml") -> str:
    """A ``data:`` URI of an image, for a self-contained HTML report."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def hbar(labels: Sequence[str], values: Sequence[float], *, title: str = "",
         xlabel: str = "", colors: Sequence[str] | None = None, digits: int = 0,
         width_mm: float = 160.0) -> Figure:
    """Horizontal bars, first label on top, each bar labelled with its value."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    n = len(labels)
    fig = figure(width_mm, 12.0 + 6.0 * max(n, 1))
    with _style():
        ax = fig.add_subplot()
        if digits == 0:  # counts: whole ticks
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        y = list(range(n))[::-1]
        bars = ax.barh(y, list(values), color=list(colors) if colors else "#4a7ab5",
                       height=0.6)
        ax.set_yticks(y, list(labels))
        ax.bar_label(bars, labels=[f"{v:,.{digits}f}" for v in values], padding=3)
        ax.margins(x=0.15)
        if title:
            ax.set_title(title, loc="left")
        if xlabel:
            ax.set_xlabel(xlabel)
    return fig
