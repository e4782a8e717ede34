"""Reports as PDF and HTML: the rendering foundation and the reports built on it.

中文：报告（PDF / HTML）——渲染基础与各类报告。

* :mod:`carbonpeak.publish.render` — Jinja2 templates (package data) to one self-contained
  HTML document, HTML to a byte-stable PDF (WeasyPrint), number formats, ``zh``/``en``.
* :mod:`carbonpeak.publish.fonts` — the CJK font (``fonts-noto-cjk``) and missing glyphs.
* :mod:`carbonpeak.publish.charts` — matplotlib charts in that font, byte-stable SVG/PNG.
* :mod:`carbonpeak.publish.disclosure` — the disclosure list (能效公示).

WeasyPrint and matplotlib are imported only when a PDF or a chart is made.
"""

from carbonpeak.publish.render import LANGS, Lang

__all__ = ["LANGS", "Lang"]
