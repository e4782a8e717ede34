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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from carbonpeak.errors import ConfigError
from carbonpeak.publish.fonts import cjk_font, missing_glyphs

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PALETTE", "RC", "Series", "boxes", "choropleth", "data_uri", "figure", "hbar",
           "line_panels", "png", "svg", "waterfall"]

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


# -- charts of the white paper -----------------------------------------------------------------
#: colours of series in order (colour-blind safe, Okabe-Ito)
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#444444")


@dataclass(frozen=True)
class Series:
    """One line of a :func:`line_panels` panel: ``y`` may hold ``None`` (a gap)."""

    label: str
    x: Sequence[int | float]
    y: Sequence[float | None]
    color: str = PALETTE[0]
    style: str = "-"
    marker: str = "o"
    band: tuple[Sequence[float | None], Sequence[float | None]] | None = None  # low, high


def _nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _thousands(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    fmt = FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.4g}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def line_panels(panels: Sequence[Mapping[str, Any]], *, columns: int = 2,
                width_mm: float = 170.0, panel_height_mm: float = 55.0) -> Figure:
    """Small multiples of lines over years: each panel a mapping with ``title``, ``ylabel``,
    ``series`` (:class:`Series`) and optionally ``vline`` (``(x, label)``, e.g. a deadline).
    Whole-year ticks; a legend per panel."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    n = max(len(panels), 1)
    cols = min(columns, n)
    rows = -(-n // cols)
    fig = figure(width_mm, panel_height_mm * rows)
    with _style():
        axes = fig.subplots(rows, cols, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(panels):
                ax.set_axis_off()
                continue
            panel = panels[i]
            for sr in panel["series"]:
                if sr.band is not None:
                    ax.fill_between(list(sr.x), _nan(sr.band[0]), _nan(sr.band[1]),
                                    color=sr.color, alpha=0.15, linewidth=0)
                ax.plot(list(sr.x), _nan(sr.y), linestyle=sr.style, marker=sr.marker or None,
                        markersize=3, color=sr.color, label=sr.label, linewidth=1.4)
            if panel.get("vline"):
                x, label = panel["vline"]
                ax.axvline(x, color="#888888", linestyle=":", linewidth=1)
                ax.annotate(label, xy=(x, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(-3, -3), textcoords="offset points", ha="right",
                            va="top", fontsize=7, color="#555555")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            _thousands(ax)
            ax.set_title(str(panel.get("title", "")), loc="left")
            if panel.get("ylabel"):
                ax.set_ylabel(str(panel["ylabel"]))
            ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
            if panel["series"]:
                ax.legend(fontsize=6.5, frameon=False)
    return fig


def waterfall(labels: Sequence[str], values: Sequence[float], *, total_label: str,
              ylabel: str = "", digits: int = 0, width_mm: float = 150.0,
              height_mm: float = 70.0) -> Figure:
    """The contributions to a change as a waterfall: each bar starts where the previous one
    ended (increases red, decreases green), and a last bar from zero shows the total."""
    fig = figure(width_mm, height_mm)
    with _style():
        ax = fig.add_subplot()
        start = 0.0
        x = list(range(len(values) + 1))
        bottoms, heights, colors = [], [], []
        for v in values:
            bottoms.append(start if v >= 0 else start + v)
            heights.append(abs(v))
            colors.append("#c62828" if v > 0 else "#2e7d32")
            start += v
        bottoms.append(min(0.0, start))
        heights.append(abs(start))
        colors.append("#4a7ab5")
        shown = [*values, start]
        ends = [b + h for b, h in zip(bottoms, heights, strict=True)]
        low, high = min(0.0, *bottoms), max(0.0, *ends)
        span = (high - low) or 1.0
        tiny = 0.015 * span  # a bar thinner than this is drawn this thick (still visible)
        drawn = [max(h, tiny) for h in heights]
        drawn_bottoms = [b - (d - h) / 2 for b, h, d in zip(bottoms, heights, drawn,
                                                              strict=True)]
        ax.bar(x, drawn, bottom=drawn_bottoms, color=colors, width=0.6)
        pad = 0.02 * span
        for xi, v, b, h in zip(x, shown, drawn_bottoms, drawn, strict=True):
            # the label at the bar's end: above an increase, below a decrease
            if v >= 0:
                ax.text(xi, b + h + pad, f"{v:+,.{digits}f}", ha="center", va="bottom",
                        fontsize=7)
            else:
                ax.text(xi, b - pad, f"{v:+,.{digits}f}".replace("-", "−"), ha="center",
                        va="top", fontsize=7)
        for i in range(len(values)):  # connectors between the bars
            level = sum(values[: i + 1])
            ax.plot([i + 0.3, i + 0.7], [level, level], color="#888888", linewidth=0.6)
        ax.axhline(0, color="#333333", linewidth=0.6)
        # explicit limits with room for the labels (no sticky edges at the bars' ends)
        ax.use_sticky_edges = False
        ax.set_ylim(low - 0.14 * span, high + 0.14 * span)
        ax.set_xlim(-0.6, len(x) - 0.4)
        ax.set_xticks(x, [*labels, total_label])
        _thousands(ax)
        if ylabel:
            ax.set_ylabel(ylabel)
    return fig


def boxes(labels: Sequence[str], groups: Sequence[Sequence[float]], *, xlabel: str = "",
          log: bool = False, width_mm: float = 160.0) -> Figure:
    """The distribution of each group as a horizontal box plot (quartiles, whiskers to the
    extremes) with every value drawn as a dot; first label on top; ``log``: a logarithmic
    value axis (for groups an order of magnitude apart)."""
    n = len(labels)
    fig = figure(width_mm, 14.0 + 8.0 * max(n, 1))
    with _style():
        ax = fig.add_subplot()
        pos = list(range(n, 0, -1))
        data = [list(g) if len(g) else [float("nan")] for g in groups]
        ax.boxplot(data, positions=pos, orientation="horizontal", widths=0.55,
                   whis=(0, 100), showfliers=False, patch_artist=True,
                   boxprops={"facecolor": "#dce6f2", "edgecolor": "#4a7ab5"},
                   medianprops={"color": "#d55e00"}, whiskerprops={"color": "#4a7ab5"},
                   capprops={"color": "#4a7ab5"})
        for p, g in zip(pos, groups, strict=True):
            k = len(g)
            offsets = [(-0.18 + 0.36 * j / (k - 1)) if k > 1 else 0.0 for j in range(k)]
            ax.scatter(list(g), [p + o for o in offsets], s=6, color="#333333", zorder=3)
        ax.set_yticks(pos, list(labels))
        ax.set_ylim(0.4, n + 0.6)
        if log:
            from matplotlib.ticker import FixedLocator, NullFormatter  # noqa: PLC0415

            ax.set_xscale("log")
            values = [float(v) for g in groups for v in g if v > 0]
            lo, hi = (min(values), max(values)) if values else (1.0, 10.0)
            # readable plain ticks 1-2-5 per decade (…, 20, 50, 100, 200, 500, 1,000, …)
            ticks = [m * 10.0 ** e for e in range(-3, 8) for m in (1, 2, 5)
                     if lo / 1.5 <= m * 10.0 ** e <= hi * 1.5]
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            _thousands(ax, "x")
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlim(lo / 1.3, hi * 1.3)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        if xlabel:
            ax.set_xlabel(xlabel)
    return fig


def _rings(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    """The polygons of a GeoJSON Polygon or MultiPolygon (each: exterior, then holes)."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coords]
    if kind == "MultiPolygon":
        return list(coords)
    msg = f"a map shape must be a Polygon or MultiPolygon, not {kind!r}"
    raise ConfigError(msg)


