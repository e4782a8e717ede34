"""The evidence chart of a commissioning candidate (调适候选证据图), as PNG.

中文：调适候选建筑的证据图——典型日负荷曲线、逐月基础负荷、逐日用电，及（如可计量）同时供冷供热
与冷站能效。

One figure per building from
:meth:`carbonpeak.services.buildings.commissioning.Commissioning.evidence`
(the same series the API gives to ECharts): a panel per chart, Chinese titles and axis
labels with units. Drawn on the reports' chart foundation (:mod:`carbonpeak.publish.charts`):
the CJK font of :func:`carbonpeak.publish.fonts.cjk_font` (a clear error naming the package
to install when it is missing, and one for any character it lacks), no pyplot, one chart at
a time under that module's lock, and a PNG without software tag: the same evidence gives the
same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# _style: the shared rc parameters and lock of the reports' charts (matplotlib's rcParams are
# global; one lock for every chart of the process)
from carbonpeak.publish.charts import _style, figure, png

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["evidence_png"]

_COLORS = ("#3b6ea8", "#d9822b", "#6a9f58", "#9b4f96")


def _fmt(v: float | None, digits: int = 0, unit: str = "") -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}{(' ' + unit) if unit else ''}"


def _panel(ax: Axes, chart: dict[str, Any]) -> None:
    x = list(range(len(chart["x"])))
    bars = [s for s in chart["series"] if s.get("type", chart["type"]) == "bar"
            and s["y_axis"] == 0]
    width = 0.8 / max(len(bars), 1)
    twin: Axes | None = None
    handles: list[Any] = []
    for k, s in enumerate(chart["series"]):
        kind = s.get("type", chart["type"])
        data = [float("nan") if v is None else v for v in s["data"]]
        target = ax
        if s["y_axis"] == 1:
            if twin is None:
                twin = ax.twinx()
                twin.spines["right"].set_visible(True)
                twin.set_ylabel(chart.get("y2_name_zh", ""))
            target = twin
        color = _COLORS[k % len(_COLORS)]
        if kind == "bar" and len(x) > 40:  # daily: one filled step outline per series
            handles.append(target.fill_between(x, 0.0, data, step="mid", color=color,
                                               label=s["name_zh"], linewidth=0))
        elif kind == "bar":
            j = bars.index(s) if s in bars else 0
            offset = (j - (len(bars) - 1) / 2) * width
            shown = [i for i in x if s["data"][i] is not None]  # no patch for a gap
            handles.append(target.bar([i + offset for i in shown], [data[i] for i in shown],
                                      width=width, color=color, label=s["name_zh"],
                                      linewidth=0))
        else:
            (line,) = target.plot(x, data, color=color, marker="o" if len(x) <= 24 else "",
                                  markersize=3, linewidth=1.2, label=s["name_zh"])
            handles.append(line)
    for k, ln in enumerate(chart.get("lines", [])):
        if ln["value"] is not None:
            handles.append(ax.axhline(ln["value"], color="#555555",
                                      linestyle=("--", ":")[k % 2], linewidth=0.9,
                                      label=f"{ln['name_zh']} {_fmt(ln['value'], 1)}"))
    for band in chart.get("bands", [])[:1]:  # the night window, shaded
        start, end = band["hours"]
        spans = [(start, end)] if start < end else [(start, 24), (0, end)]
        for a, b in spans:
            ax.axvspan(a - 0.5, b - 0.5, color="#dddddd", alpha=0.5, linewidth=0)
    # from zero, with head room for the legend
    for a in (ax, twin):
        if a is not None:
            a.set_ylim(0, a.get_ylim()[1] * 1.3)
    n = len(x)
    if chart["id"] == "profile":  # hours 0, 2, …, 22
        ticks = x[::2]
        labels = [chart["x"][i][:2] for i in ticks]
    elif n > 40:  # daily: one tick a month, as MM-DD
        ticks = [i for i, d in enumerate(chart["x"]) if d.endswith("-01")]
        labels = [chart["x"][i][5:] for i in ticks]
    else:
        ticks, labels = x, list(chart["x"])
    ax.set_xticks(ticks, labels, rotation=45 if n > 40 else 0, fontsize=6.5)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_title(chart["title_zh"], loc="left")
    ax.set_xlabel(chart["x_name_zh"])
    ax.set_ylabel(chart["y_name_zh"])
    ax.grid(axis="y", linewidth=0.4, alpha=0.5)
    ax.legend(handles=handles, fontsize=6.5, frameon=False, loc="upper left",
              ncols=min(len(handles), 4))


def evidence_png(evidence: dict[str, Any], *, dpi: float = 150.0) -> bytes:
    """The evidence of one building as a PNG (one panel per chart of ``evidence``).

    Raises
    ------
    ConfigError
        No Chinese font installed, or a character the font lacks.
    """
    it = evidence["item"]
    charts = evidence["charts"]
    findings = "问题：" + ("；".join(f["message_zh"] for f in it["findings"])
                         or "未发现超过阈值的问题")
    if it.get("caveats"):
        findings += "。注意：" + "；".join(c["zh"] for c in it["caveats"])
    fig = figure(180.0, 22.0 + 62.0 * len(charts))
    with _style():
        fig.suptitle(
            f"{it['name']}（{it['entity_id']}）{evidence['year']}年调适候选 第{it['rank']}名\n"
            f"夜间基础负荷比 {_fmt(it['base_load_ratio'], 2)}，非工作日/工作日 "
            f"{_fmt(it['weekend_ratio'], 2)}，负荷率 {_fmt(it['load_factor'], 2)}，"
            f"可避免电量 {_fmt(it['avoidable_kwh'], 0, 'kWh')}",
            fontsize=9.5, x=0.01, ha="left")
        axes = fig.subplots(len(charts), 1, squeeze=False)[:, 0]
        for ax, chart in zip(axes, charts, strict=True):
            _panel(ax, chart)
        fig.supxlabel(_wrap(findings, 64), fontsize=7, x=0.01, ha="left")
    return png(fig, dpi=dpi)


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))
