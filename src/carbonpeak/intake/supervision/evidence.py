"""Evidence files sent with a dispatch submission: PDF, images (PNG, JPEG) and xlsx, checked
by their content (not their name) and their size.

中文：调度报送佐证材料：按文件内容识别类型（PDF、图片、xlsx）并限制大小。
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg

__all__ = ["EVIDENCE_KINDS", "MAX_EVIDENCE_BYTES", "Evidence", "check_evidence", "store_evidence"]

#: the accepted kinds and what their content starts with
EVIDENCE_KINDS = {"pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",),
                  "xlsx": (b"PK\x03\x04",)}
#: the largest evidence file accepted (bytes); a setting of the district in a later version
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Evidence:
    """A checked evidence file."""

    name: str
    kind: str
    size: int
    sha256: str


def _kind(data: bytes) -> str | None:
    for kind, magics in EVIDENCE_KINDS.items():
        if any(data.startswith(m) for m in magics):
            if kind == "xlsx":
                try:
                    with zipfile.ZipFile(io.BytesIO(data)) as z:
                        if "xl/workbook.xml" not in z.namelist():
                            return None
                except zipfile.BadZipFile:
                    return None
            return kind
    return None


def check_evidence(name: str, data: bytes, *,
                   max_bytes: int = MAX_EVIDENCE_BYTES) -> Evidence:
    """The file as :class:`Evidence`; InputValidationError naming the file when it is empty,
    too large, or not a PDF, PNG, JPEG or xlsx by its content."""
    if not data:
        raise InputValidationError([RowError(name, None, "evidence", None,
                                             msg("supervision.evidence.empty"))])
    if len(data) > max_bytes:
        raise InputValidationError([RowError(name, None, "evidence", str(len(data)), msg(
            "supervision.evidence.too_large", size=len(data), limit=max_bytes))])
    kind = _kind(data)
    if kind is None:
        raise InputValidationError([RowError(name, None, "evidence", None, msg(
            "supervision.evidence.bad_type", allowed="PDF, PNG, JPEG, xlsx"))])
    return Evidence(Path(name).name, kind, len(data), hashlib.sha256(data).hexdigest())


def store_evidence(root: Path, ev: Evidence, data: bytes) -> Path:
    """Keep the file under ``root`` by its hash (the same file twice is kept once)."""
    path = root / ev.sha256[:2] / ev.sha256
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path
