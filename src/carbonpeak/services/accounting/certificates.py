"""The certificate ledger (绿证, 绿电交易), dual control's deductions, market-based scope 2.

中文：绿证与绿电交易台账（重复声明拒收）、能耗双控中的扣除（新增可再生能源、原料用能、绿证，含上限）
以及市场法范围二排放（与位置法并列，GHG Protocol 双重报告）。

* **Ledger** (:func:`import_certificates`): one row per certificate batch or green-power
  contract (serial, vintage, MWh, holder, status, claim year). A serial is unique across
  districts: a row whose serial is already in the ledger for another holder, district or
  quantity is refused, naming the first claim (its holder, district and source line). A row
  equal to the stored one changes nothing; a status change (active → retired) is
  audit-logged.
* **Deductions** (:func:`energy_deductions`): the energy total (tce, equal value) with and
  without what the rules of :data:`DEDUCTION_RULES` allow. Each rule has its source and
  status and can be switched or capped by the district profile's ``deduction_rules`` table.
  Certificates are counted at the electricity equal value of the year (MWh × kgce/kWh =
  tce), capped at ``cap_share`` × the district's required savings
  (``profile["required_savings_tce"]``; unset: not capped, and said so). Certificates from
  a plant in the district (``plant_in_district``) are left out up to the new-renewable
  generation already deducted as new renewables (that generation's tce ÷ the electricity
  equal value = MWh), so the same MWh is never deducted twice
  (:func:`carbonpeak.domain.projects.certificate_overlap`).
* **Market-based scope 2** (:func:`scope2_market`): per holder, the certified MWh of the year
  (at most its purchased electricity) count 0 and the rest is multiplied by the grid factor
  (no provincial residual mix is published; why: :class:`Scope2Report`), with the national
  residual factor (:data:`RESIDUAL_FACTORS`) as a variant; beside it, the account's
  location-based figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from carbonpeak.domain.factors import CarrierFactors, resolve_factors
from carbonpeak.domain.projects import (
    DeductionRule,
    Deductions,
    EnergyLine,
    certificate_overlap,
    deductions,
    project_energy,
    scope2_dual,
)
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg, render
from carbonpeak.intake.batches import Tally, audited_upsert
from carbonpeak.intake.projects.files import CertificateSpec, read_certificate_file
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.account import _row, load_run_tables, official_run
from carbonpeak.services.accounting.verifications import current_verifications
from carbonpeak.storage.registry.models import (
    Certificate,
    District,
)
from carbonpeak.storage.registry.repositories import accounting as repo
from carbonpeak.storage.workspace import Workspace, audit, latest_factor_set

__all__ = ["DEDUCTION_RULES", "RESIDUAL_FACTORS", "EnergyDeductions", "Scope2Report",
           "certificate_mwh", "deduction_rules", "district_factors", "energy_deductions",
           "import_certificates", "list_certificates", "residual_factor", "scope2_market"]

_REF = "shared/reference/ecosystem-notes.md"
DEDUCTION_RULES: tuple[DeductionRule, ...] = (
    DeductionRule(
        "new_renewables", True,
        "新增可再生能源消费不纳入能源消费总量控制（国家发展改革委 国家统计局 国家能源局，"
        "发改运行〔2022〕1258号）: counted here as the district's on-site generation (the "
        "account's pv_generation, equal value); document recalled, not read here",
        "unverified"),
    DeductionRule(
        "feedstock", True,
        "原料用能不纳入能源消费总量控制（国家发展改革委 国家统计局，发改环资〔2022〕803号）: the "
        "designed feedstock use of the register's projects in operation; document recalled, "
        "not read here", "unverified"),
    DeductionRule(
        "certificates", True,
        "关于加强绿色电力证书与节能降碳政策衔接 大力促进非化石能源消费的通知（2024-02）: "
        f"certificate-based deductions capped at 50 % of the required savings ({_REF}, a "
        "secondary summary; 1 certificate = 1 MWh, 发改能源〔2023〕1044号)", "secondary",
        cap_share=0.5),
)
#: the national average electricity CO2 factor excluding market-traded non-fossil power
#: (MEE/NBS), by data year [tCO2/MWh]: the published residual-mix figure for market-based
#: accounting (shared/reference/reference-data.md §2.2, verified). It is national: no
#: provincial residual mix is published, so it is not like with like against a provincial
#: location-based factor; the report says so.
RESIDUAL_FACTORS: dict[int, tuple[float, str]] = {
    2021: (0.5942, "MEE/NBS 公告2024年第12号 全国电力平均二氧化碳排放因子（不包括市场化交易的非化石"
                   "能源电量）, data year 2021, verified"),
    2022: (0.5856, "MEE/NBS 2022年电力二氧化碳排放因子公告 (2024-12-20), 全国（不包括市场化交易的"
                   "非化石能源电量）, data year 2022, verified"),
    2023: (0.6096, "MEE/NBS 2023年电力二氧化碳排放因子公告 (2025-12), 全国（不包括市场化交易的"
                   "非化石能源电量）, data year 2023, verified"),
}


def residual_factor(year: int) -> tuple[float, int, str]:
    """The residual factor for accounting ``year``: the latest data year ≤ ``year`` (the
    earliest before 2021); value, data year, source."""
    years = sorted(RESIDUAL_FACTORS)
    dy = max((y for y in years if y <= year), default=years[0])
    value, source = RESIDUAL_FACTORS[dy]
    return value, dy, source


def district_factors(ws: Workspace, d: District, year: int,
                     carriers: Sequence[str]) -> dict[str, CarrierFactors]:
    """The district's default factor set resolved for ``year`` (statuses as verified now)."""
    with ws.registry.session() as s:
        fs = latest_factor_set(s, d.default_factor_set)
        index = current_verifications(s)
        rows = [_row(r, index) for r in fs.rows]
        label = f"{fs.set_id}@v{fs.version}"
    return resolve_factors(rows, year, carriers=sorted(set(carriers)), set_id=label)


