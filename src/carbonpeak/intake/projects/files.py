"""The project register's files (CSV, .xlsx, .xls): every bad cell named, nothing half-read.

中文：固定资产投资项目清单、项目设计年用能、绿证台账的读取与校验（中英文表头）。

* **projects** (``carbonpeak projects import``): one row per project: ``project_code, name,
  street, developer, sector_code`` (GB/T 4754, e.g. ``C3011``), ``kind`` (new 新建 | expansion
  扩建 | rebuild 改建), ``stage`` (立项/备案 … 投运) and ``value_added_10k_cny``; optional
  ``new_capacity, renewable_measures`` (``;``-separated), ``first_full_year,
  reviewed_tce_equal, accepted_tce_equal, entity_id``.
* **project_energy** (``carbonpeak projects energy``): one row per project and carrier:
  ``project_code, carrier, annual_quantity, unit`` (the units of the readings import),
  optional ``existing_quantity`` (before a same-site rebuild, same unit) and ``feedstock``
  (原料用能: yes/no).
* **certificates** (``carbonpeak certificates import``): ``serial, kind`` (gec 绿证 |
  green_power 绿电交易), ``vintage, mwh, holder`` (the holding entity), ``status``,
  ``claim_year`` (default the vintage); optional ``plant_id`` (the generation site) and
  ``plant_in_district`` (yes/no: whether the plant lies in the district; a yes needs the
  plant named) — the deductions leave out the MWh of in-district plants already counted as
  new renewables.

The registry checks (streets, projects and holders exist, a serial claimed elsewhere) are the
services'.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carbonpeak.domain.units import CARRIERS, unit_factor
from carbonpeak.errors import InputValidationError, RowError, UnitError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats.csvfiles import ParsedFile, read_import_file
from carbonpeak.intake.formats.numbers import parse_number
from carbonpeak.intake.formats.parsing import parse_yes_no
from carbonpeak.intake.formats.vocab import canonical_value
from carbonpeak.vocabulary import CertificateKind, CertificateStatus, ProjectKind, ProjectStage

__all__ = ["CertificateSpec", "EnergySpec", "ProjectSpec", "energy_records", "project_record",
           "read_certificate_file", "read_energy_file", "read_project_file"]

_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_SECTOR = re.compile(r"^[A-T](\d{2,4})?$")
_SEP = re.compile(r"[;；、\n]+")
KINDS: dict[str, tuple[str, ...]] = {
    ProjectKind.NEW: ("新建",), ProjectKind.EXPANSION: ("扩建",), ProjectKind.REBUILD: ("改建",
                                                                                    "技改")}
STAGES: dict[str, tuple[str, ...]] = {
    ProjectStage.FILING: ("立项", "备案", "立项/备案", "核准", "审批"),
    ProjectStage.LAND: ("土地", "用地", "土地出让"),
    ProjectStage.DESIGN_REVIEW: ("设计审查", "施工图审查", "初步设计"),
    ProjectStage.ENERGY_REVIEW: ("节能审查", "已通过节能审查", "审查"),
    ProjectStage.CONSTRUCTION: ("施工", "在建", "建设"),
    ProjectStage.ACCEPTANCE: ("节能验收", "验收", "竣工验收"),
    ProjectStage.OPERATION: ("投运", "运行", "投产", "运营"),
}
CERT_KINDS: dict[str, tuple[str, ...]] = {
    CertificateKind.GEC: ("绿证", "绿色电力证书", "证书"),
    CertificateKind.GREEN_POWER: ("绿电", "绿电交易", "绿电交易合同", "合同"),
}
CERT_STATUSES: dict[str, tuple[str, ...]] = {
    CertificateStatus.ACTIVE: ("持有", "有效"), CertificateStatus.RETIRED: ("已核销", "核销"),
    CertificateStatus.CANCELLED: ("已作废", "作废", "注销")}
LIMITS = {"name": 256, "street": 128, "developer": 64, "new_capacity": 256, "holder": 64,
          "serial": 128, "entity_id": 64, "plant_id": 128}


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


def _choice(vocab: Mapping[str, tuple[str, ...]], text: str) -> str | None:
    k = _key(text)
    for code, aliases in vocab.items():
        if k == code or k in {_key(a) for a in aliases}:
            return code
    return None


@dataclass(frozen=True)
class ProjectSpec:
    """One project row."""

    line: int
    code: str
    name: str
    street: str
    developer: str
    sector_code: str
    kind: str
    stage: str
    value_added_10k_cny: float | None
    new_capacity: str
    renewable_measures: tuple[str, ...]
    first_full_year: int | None
    reviewed_tce_equal: float | None
    accepted_tce_equal: float | None
    entity_id: str | None


@dataclass(frozen=True)
class EnergySpec:
    """One project-carrier row, its quantities in the carrier's canonical unit."""

    line: int
    project_code: str
    carrier: str
    annual_quantity: float
    unit: str
    quantity: float
    existing_quantity: float
    feedstock: bool


