"""Reading the shipped reference data: district and city profiles and factor-set files.

A city profile (``reference/cities/<code>.toml``) lists its districts: each a district
profile's code or a ``.toml`` path (relative to the city file); :func:`read_city` returns it
with each district's profile read.

Factor sets live in ``reference/factor_sets/<id>.toml`` (manifest) and ``<id>.csv`` (rows, each
with a source, the same source in Chinese (``source_zh``) and a status). A manifest may
``includes`` other sets; :func:`read_factor_set` returns the flattened rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from carbonpeak.domain.factors import (
    FactorRow,
    flatten_factor_rows,
    validate_factor_rows,
    with_origin,
)
from carbonpeak.errors import ConfigError, FactorError, NotFoundError

__all__ = [
    "FactorSetSpec",
    "list_cities",
    "list_profiles",
    "read_city",
    "read_factor_set",
    "read_profile",
    "reference_dir",
    "shipped_factor_sets",
    "shipped_quota_tables",
]


def reference_dir() -> Path:
    """The ``reference/`` folder: packaged with the wheel, or the source checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_reference", here.parents[1] / "reference"):
        if (candidate / "profiles").is_dir():
            return candidate
    msg = f"reference data not found next to {here}"
    raise ConfigError(msg)


def list_profiles() -> list[str]:
    """Codes of the shipped district profiles."""
    return sorted(p.stem for p in (reference_dir() / "profiles").glob("*.toml"))


def read_profile(code_or_path: str | Path) -> dict[str, Any]:
    """A district profile by code (``huangpu``) or path to a TOML file."""
    path = Path(code_or_path)
    if not path.suffix:
        path = reference_dir() / "profiles" / f"{code_or_path}.toml"
    if not path.is_file():
        msg = f"no district profile {code_or_path!r}; shipped: {', '.join(list_profiles())}"
        raise NotFoundError(msg)
    with path.open("rb") as fh:
        return tomllib.load(fh)


def list_cities() -> list[str]:
    """Codes of the shipped city profiles."""
    folder = reference_dir() / "cities"
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def read_city(code_or_path: str | Path) -> dict[str, Any]:
    """A city profile by code (``shanghai``) or path, its ``districts`` replaced by their
    profiles (each read by :func:`read_profile`; a path relative to the city file).

    Raises
    ------
    NotFoundError
        No such city profile, or one of its districts has none.
    ConfigError
        The profile lists no district, or one twice.
    """
    path = Path(code_or_path)
    if not path.suffix:
        path = reference_dir() / "cities" / f"{code_or_path}.toml"
    if not path.is_file():
        msg = f"no city profile {code_or_path!r}; shipped: {', '.join(list_cities())}"
        raise NotFoundError(msg)
    with path.open("rb") as fh:
        city = tomllib.load(fh)
    listed = [str(d) for d in city.get("districts", [])]
    if not listed or len(set(listed)) != len(listed):
        msg = f"city profile {path.name} must list its districts, each once: {listed}"
        raise ConfigError(msg)
    city["code"] = str(city.get("code") or path.stem)
    city["districts"] = [read_profile(path.parent / d if d.endswith(".toml") else d)
                         for d in listed]
    return city


@dataclass(frozen=True)
class FactorSetSpec:
    """A factor set as read from files: manifest fields and flattened rows."""

    set_id: str
    name_zh: str
    name_en: str
    region: str
    kind: str
    description: str
    includes: list[str]
    effective_from: dt.date | None
    effective_to: dt.date | None
    rows: list[FactorRow] = field(default_factory=list)
    #: the description written in Chinese beside it (empty where none was written)
    description_zh: str = ""

    @property
    def checksum(self) -> str:
        """SHA-256 of the manifest fields and rows: a new version when it changes.

        The Chinese texts written beside the English (``description_zh``, a row's
        ``source_zh``) are left out: they say the same citation in the other language, so
        adding or correcting one changes no factor and makes no new version
        (:func:`carbonpeak.intake.bootstrap.load_factor_set` updates them in place).
        """
        payload = {k: v for k, v in asdict(self).items() if k not in ("rows", "description_zh")}
        payload["rows"] = [{k: v for k, v in asdict(r).items() if k != "source_zh"}
                           for r in self.rows]
        blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