def deduction_rules(d: District) -> list[DeductionRule]:
    """The shipped rules with the district profile's overrides (``deduction_rules``: code ->
    ``enabled``, ``cap_share``, ``source``, ``status``)."""
    over = (d.profile or {}).get("deduction_rules") or {}
    out = []
    for r in DEDUCTION_RULES:
        o = over.get(r.code) or {}
        out.append(DeductionRule(r.code, bool(o.get("enabled", r.enabled)),
                                 str(o.get("source", r.source)), str(o.get("status", r.status)),
                                 o.get("cap_share", r.cap_share)))
    return out


# -- the ledger ---------------------------------------------------------------------------------
def _holders(s: Session, district_id: str) -> set[str]:
    return set(repo.entity_ids_of_district(s, district_id))


def import_certificates(ws: Workspace, path: Path, *, district: str | None = None) -> Tally:
    """Import a certificate file; refuse a double claim naming the first; idempotent.

    Raises
    ------
    InputValidationError
        Every bad cell, unknown holder and double claim (file, row, column); nothing stored.
    """
    d = ws.district(district)
    specs = read_certificate_file(path)
    tally = Tally()
    with ws.registry.session() as s:
        holders = _holders(s, d.id)
        existing = {c.serial: c for c in repo.certificates_by_serial(
            s, [c.serial for c in specs])}
        errors: list[RowError] = []
        for c in specs:
            if c.holder not in holders:
                errors.append(RowError(path.name, c.line, "holder", c.holder,
                                       msg("intake.certificate.unknown_holder")))
            first = existing.get(c.serial)
            if first is not None and (first.district_id != d.id or first.holder != c.holder
                                      or first.mwh != c.mwh or first.vintage != c.vintage
                                      or first.kind != c.kind):
                errors.append(RowError(path.name, c.line, "serial", c.serial, msg(
                    "intake.certificate.double_claim", holder=first.holder,
                    district=first.district_id, source=first.source)))
        if errors:
            raise InputValidationError(errors)
        for c in specs:
            _store(s, ws.actor, d.id, c, existing.get(c.serial), f"{path.name} line {c.line}",
                   tally)
    return tally


