"""Verifying reference values: who may, what is stored and logged, and the derived status.

An admin cites the document a quota-table row (or a factor row, or a rule) was checked
against; the row's status is then *verified* wherever it is shown, until the verification is
withdrawn or the row is reloaded with other values. Analysts and other districts' admins are
refused (403), unknown targets and ids are 404.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from carbonpeak.api.app import create_app
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.services.accounting.verifications import (
    current_verifications,
    derived_status,
    district_profile,
    quota_target,
)
from carbonpeak.storage.registry.models import AuditLog
from carbonpeak.storage.workspace import Workspace

TABLE = "gbt51161-2016"
URL = "/api/v1/reference-verifications"


@pytest.fixture
def api(ws: Workspace) -> tuple[TestClient, dict[str, dict[str, str]]]:
    create_user(ws, "boss", "district_admin", district="huangpu")
    create_user(ws, "ana", "district_analyst", district="huangpu")
    heads = {u: {"Authorization": f"Bearer {issue_token(ws, u).token}"} for u in ("boss", "ana")}
    return TestClient(create_app(workspace=ws)), heads


def _rows(c: TestClient, h: dict[str, str]) -> dict[str, dict[str, Any]]:
    r = c.get(f"/api/v1/quota-tables/{TABLE}", headers=h)
    assert r.status_code == 200, r.text
    return {x["verification_target"]: x for x in r.json()["rows"]}


def _form(target: str, **extra: str) -> dict[str, Any]:
    return {"kind": "quota_row", "target": target, "document_no": "GB/T 51161-2016",
            "document_date": "2016-12-01", "clause": "表 5.2.1, p. 12"} | extra


def test_admin_verifies_a_quota_row_with_its_document_and_withdraws_it(
        ws: Workspace, api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = api
    rows = _rows(c, h["boss"])
    target, row = next((k, v) for k, v in rows.items() if v["status"] == "unverified")
    assert target == quota_target(TABLE, row["region"], row["quota_class"])
    before = c.get("/api/v1/quota-tables", headers=h["boss"]).json()["items"]
    unverified_before = next(x for x in before if x["table_id"] == TABLE)["statuses"]["unverified"]

    # an analyst may neither verify nor read the verifications
    assert c.post(URL, data=_form(target), headers=h["ana"]).status_code == 403
    assert c.get(URL, headers=h["ana"]).status_code == 403
    # unknown targets and another district's rules
    assert c.post(URL, data=_form(f"{TABLE}/nowhere/X"), headers=h["boss"]).status_code == 404
    assert c.post(URL, data=_form("tianhe/buildings.audit_interval_years") | {"kind": "rule"},
                  headers=h["boss"]).status_code == 403
    # a citation needs its number and clause
    assert c.post(URL, data=_form(target, clause=""), headers=h["boss"]).status_code == 422

    document = b"%PDF-1.4 the standard's page\n"
    r = c.post(URL, data=_form(target), files={"file": ("GB 51161.pdf", document,
                                                        "application/pdf")},
               headers=h["boss"])
    assert r.status_code == 201, r.text
    (v,) = r.json()["items"]
    assert v["verified_by"] == "user:boss"
    assert v["file_sha256"] == hashlib.sha256(document).hexdigest()
    assert v["checked_values"]["constraint_value"] == row["constraint_value"]
    stored = ws.settings.home / "verifications" / f"{v['file_sha256']}.pdf"
    assert stored.read_bytes() == document

    # the status is derived everywhere: the row, the table's counts
    after = _rows(c, h["boss"])[target]
    assert after["status"] == "verified"
    assert after["verification"]["document_no"] == "GB/T 51161-2016"
    assert _rows(c, h["ana"])[target]["status"] == "verified"
    counts = next(x for x in c.get("/api/v1/quota-tables", headers=h["ana"]).json()["items"]
                  if x["table_id"] == TABLE)["statuses"]
    assert counts["unverified"] == unverified_before - 1
    assert counts["verified"] >= 1
    listed = c.get(URL, headers=h["boss"]).json()["items"]
    assert [x["id"] for x in listed] == [v["id"]]

    # withdrawal: analysts refused, the shipped status back, twice is a conflict
    assert c.delete(f"{URL}/{v['id']}", headers=h["ana"]).status_code == 403
    assert c.delete(f"{URL}/999999", headers=h["boss"]).status_code == 404
    r = c.delete(f"{URL}/{v['id']}", headers=h["boss"])
    assert r.status_code == 200, r.text
    assert r.json()["withdrawn_by"] == "user:boss"
    assert _rows(c, h["boss"])[target]["status"] == "unverified"
    assert c.delete(f"{URL}/{v['id']}", headers=h["boss"]).status_code == 409
    assert c.get(URL, headers=h["boss"]).json()["items"] == []

    with ws.registry.session() as s:
        log = [(a.actor, a.action, a.object_id, a.details.get("verification_id"))
               for a in s.scalars(select(AuditLog).where(AuditLog.object_type == "reference_value")
                                  .order_by(AuditLog.id))]
    assert log == [("user:boss", "verify", f"quota_row:{target}", v["id"]),
                   ("user:boss", "withdraw", f"quota_row:{target}", v["id"])]


def test_rule_and_factor_row_verifications_derive_their_statuses(
        ws: Workspace, api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = api
    d = ws.district()
    key = next(k for k, e in d.profile["buildings"].items()
               if isinstance(e, dict) and e.get("status") == "unverified")
    assert district_profile(ws, d)["buildings"][key]["status"] == "unverified"
    r = c.post(URL, data=_form(f"huangpu/buildings.{key}") | {"kind": "rule"},
               headers=h["boss"])
    assert r.status_code == 201, r.text
    assert district_profile(ws, d)["buildings"][key]["status"] == "verified"
    # a verification holds for the values it checked, not for a changed value
    with ws.registry.session() as s:
        index = current_verifications(s)
    checked = r.json()["items"][0]["checked_values"]
    assert derived_status(index, "rule", f"huangpu/buildings.{key}", "unverified",
                          checked) == "verified"
    assert derived_status(index, "rule", f"huangpu/buildings.{key}", "unverified",
                          {"value": "something else"}) == "unverified"

    # a key-unit rule (a list in the profile, one rule per metric)
    r = c.post(URL, data=_form("huangpu/key_unit_rules.floor_area_m2") | {"kind": "rule"},
               headers=h["boss"])
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["checked_values"] == {"threshold": 50000}
    kur = {x["metric"]: x["status"] for x in district_profile(ws, d)["key_unit_rules"]}
    assert kur == {"floor_area_m2": "verified", "energy_tce_equivalent": "unverified"}

    # a factor row: its status in the factor set (every role reads it)
    sets = c.get("/api/v1/factor-sets", headers=h["ana"]).json()["items"]
    set_id = next(x["set_id"] for x in sets if "unverified" in x["row_statuses"])
    rows = c.get(f"/api/v1/factor-sets/{set_id}", headers=h["ana"]).json()["rows"]
    row = next(r for r in rows if r["status"] == "unverified" and r["origin_set"] == set_id)
    target = f"{set_id}/{row['carrier']}/{row['quantity']}/{row['year_from'] or ''}"
    r = c.post(URL, data=_form(target) | {"kind": "factor_row"}, headers=h["boss"])
    assert r.status_code == 201, r.text
    after = c.get(f"/api/v1/factor-sets/{set_id}", headers=h["ana"]).json()["rows"]
    same = [x for x in after if (x["carrier"], x["quantity"], x["year_from"], x["origin_set"])
            == (row["carrier"], row["quantity"], row["year_from"], set_id)]
    assert [x["status"] for x in same] == ["verified"]
    others = [x["status"] for x in after if x not in same]
    assert others.count("unverified") == [x["status"] for x in rows].count("unverified") - 1