def shipped_factor_sets() -> list[str]:
    """Ids of the factor sets shipped in ``reference/factor_sets``."""
    return sorted(p.stem for p in (reference_dir() / "factor_sets").glob("*.toml"))


def shipped_quota_tables() -> list[Path]:
    """The quota tables shipped in ``reference/quotas`` (one CSV per table)."""
    folder = reference_dir() / "quotas"
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def read_factor_set(path_or_id: str | Path, *, search: Path | None = None) -> FactorSetSpec:
    """Read a factor set (manifest + CSV rows) and flatten its includes.

    Parameters
    ----------
    path_or_id
        A shipped set id, or the path of a ``.toml`` manifest (its rows in the ``.csv``
        beside it).
    search
        Folder to find included sets in besides the shipped ones (default: the manifest's).

    Raises
    ------
    FactorError
        If a row is invalid (the message names the file and row) or an include is circular.
    """
    manifest = _locate(path_or_id, search)
    return _read(manifest, search or manifest.parent, stack=())


def _locate(path_or_id: str | Path, search: Path | None) -> Path:
    path = Path(path_or_id)
    if path.suffix == ".toml" and path.is_file():
        return path
    for folder in [p for p in (search, reference_dir() / "factor_sets") if p is not None]:
        candidate = folder / f"{path_or_id}.toml"
        if candidate.is_file():
            return candidate
    msg = f"no factor set {path_or_id!r}; shipped: {', '.join(shipped_factor_sets())}"
    raise NotFoundError(msg)


def _read(manifest: Path, search: Path, *, stack: tuple[str, ...]) -> FactorSetSpec:
    with manifest.open("rb") as fh:
        meta = tomllib.load(fh)
    set_id = str(meta.get("id") or manifest.stem)
    if set_id in stack:
        msg = f"factor set includes are circular: {' -> '.join((*stack, set_id))}"
        raise FactorError(msg)
    own = with_origin(_read_rows(manifest.with_suffix(".csv")), set_id)
    problems = validate_factor_rows(own, set_id=set_id)
    if problems:
        raise FactorError("; ".join(problems))
    includes = [str(i) for i in meta.get("includes", [])]
    included = [_read(_locate(i, search), search, stack=(*stack, set_id)).rows for i in includes]
    return FactorSetSpec(
        set_id=set_id,
        name_zh=str(meta.get("name_zh", set_id)),
        name_en=str(meta.get("name_en", set_id)),
        region=str(meta.get("region", "")),
        kind=str(meta.get("kind", "account")),
        description=str(meta.get("description", "")).strip(),
        description_zh=str(meta.get("description_zh", "")).strip(),
        includes=includes,
        effective_from=_date(meta.get("effective_from")),
        effective_to=_date(meta.get("effective_to")),
        rows=flatten_factor_rows(own, included),
    )


def _read_rows(path: Path) -> list[FactorRow]:
    if not path.is_file():
        return []
    rows: list[FactorRow] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for line_no, rec in enumerate(csv.DictReader(fh), start=2):
            try:
                rows.append(
                    FactorRow(
                        carrier=rec["carrier"].strip(),
                        quantity=rec["quantity"].strip(),  # type: ignore[arg-type]
                        value=float(rec["value"]),
                        per_unit=rec["per_unit"].strip(),
                        year_from=_int(rec.get("year_from")),
                        year_to=_int(rec.get("year_to")),
                        data_year=_int(rec.get("data_year")),
                        status=rec["status"].strip(),
                        source=rec["source"].strip(),
                        source_zh=(rec.get("source_zh") or "").strip(),
                        note=(rec.get("note") or "").strip(),
                    )
                )
            except (KeyError, ValueError, AttributeError) as exc:
                msg = f"{path.name}:{line_no}: bad factor row ({exc})"
                raise FactorError(msg) from exc
    return rows


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value else None


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