def _store(s: Session, actor: str, district_id: str, c: CertificateSpec,
           obj: Certificate | None, source: str, tally: Tally) -> None:
    values = {"kind": c.kind, "vintage": c.vintage, "mwh": c.mwh, "holder": c.holder,
              "status": c.status, "claim_year": c.claim_year, "plant_id": c.plant_id,
              "plant_in_district": c.plant_in_district}
    tally.count(audited_upsert(
        s, actor, obj, values,
        create=lambda: Certificate(district_id=district_id, serial=c.serial, source=source,
                                   created_by=actor, **values),
        object_type="certificate", key=c.serial, district_id=district_id,
        context={"source": source}, log=audit))


def list_certificates(ws: Workspace, *, district: str | None = None,
                      viewer: AccessScope | None = None) -> list[dict[str, Any]]:
    """The district's ledger (a restricted viewer: its own entities' entries only)."""
    d = ws.district(district)
    with ws.registry.session() as s:
        rows = repo.certificates_of_district(s, d.id)
    return [{"serial": c.serial, "kind": c.kind, "vintage": c.vintage, "mwh": c.mwh,
             "holder": c.holder, "status": c.status, "claim_year": c.claim_year,
             "plant_id": c.plant_id, "plant_in_district": c.plant_in_district,
             "source": c.source}
            for c in rows if viewer is None or viewer.sees_entity(c.holder)]


def certificate_mwh(ws: Workspace, district_id: str, year: int, *,
                    in_district: bool | None = None) -> dict[str, float]:
    """Certified MWh claimed for ``year`` per holder (cancelled entries left out);
    ``in_district`` True: only those from plants in the district, False: all others."""
    with ws.registry.session() as s:
        rows = repo.certificate_claims_of_year(s, district_id, year)
    out: dict[str, float] = {}
    for holder, mwh, inside in rows:
        if in_district is not None and bool(inside) != in_district:
            continue
        out[holder] = out.get(holder, 0.0) + float(mwh)
    return out