def choropleth(shapes: Sequence[tuple[str, Mapping[str, Any], float | None]], *,
               legend: str, note: str = "", width_mm: float = 150.0,
               height_mm: float = 120.0, digits: int = 0) -> Figure:
    """Areas (GeoJSON Polygon/MultiPolygon in lon/lat) coloured by value with a colour bar;
    each area labelled with its name and value; an area without a value is grey and
    hatched. ``note`` is printed under the map (e.g. that the boundaries are approximate)."""
    import math  # noqa: PLC0415

    from matplotlib import colormaps  # noqa: PLC0415
    from matplotlib.cm import ScalarMappable  # noqa: PLC0415
    from matplotlib.collections import PatchCollection  # noqa: PLC0415
    from matplotlib.colors import Normalize  # noqa: PLC0415
    from matplotlib.patches import PathPatch  # noqa: PLC0415
    from matplotlib.path import Path  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    fig = figure(width_mm, height_mm)
    with _style():
        ax = fig.add_subplot()
        values = [v for _, _, v in shapes if v is not None]
        norm = Normalize(vmin=min(values, default=0.0), vmax=max(values, default=1.0))
        cmap = colormaps["YlOrRd"]
        patches, colors, lats = [], [], []
        labels: list[tuple[float, float, str, str]] = []
        for name, geometry, value in shapes:
            polys = _rings(geometry)
            biggest: list[list[float]] = []
            for poly in polys:
                verts: list[tuple[float, float]] = []
                codes: list[int] = []
                for ring in poly:
                    ring_pts = [(float(x), float(y)) for x, y, *_ in ring]
                    verts += ring_pts
                    codes += [int(Path.MOVETO)] + [int(Path.LINETO)] * (len(ring_pts) - 1)
                    lats += [y for _, y in ring_pts]
                patches.append(PathPatch(Path(verts, codes)))
                colors.append(cmap(norm(value)) if value is not None else (0.85, 0.85, 0.85,
                                                                           1.0))
                if len(poly[0]) > len(biggest):
                    biggest = poly[0]
            if biggest:
                pts = biggest[:-1] if biggest[0] == biggest[-1] else biggest
                cx = sum(p[0] for p in pts) / len(pts)
                cy = sum(p[1] for p in pts) / len(pts)
                shown = "—" if value is None else f"{value:,.{digits}f}"
                dark = value is not None and norm(value) > 0.6  # dark fill: white text
                labels.append((cx, cy, f"{name}\n{shown}", "white" if dark else "#1a1a1a"))
        coll = PatchCollection(patches, facecolors=colors, edgecolors="#555555",
                               linewidths=0.6)
        ax.add_collection(coll)
        ax.autoscale_view()
        mid = (min(lats) + max(lats)) / 2 if lats else 0.0
        ax.set_aspect(1 / max(math.cos(math.radians(mid)), 0.1))
        for cx, cy, text, color in labels:
            ax.text(cx, cy, text, ha="center", va="center", fontsize=6, color=color)
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7)
        bar.set_label(legend)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        if note:
            fig.text(0.01, 0.01, note, fontsize=6.5, color="#8e1b1b", ha="left", va="bottom",
                     wrap=True)
    return fig
