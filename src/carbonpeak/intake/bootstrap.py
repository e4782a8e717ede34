"""Setting up a carbonpeak home: migrate the registry, load the shipped factor sets and quota
tables, create the districts of the profiles and their target catalogues.

中文：初始化：迁移登记库，载入内置排放因子集与限额表，按配置创建区及其目标清单。

Idempotent: running it again changes nothing unless a shipped set or profile changed.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carbonpeak.config import Settings
from carbonpeak.domain.factors import FactorRow
from carbonpeak.errors import ConfigError
from carbonpeak.i18n import Message, Text, msg
from carbonpeak.intake.imports import import_file
from carbonpeak.intake.quota_files import QuotaTableSpec, read_quota_file
from carbonpeak.reference import (
    FactorSetSpec,
    read_city,
    read_factor_set,
    read_profile,
    reference_dir,
    shipped_factor_sets,
    shipped_quota_tables,
)
from carbonpeak.storage.registry.models import (
    City,
    District,
    FactorRowRecord,
    FactorSetRecord,
    QuotaRowRecord,
    QuotaTableRecord,
    Street,
)
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace, audit, latest_factor_set

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["init_workspace", "load_factor_set", "load_quota_table"]


def load_factor_set(ws: Workspace, spec: FactorSetSpec) -> tuple[FactorSetRecord, bool]:
    """Store ``spec`` as a new version unless the newest version has the same content.

    Returns the stored (or unchanged) version and whether a new version was created. The
    Chinese texts (the set's description, each row's source) are not content: when only they
    differ, the newest version's texts are updated in place and audit-logged.
    """
    checksum = spec.checksum
    with ws.registry.session() as s:
        current = repo.latest_factor_set_version(s, spec.set_id)
        if current is not None and current.checksum == checksum:
            _update_chinese_texts(s, ws.actor, current, spec)
            return current, False
        version = (current.version + 1) if current is not None else 1
        rec = FactorSetRecord(
            set_id=spec.set_id, version=version, name_zh=spec.name_zh, name_en=spec.name_en,
            region=spec.region, kind=spec.kind, description=spec.description,
            description_zh=spec.description_zh,
            includes=list(spec.includes), effective_from=spec.effective_from,
            effective_to=spec.effective_to, checksum=checksum, loaded_by=ws.actor,
            rows=[
                FactorRowRecord(
                    carrier=r.carrier, quantity=r.quantity, value=r.value, per_unit=r.per_unit,
                    year_from=r.year_from, year_to=r.year_to, data_year=r.data_year,
                    status=r.status, source=r.source, source_zh=r.source_zh, note=r.note,
                    origin_set=r.origin_set,
                )
                for r in spec.rows
            ],
        )
        s.add(rec)
        s.flush()
        audit(s, ws.actor, "load", "factor_set", f"{spec.set_id}@v{version}", {
            "checksum": checksum, "rows": len(spec.rows),
            "previous_version": current.version if current else None,
        }, district=None)
        return rec, True


def _row_key(r: FactorRow | FactorRowRecord) -> tuple[object, ...]:
    return (r.carrier, r.quantity, r.per_unit, r.year_from, r.year_to, r.origin_set, r.source)


def _update_chinese_texts(s: Session, actor: str, current: FactorSetRecord,
                          spec: FactorSetSpec) -> None:
    """Write the spec's Chinese description and row sources into the stored version (same
    checksum: the same factors), audit-logging what changed."""
    wanted = {_row_key(r): r.source_zh for r in spec.rows}
    rows = 0
    for rec in current.rows:
        zh = wanted.get(_row_key(rec))
        if zh is not None and zh != rec.source_zh:
            rec.source_zh = zh
            rows += 1
    description = spec.description_zh != current.description_zh
    if description:
        current.description_zh = spec.description_zh
    if rows or description:
        audit(s, actor, "update", "factor_set", f"{current.set_id}@v{current.version}",
              {"chinese_texts": {"rows": rows, "description": description}}, district=None)


def load_quota_table(ws: Workspace, spec: QuotaTableSpec) -> tuple[QuotaTableRecord, bool]:
    """Store a quota table as a new version unless the newest version has the same content.

    Returns the stored (or unchanged) version and whether a new version was created.
    """
    with ws.registry.session() as s:
        current = repo.latest_quota_table_version(s, spec.table_id)
        if current is not None and current.checksum == spec.checksum:
            len(current.rows)  # load the rows while the session is open
            return current, False
        version = (current.version + 1) if current is not None else 1
        rec = QuotaTableRecord(
            table_id=spec.table_id, version=version, checksum=spec.checksum,
            origin=spec.origin[:256], loaded_by=ws.actor,
            rows=[QuotaRowRecord(**asdict(r)) for r in spec.rows])
        s.add(rec)
        s.flush()
        audit(s, ws.actor, "load", "quota_table", f"{spec.table_id}@v{version}", {
            "checksum": spec.checksum, "rows": len(spec.rows), "origin": spec.origin,
            "statuses": sorted({r.status for r in spec.rows}),
            "previous_version": current.version if current else None,
        }, district=None)
        return rec, True


def init_workspace(settings: Settings, *, profiles: list[str | Path] | None = None,
                   actor: str | None = None, load_targets: bool = True,
                   cities: list[str | Path] | None = None) -> tuple[Workspace, list[Message]]:
    """Migrate the registry, load the shipped factor sets, create districts from profiles,
    and cities from city profiles (each with the districts it lists, ``reference/cities``).

    With ``load_targets`` a new district also gets its shipped target catalogue (one batch).

    Idempotent: running it again changes nothing unless a shipped set or profile changed.
    """
    ws = Workspace.open(settings, actor=actor, check=False)
    ws.registry.upgrade()
    notes: list[Message] = []
    for set_id in shipped_factor_sets():
        rec, created = load_factor_set(ws, read_factor_set(set_id))
        if created:
            notes.append(msg("intake.init.factor_set", set=set_id, version=rec.version,
                             rows=len(rec.rows)))
    for path in shipped_quota_tables():
        qt, created = load_quota_table(ws, read_quota_file(path))
        if created:
            notes.append(msg("intake.init.quota_table", table=qt.table_id, version=qt.version,
                             rows=len(qt.rows)))
    for profile in profiles or []:
        prof = read_profile(profile)
        notes.extend(_ensure_district(ws, prof))
        if load_targets:
            notes.extend(_ensure_targets(ws, prof["code"]))
    for city_profile in cities or []:
        city = read_city(city_profile)
        for prof in city["districts"]:
            notes.extend(_ensure_district(ws, prof))
            if load_targets:
                notes.extend(_ensure_targets(ws, prof["code"]))
        notes.extend(_ensure_city(ws, city))
    ws.lake.root.mkdir(parents=True, exist_ok=True)
    return ws, notes


def _ensure_targets(ws: Workspace, code: str) -> list[Message]:
    """Load the shipped target catalogue of a new district (``reference/targets/<code>.csv``).

    Only when the district has no targets yet: an edited catalogue is never overwritten.
    """
    path = reference_dir() / "targets" / f"{code}.csv"
    with ws.registry.session() as s:
        has = repo.first_target_id(s, code)
    if has is not None or not path.is_file():
        return []
    res = import_file(ws, "targets", path, district=code)
    return [msg("intake.init.targets", file=path.name, targets=res.added, batch=res.batch_id)]


def _ensure_city(ws: Workspace, c: dict[str, Any]) -> list[Message]:
    """The city row, and its districts joined to it (audit-logged)."""
    notes: list[Message] = []
    codes = [str(d["code"]) for d in c["districts"]]
    with ws.registry.session() as s:
        city = s.get(City, c["code"])
        fields = {"name_zh": c["name_zh"], "name_en": c["name_en"],
                  "province": c.get("province", ""),
                  "profile": {k: v for k, v in c.items() if k != "districts"} | {
                      "districts": codes}}
        if city is None:
            s.add(City(id=c["code"], **fields))
            audit(s, ws.actor, "create", "city", c["code"], {"name": c["name_zh"],
                                                            "districts": codes}, district=None)
            notes.append(msg("intake.init.city", code=c["code"], name=c["name_zh"]))
        else:
            changed = {k: v for k, v in fields.items() if getattr(city, k) != v}
            for k, v in changed.items():
                setattr(city, k, v)
            if changed:
                audit(s, ws.actor, "update", "city", city.id, {"fields": sorted(changed)},
                      district=None)
        s.flush()
        for code in codes:
            d = s.get(District, code)
            if d is not None and d.city_id != c["code"]:
                audit(s, ws.actor, "update", "district", code,
                      {"city_id": {"old": d.city_id, "new": c["code"]}}, district=code)
                d.city_id = c["code"]
                notes.append(msg("intake.init.city_district", district=code, city=c["code"]))
    return notes


def _ensure_district(ws: Workspace, p: dict[str, Any]) -> list[Message]:
    notes: list[Message] = []
    with ws.registry.session() as s:
        d = s.get(District, p["code"])
        fields = {
            "name_zh": p["name_zh"], "name_en": p["name_en"], "province": p["province"],
            "timezone": p.get("timezone", "Asia/Shanghai"), "grid_region": p["grid_region"],
            "climate_zone": p.get("climate_zone"), "default_factor_set": p["default_factor_set"],
            "profile": {k: v for k, v in p.items() if k != "streets"},
        }
        latest_factor_set(s, p["default_factor_set"])  # must exist
        if d is None:
            d = District(id=p["code"], **fields)
            s.add(d)
            audit(s, ws.actor, "create", "district", p["code"], {"name": p["name_zh"]},
                  district=p["code"])
            notes.append(msg("intake.init.district", code=p["code"],
                             name=Text(p["name_zh"], p["name_en"])))
        else:
            changed = {k: v for k, v in fields.items() if getattr(d, k) != v}
            for k, v in changed.items():
                setattr(d, k, v)
            if changed:
                audit(s, ws.actor, "update", "district", d.id, {"fields": sorted(changed)},
                      district=d.id)
        s.flush()
        have = {st.name_zh for st in repo.streets_of_district(s, d.id)}
        added = 0
        for st in p.get("streets", []):
            if st["name_zh"] not in have:
                s.add(Street(district_id=d.id, code=st["code"], name_zh=st["name_zh"],
                             name_en=st["name_en"], lat=st.get("lat"), lon=st.get("lon")))
                added += 1
        if added:
            audit(s, ws.actor, "create", "streets", d.id, {"added": added}, district=d.id)
            notes.append(msg("intake.init.streets", added=added, district=d.id))
        n = repo.street_count(s, d.id)
        if not n:
            text = f"district profile {p['code']} defines no streets"
            raise ConfigError(text)
    return notes