# -- deductions in dual control -------------------------------------------------------------
@dataclass
class EnergyDeductions:
    """The energy total with and without the allowed deductions, for one year."""

    year: int
    total_tce: float
    total_after_tce: float
    items: list[dict[str, Any]]
    messages: list[Message] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (notes in English)."""
        out = asdict(self)
        del out["messages"]
        return {**out, "notes": [render(m, "en") for m in self.messages]}


def _account_tables(ws: Workspace, d: District, year: int,
                    names: list[str]) -> dict[str, pd.DataFrame] | None:
    with ws.registry.session() as s:
        run = official_run(s, d.id, year)
        if run is None:
            return None
        s.expunge(run)
    return load_run_tables(ws, run, names)


def _feedstock_tce(ws: Workspace, d: District, year: int) -> float:
    with ws.registry.session() as s:
        rows = repo.feedstock_lines_in_operation(s, d.id, year)
    if not rows:
        return 0.0
    lines = [EnergyLine(str(c), float(q), feedstock=True) for c, q in rows]
    factors = district_factors(ws, d, year, [ln.carrier for ln in lines])
    return project_energy(lines, factors).feedstock_tce_equal


def energy_deductions(ws: Workspace, d: District, year: int,
                      total_tce: float) -> EnergyDeductions:
    """``total_tce`` (the dual-control energy total of ``year``, equal value) with and without
    the deductions of :func:`deduction_rules`."""
    notes: list[Message] = []
    elec = district_factors(ws, d, year, ["electricity"])["electricity"]
    inside = sum(certificate_mwh(ws, d.id, year, in_district=True).values())
    outside = sum(certificate_mwh(ws, d.id, year, in_district=False).values())
    claimed = {"feedstock": _feedstock_tce(ws, d, year), "new_renewables": 0.0}
    tables = _account_tables(ws, d, year, ["inventory_district_year"])
    if tables is not None:
        dy = tables["inventory_district_year"]
        claimed["new_renewables"] = float(dy.loc[dy["scope"] == "generation",
                                                 "tce_equal"].sum())
    rules = deduction_rules(d)
    renewables_on = any(r.code == "new_renewables" and r.enabled for r in rules)
    # the new renewables' MWh: their tce back through the same electricity equal value
    renewables_mwh = (claimed["new_renewables"] / elec.kgce_equal
                      if elec.kgce_equal > 0 else 0.0)
    overlap = certificate_overlap(outside, inside, renewables_mwh, renewables_on)
    claimed["certificates"] = overlap.counted_mwh * elec.kgce_equal  # MWh × kgce/kWh = tce
    if overlap.excluded_mwh > 0:
        notes.append(msg("projects.note.own_certificates",
                         excluded=f"{overlap.excluded_mwh:,.1f}", inside=f"{inside:,.1f}",
                         renewables=f"{renewables_mwh:,.1f}"))
    base = (d.profile or {}).get("required_savings_tce")
    if base is None:
        notes.append(msg("projects.note.cap_unset"))
    res: Deductions = deductions(total_tce, claimed, rules,
                                 {"certificates": float(base) if base is not None else None})
    items = [asdict(i) for i in res.items]
    for i in items:
        if i["code"] == "certificates":
            i["mwh"] = inside + outside
            i["counted_mwh"] = overlap.counted_mwh
            i["excluded_in_district_mwh"] = overlap.excluded_mwh
    return EnergyDeductions(year, total_tce, res.total_after, items, notes)


# -- market-based scope 2 -------------------------------------------------------------------
@dataclass
class Scope2Report:
    """The district's scope 2 of purchased electricity, location- and market-based.

    ``market_tco2`` uses each entity's own grid factor (the account's location-based factor)
    as the factor of its uncertified electricity: no provincial residual mix is published,
    and the only published residual-type figure (MEE/NBS, national, excluding market-traded
    non-fossil power) is national: set against a provincial location-based factor it makes the
    market-based figure of a district buying certificates higher than its location-based one.
    The GHG Protocol's Scope 2 Guidance accepts the grid average where no residual mix exists
    (it double counts the certified MWh's attribute, said here). The national-residual variant
    is given beside it (``market_tco2_national_residual``) for information.
    """

    year: int
    purchased_mwh: float
    certified_mwh: float
    location_tco2: float
    market_tco2: float
    residual_basis: str
    market_tco2_national_residual: float
    national_residual_factor: float
    national_residual_data_year: int
    national_residual_source: str
    by_holder: list[dict[str, Any]]


def scope2_market(ws: Workspace, *, district: str | None = None,
                  year: int) -> Scope2Report | None:
    """Market-based beside location-based scope 2 from the official account of ``year``
    (None without one): per entity, certified MWh (≤ its purchase) count 0 and the rest is
    multiplied by its grid factor (see :class:`Scope2Report`) — and, as a variant, by the
    national residual factor."""
    d = ws.district(district)
    tables = _account_tables(ws, d, year, ["inventory_entity_year"])
    if tables is None:
        return None
    ey = tables["inventory_entity_year"]
    el = ey[(ey["carrier"] == "electricity") & ey["scope"].isin(["2"])]
    per = el.groupby("entity_id")[["quantity", "tco2"]].sum()
    certs = certificate_mwh(ws, d.id, year)
    resid, dy, source = residual_factor(year)
    rows = []
    loc = mkt = nat = bought = backed = 0.0
    for ent, r in per.iterrows():
        mwh = float(r["quantity"]) / 1000.0
        grid = float(r["tco2"]) / mwh if mwh > 0 else 0.0
        s2 = scope2_dual(mwh, certs.get(str(ent), 0.0), grid, grid)
        loc, mkt = loc + s2.location_tco2, mkt + s2.market_tco2
        nat += scope2_dual(mwh, certs.get(str(ent), 0.0), grid, resid).market_tco2
        bought, backed = bought + mwh, backed + s2.certified_mwh
        if certs.get(str(ent)):
            rows.append({"entity_id": str(ent), **asdict(s2)})
    return Scope2Report(year, bought, backed, loc, mkt, "grid_factor", nat, resid, dy, source,
                        rows)
