"""The CJK font of the reports: where it is, which face, and which characters it lacks.

中文：报告所用中文字体（思源黑体 / Noto Sans CJK SC）的查找与缺字检查。

The PDF (WeasyPrint, through fontconfig) and the charts (matplotlib) name the font by its
family, ``Noto Sans CJK SC``: the Simplified Chinese face of the Noto Sans CJK collection that
Debian ships in ``fonts-noto-cjk``. :func:`cjk_font` finds its file and face index (a ``.ttc``
holds the JP, KR, SC, TC and HK faces; the SC face draws Chinese with mainland glyph forms)
or says which package to install. ``CARBONPEAK_CJK_FONT`` names another file (an installed
font, so that fontconfig sees it too).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont, TTLibError

from carbonpeak.errors import ConfigError

__all__ = [
    "CJK_FAMILY",
    "DEBIAN_PACKAGE",
    "CjkFont",
    "cjk_font",
    "missing_glyphs",
]

CJK_FAMILY = "Noto Sans CJK SC"
DEBIAN_PACKAGE = "fonts-noto-cjk"
ENV_VAR = "CARBONPEAK_CJK_FONT"
# where distributions put the collection (Debian/Ubuntu, Fedora, Arch, Alpine, Homebrew)
_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf")
_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/google-noto-sans-cjk-fonts",
         "/usr/share/fonts/noto-cjk", "/usr/share/fonts/noto", "/usr/share/fonts/opentype",
         "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "~/Library/Fonts",
         "/opt/homebrew/share/fonts")


@dataclass(frozen=True)
class CjkFont:
    """A font file and the face in it that the reports use."""

    path: Path
    index: int
    family: str


def _family(font: TTFont) -> str:
    name = font["name"]
    return str(name.getDebugName(16) or name.getDebugName(1) or "")


def _faces(path: Path) -> list[str]:
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            return [_family(f) for f in TTCollection(str(path), lazy=True).fonts]
        return [_family(TTFont(str(path), lazy=True))]
    except (OSError, TTLibError) as exc:
        msg = f"cannot read the font file {path}: {exc}"
        raise ConfigError(msg) from None


def _pick(path: Path) -> CjkFont | None:
    faces = _faces(path)
    for wanted in (CJK_FAMILY, "Source Han Sans SC", "Noto Sans SC"):
        if wanted in faces:
            return CjkFont(path, faces.index(wanted), wanted)
    return None


@functools.cache
def cjk_font() -> CjkFont:
    """The report font (``Noto Sans CJK SC``), or a :class:`ConfigError` saying what to
    install. ``CARBONPEAK_CJK_FONT`` may name the file; it must hold a Simplified Chinese
    face (Noto Sans CJK SC, Noto Sans SC or Source Han Sans SC)."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            msg = f"{ENV_VAR}={explicit}: no such font file"
            raise ConfigError(msg)
        found = _pick(path)
        if found is None:
            msg = (f"{ENV_VAR}={explicit}: no Simplified Chinese face ({CJK_FAMILY}) in "
                   f"{', '.join(_faces(path))}")
            raise ConfigError(msg)
        return found
    for folder in _DIRS:
        for name in _FILES:
            path = Path(folder).expanduser() / name
            if path.is_file() and (found := _pick(path)) is not None:
                return found
    msg = (f"no Chinese font for the reports: install the Debian package {DEBIAN_PACKAGE} "
           f"(apt-get install {DEBIAN_PACKAGE}; it provides {CJK_FAMILY}) or set {ENV_VAR} "
           "to a font file with a Simplified Chinese face 报告需要中文字体")
    raise ConfigError(msg)


@functools.cache
def _cmap(path: Path, index: int) -> frozenset[int]:
    if path.suffix.lower() in (".ttc", ".otc"):
        font = TTCollection(str(path), lazy=True).fonts[index]
    else:
        font = TTFont(str(path), lazy=True)
    return frozenset(font.getBestCmap())


def missing_glyphs(text: str, font: CjkFont | None = None) -> list[str]:
    """The characters of ``text`` that ``font`` (default :func:`cjk_font`) has no glyph for,
    in order of first appearance (whitespace and control characters are not drawn)."""
    f = font or cjk_font()
    cmap = _cmap(f.path, f.index)
    out: dict[str, None] = {}
    for ch in text:
        if ch.isspace() or ord(ch) < 0x20 or ord(ch) in cmap:
            continue
        out.setdefault(ch)
    return list(out)