@dataclass(frozen=True)
class CertificateSpec:
    """One ledger row."""

    line: int
    serial: str
    kind: str
    vintage: int
    mwh: float
    holder: str
    status: str
    claim_year: int
    plant_id: str | None = None
    plant_in_district: bool | None = None


class _Row:
    """Cell access that records each problem as a :class:`RowError`."""

    def __init__(self, source: str, rec: Mapping[Any, Any], errors: list[RowError],
                 sheet: str | None = None) -> None:
        self.source, self.sheet, self.rec, self.errors = source, sheet, rec, errors
        self.line = int(rec.get("_line") or 0)

    def bad(self, col: str, why: Message) -> None:
        self.errors.append(RowError(self.source, self.line or None, col,
                                    self.rec.get(col, ""), why, self.sheet))

    def text(self, col: str, *, required: bool = False) -> str:
        v = str(self.rec.get(col, "")).strip()
        if required and not v:
            self.bad(col, msg("intake.project.required"))
        limit = LIMITS.get(col)
        if limit is not None and len(v) > limit:
            self.bad(col, msg("intake.project.too_long", limit=limit))
        return v

    def number(self, col: str, *, required: bool = False) -> float | None:
        v = self.text(col, required=required)
        if not v:
            return None
        n = parse_number(v)
        if n is None:
            self.bad(col, msg("intake.project.not_number"))
            return None
        if n < 0:
            self.bad(col, msg("intake.project.negative"))
            return None
        return n

    def year(self, col: str, *, required: bool = False) -> int | None:
        n = self.number(col, required=required)
        if n is None:
            return None
        if n != int(n) or not 2000 <= n <= 2100:
            self.bad(col, msg("intake.project.bad_year"))
            return None
        return int(n)

    def code(self, col: str) -> str:
        v = self.text(col, required=True)
        if v and not _CODE.match(v):
            self.bad(col, msg("intake.project.bad_code"))
        return v


def _dups(pf: ParsedFile, keys: list[tuple[int, tuple[str, ...]]], col: str,
          errors: list[RowError]) -> None:
    seen: dict[tuple[str, ...], int] = {}
    for line, k in keys:
        if k in seen:
            errors.append(RowError(pf.name, line, col, "/".join(k),
                                   msg("intake.project.duplicate", line=seen[k]), pf.sheet))
        else:
            seen[k] = line


def _project(r: _Row) -> ProjectSpec:
    code = r.code("project_code")
    sector = r.text("sector_code", required=True).upper()
    if sector and not _SECTOR.match(sector):
        r.bad("sector_code", msg("intake.project.bad_sector"))
    kind = _choice(KINDS, r.text("kind", required=True))
    if kind is None and r.text("kind"):
        r.bad("kind", msg("intake.project.bad_kind"))
    stage = _choice(STAGES, r.text("stage", required=True))
    if stage is None and r.text("stage"):
        r.bad("stage", msg("intake.project.bad_stage"))
    measures = tuple(m.strip() for m in _SEP.split(r.text("renewable_measures")) if m.strip())
    return ProjectSpec(
        r.line, code, r.text("name", required=True), r.text("street"),
        r.text("developer", required=True), sector, kind or "", stage or "",
        r.number("value_added_10k_cny"), r.text("new_capacity"), measures,
        r.year("first_full_year"), r.number("reviewed_tce_equal"),
        r.number("accepted_tce_equal"), r.text("entity_id") or None)


def project_record(rec: Mapping[str, Any], *, source: str = "(request)") -> ProjectSpec:
    """One project given as a mapping of the file's columns (a form in the browser), with
    the file's checks; :class:`InputValidationError` naming each bad field."""
    errors: list[RowError] = []
    spec = _project(_Row(source, {k: "" if v is None else v for k, v in rec.items()}, errors))
    if errors:
        raise InputValidationError(errors)
    return spec


def read_project_file(path: Path, *, rename: Mapping[str, str] | None = None
                      ) -> list[ProjectSpec]:
    """Read and check a project list; raise :class:`InputValidationError` with every problem."""
    pf = read_import_file(path, "projects", rename=rename)
    errors: list[RowError] = []
    out = []
    for rec in pf.frame.to_dict("records"):
        out.append(_project(_Row(pf.name, rec, errors, pf.sheet)))
    _dups(pf, [(p.line, (p.code,)) for p in out], "project_code", errors)
    if errors:
        raise InputValidationError(errors)
    return out


