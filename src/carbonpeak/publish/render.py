"""Rendering of the reports: Jinja2 templates to one self-contained HTML file, HTML to PDF.

中文：报告渲染——Jinja2 模板生成独立 HTML，WeasyPrint 生成 PDF（同样输入得到同样字节）。

* Templates and the stylesheet are package data (``carbonpeak/reports/templates`` and
  ``static``), read through :mod:`importlib.resources`, so they are found in a wheel.
* Autoescape is on for every template: building names and sources are data, not markup. The
  stylesheet and charts are our own and are marked safe where they are inserted.
* The HTML references nothing outside itself (stylesheet inline, charts as ``data:`` URIs);
  the PDF renderer fetches ``data:`` URIs only and stops on any other reference.
* Byte-stable PDF: the creation and modification dates are the report's own time, given by
  the caller (:func:`report_time`: explicit, else ``SOURCE_DATE_EPOCH``, else now), the file
  identifier is derived from a key the caller chooses (by default the HTML itself), and
  WeasyPrint names font subsets after their content. The same inputs at the same report time
  give the same bytes.
* Labels: templates write ``t("中文", "English")``; the edition's language picks one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal, get_args

import jinja2
from markupsafe import Markup

from carbonpeak import __version__
from carbonpeak.errors import ConfigError
from carbonpeak.publish.fonts import cjk_font

__all__ = [
    "LANGS",
    "Lang",
    "environment",
    "html_to_pdf",
    "number",
    "percent",
    "render_html",
    "report_time",
    "stylesheet",
    "unit_label",
]

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = get_args(Lang)
DASH = "—"


# -- formatting (the same in every report and in the tests) ---------------------------------
def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def number(v: object, digits: int = 1) -> str:
    """``12,345.6`` (thousands separated, ``digits`` decimals); ``—`` for nothing/NaN."""
    if _missing(v):
        return DASH
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:,.{digits}f}"
    return str(v)


def percent(v: object, digits: int = 1) -> str:
    """A fraction as ``8.3%``; ``—`` for nothing/NaN."""
    if _missing(v) or not isinstance(v, (int, float)):
        return DASH
    return f"{v * 100:.{digits}f}%"


def unit_label(unit: object) -> str:
    """A unit as printed: ``kWh/(m2·a)`` → ``kWh/(m²·a)``."""
    if _missing(unit):
        return ""
    return str(unit).replace("m2", "m²").replace("m3", "m³")


@jinja2.pass_context
def _t(ctx: jinja2.runtime.Context, zh: str, en: str) -> str:
    return en if ctx.get("lang") == "en" else zh


#: the reports print times in Beijing time (UTC+8), the time of the district's offices
BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+8")


# -- templates --------------------------------------------------------------------------------
@functools.cache
def environment() -> jinja2.Environment:
    """The reports' Jinja2 environment: package templates, autoescape, strict undefined."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("carbonpeak.publish", "templates"),
        autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True,
                                            default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters.update(num=number, pct=percent, unit=unit_label)
    env.globals["t"] = _t
    return env


@functools.cache
def stylesheet(name: str = "report.css") -> str:
    """A stylesheet of ``carbonpeak/reports/static``."""
    return (resources.files("carbonpeak.publish") / "static" / name).read_text(encoding="utf-8")


def report_time(when: dt.datetime | None = None) -> dt.datetime:
    """The time a report carries (UTC, whole seconds): ``when``, else ``SOURCE_DATE_EPOCH``
    (reproducible builds), else now."""
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                when = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
            except (ValueError, OverflowError, OSError):
                msg = f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in seconds"
                raise ConfigError(msg) from None
        else:
            when = dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(microsecond=0)


def render_html(template: str, context: Mapping[str, Any], *, lang: Lang,
                generated: dt.datetime) -> str:
    """A template rendered to one self-contained HTML document.

    The context gets ``lang``, ``generated`` (the report time, UTC), ``beijing`` (the time
    zone the reports print times in), ``css`` (the package stylesheet), ``font_family`` (the
    CJK face, checked to exist) and ``generator``.
    """
    if lang not in LANGS:
        msg = f"unknown report language {lang!r}; one of {', '.join(LANGS)}"
        raise ConfigError(msg)
    font = cjk_font()  # a clear error naming the package rather than tofu in the PDF
    tpl = environment().get_template(template)
    return tpl.render({**context, "lang": lang, "generated": report_time(generated),
                       "beijing": BEIJING,
                       "css": Markup(stylesheet()),  # noqa: S704 - our own package file
                       "font_family": font.family,
                       "generator": f"carbonpeak {__version__}"})


# -- PDF ------------------------------------------------------------------------------------
def _w3c(when: dt.datetime) -> str:
    return report_time(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def html_to_pdf(html: str, *, created: dt.datetime, modified: dt.datetime | None = None,
                key: str | bytes | None = None) -> bytes:
    """The PDF of a self-contained HTML document (A4 and page furniture from its CSS).

    ``created``/``modified`` go into the PDF's information dictionary; ``key`` (default: the
    HTML) decides the file identifier, so the same key gives the same identifier whatever
    the time. Anything but a ``data:`` URI in the document stops the rendering.
    """
    import weasyprint  # noqa: PLC0415 - slow to import; only when a PDF is asked for
    from weasyprint.urls import FatalURLFetchingError, URLFetcher  # noqa: PLC0415

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    try:
        doc = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    except FatalURLFetchingError as exc:  # a BaseException: not for the caller to meet
        msg = f"a report may reference only data: URIs ({exc})"
        raise ConfigError(msg) from None
    doc.metadata.created = _w3c(created)
    doc.metadata.modified = _w3c(modified or created)
    raw = key if key is not None else html
    digest = hashlib.sha256(raw.encode() if isinstance(raw, str) else raw).hexdigest()[:32]
    pdf = doc.write_pdf(pdf_identifier=digest.encode("ascii"))
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf() without target
        msg = "WeasyPrint returned no PDF"
        raise ConfigError(msg)
    return pdf
