"""Held values: suspicious readings stored but left out of the official account until an
analyst confirms or rejects them (``carbonpeak held``, ``/api/v1/held``).

中文：待核实数值：入库时判为尖峰的读数已保存，但在分析员确认或剔除之前不计入正式核算；
每次决定都记入审计日志。

The intake holds them (:mod:`carbonpeak.intake.plausibility`): interval readings
(``intake.held.spike``: the reading is left out) and cumulative register reads
(``intake.held.register_spike``: the step ending at the read is left out). The account leaves
out the held and the rejected ones and refuses to become official while a held one is a live
read of its year (:func:`carbonpeak.services.accounting.account.run_account`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carbonpeak.errors import ConflictError, NotFoundError
from carbonpeak.i18n import Message, render
from carbonpeak.storage.registry.models import HeldValue, utcnow
from carbonpeak.storage.registry.repositories import accounting as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import HeldStatus

__all__ = ["decide_held", "list_held"]


def _row(h: HeldValue) -> dict[str, Any]:
    reason = Message(h.reason_code, {k: f"{v:.6g}" if isinstance(v, float) else v
                                     for k, v in (h.details or {}).items()})
    return {"id": h.id, "meter_id": h.meter_id, "ts": h.ts.isoformat() + "Z", "month": h.month,
            "value": h.value, "status": h.status, "batch_id": h.batch_id,
            "reason_code": h.reason_code, "reason_zh": render(reason, "zh"),
            "reason_en": render(reason, "en"), "decided_by": h.decided_by,
            "decided_at": h.decided_at.isoformat() + "Z" if h.decided_at else None,
            "note": h.note}


def list_held(ws: Workspace, district_id: str, *, status: str | None = HeldStatus.HELD,
              year: int | None = None) -> list[dict[str, Any]]:
    """The held values of the district (``status`` None: every decision too), oldest first."""
    with ws.registry.session() as s:
        return [_row(h) for h in repo.held_values(
            s, district_id, status=HeldStatus(status) if status is not None else None,
            year=year)]


def decide_held(ws: Workspace, district_id: str, ids: Sequence[int], decision: str, *,
                note: str | None = None) -> list[dict[str, Any]]:
    """Confirm (it counts) or reject (it never counts) held values; each decision is
    audit-logged with the value's old and new status.

    Raises
    ------
    NotFoundError
        An id is not a held value of the district (nothing is changed).
    ConflictError
        A value was decided already (decisions are final; nothing is changed).
    """
    status = HeldStatus(decision)
    if status == HeldStatus.HELD:
        msg = "a decision is confirmed or rejected"
        raise ValueError(msg)
    with ws.registry.session() as s:
        rows = {h.id: h for h in repo.held_values_by_ids(s, district_id, ids)}
        missing = [i for i in ids if i not in rows]
        if missing:
            msg = f"no held value {', '.join(map(str, missing))} in district {district_id}"
            raise NotFoundError(msg)
        decided = [i for i in ids if rows[i].status != HeldStatus.HELD]
        if decided:
            msg = (f"held value(s) {', '.join(map(str, decided))} were decided already "
                   f"({', '.join(rows[i].status for i in decided)})")
            raise ConflictError(msg)
        now = utcnow()
        for i in ids:
            h = rows[i]
            h.status, h.decided_by, h.decided_at, h.note = status, ws.actor, now, note
            audit(s, ws.actor, f"held_{status.value}", "held_value", str(h.id), {
                "meter_id": h.meter_id, "ts": h.ts.isoformat() + "Z", "value": h.value,
                "batch_id": h.batch_id, "status": [HeldStatus.HELD.value, status.value],
                "note": note}, district=district_id)
        s.flush()
        return [_row(rows[i]) for i in ids]