def _energy(r: _Row) -> EnergySpec | None:
    code = r.code("project_code")
    raw = r.text("carrier", required=True)
    carrier = canonical_value("carrier", raw) if raw else None
    if raw and (carrier is None or carrier not in CARRIERS):
        r.bad("carrier", msg("intake.project.bad_carrier"))
        carrier = None
    qty = r.number("annual_quantity", required=True)
    existing = r.number("existing_quantity") or 0.0
    unit = r.text("unit", required=True)
    factor = None
    if carrier and unit:
        try:
            factor = unit_factor(unit, carrier)
        except UnitError as exc:
            r.bad("unit", exc.reason or msg("intake.text", text=str(exc)))
    feedstock = parse_yes_no(r.text("feedstock"), yes=("原料",))
    if feedstock is None:
        r.bad("feedstock", msg("intake.project.bad_flag"))
    if carrier and qty is not None and factor is not None:
        return EnergySpec(r.line, code, carrier, qty, unit, qty * factor, existing * factor,
                          bool(feedstock))
    return None


def energy_records(recs: Sequence[Mapping[str, Any]], *, source: str = "(request)"
                   ) -> list[EnergySpec]:
    """A project's designed energy given as mappings of the file's columns (one per carrier;
    ``_line`` numbers them), with the file's checks; :class:`InputValidationError` naming
    each bad field, and a carrier given twice."""
    errors: list[RowError] = []
    out = []
    for i, rec in enumerate(recs, start=1):
        row = {"_line": i, **{k: "" if v is None else v for k, v in rec.items()}}
        e = _energy(_Row(source, row, errors))
        if e is not None:
            out.append(e)
    seen: dict[str, int] = {}
    for e in out:
        if e.carrier in seen:
            errors.append(RowError(source, e.line, "carrier", e.carrier,
                                   msg("intake.project.duplicate", line=seen[e.carrier])))
        seen.setdefault(e.carrier, e.line)
    if errors:
        raise InputValidationError(errors)
    return out


def read_energy_file(path: Path, *, rename: Mapping[str, str] | None = None
                     ) -> list[EnergySpec]:
    """Read and check designed energy rows (units as in the readings import)."""
    pf = read_import_file(path, "project_energy", rename=rename)
    errors: list[RowError] = []
    out = []
    for rec in pf.frame.to_dict("records"):
        e = _energy(_Row(pf.name, rec, errors, pf.sheet))
        if e is not None:
            out.append(e)
    _dups(pf, [(e.line, (e.project_code, e.carrier)) for e in out], "carrier", errors)
    if errors:
        raise InputValidationError(errors)
    return out


def read_certificate_file(path: Path, *, rename: Mapping[str, str] | None = None
                          ) -> list[CertificateSpec]:
    """Read and check a certificate ledger file."""
    pf = read_import_file(path, "certificates", rename=rename)
    errors: list[RowError] = []
    out = []
    for rec in pf.frame.to_dict("records"):
        r = _Row(pf.name, rec, errors, pf.sheet)
        serial = r.text("serial", required=True)
        kind = _choice(CERT_KINDS, r.text("kind") or CertificateKind.GEC)
        if kind is None:
            r.bad("kind", msg("intake.certificate.bad_kind"))
        status = _choice(CERT_STATUSES, r.text("status") or CertificateStatus.ACTIVE)
        if status is None:
            r.bad("status", msg("intake.certificate.bad_status"))
        vintage = r.year("vintage", required=True)
        mwh = r.number("mwh", required=True)
        if mwh is not None and mwh <= 0:
            r.bad("mwh", msg("intake.certificate.positive"))
        claim = r.year("claim_year")
        holder = r.text("holder", required=True)
        plant = r.text("plant_id") or None
        inside_cell = r.text("plant_in_district")
        inside = parse_yes_no(inside_cell) if inside_cell else None
        if inside_cell and inside is None:
            r.bad("plant_in_district", msg("intake.project.bad_flag"))
        if inside and not plant:
            r.bad("plant_id", msg("intake.certificate.plant_needed"))
        if serial and kind and status and vintage is not None and mwh and holder:
            out.append(CertificateSpec(r.line, serial, kind, vintage, mwh, holder, status,
                                       claim or vintage, plant, inside))
    _dups(pf, [(c.line, (c.serial,)) for c in out], "serial", errors)
    if errors:
        raise InputValidationError(errors)
    return out
