"""The indicator registry (C12): each district target's indicator, whether it is observed (a
unit reports it) or computed (the account, the programmes or a spatial computation), its
unit, its responsible unit, how often it is asked, its latest value and how recent it is.

中文：指标登记：观测或计算、单位、责任单位、报送频次、最新值与时效。

The frequency of an observed indicator is the district's dispatch cadence (profile
``[supervision] dispatch_frequency``, default ``quarterly``: the plans say 定期 only, so it is
a setting); a computed one follows the yearly account.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from carbonpeak.domain.supervision.timeliness import TimelinessRule, timeliness
from carbonpeak.services.supervision.coverage import COVERAGE_TARGETS
from carbonpeak.services.supervision.rounds import target_owners
from carbonpeak.storage.registry.repositories import supervision as repo
from carbonpeak.storage.workspace import Workspace

__all__ = ["indicator_registry"]


def indicator_registry(ws: Workspace, *, district: str | None = None,
                       today: dt.date | None = None) -> list[dict[str, Any]]:
    """One row per active district target (see the module)."""
    d = ws.district(district)
    day = today or dt.date.today()
    conf = (d.profile or {}).get("supervision") or {}
    cadence = str(conf.get("dispatch_frequency", "quarterly"))
    t = conf.get("timeliness") or {}
    rule = TimelinessRule(**{k: int(v) for k, v in t.items()}) if t else TimelinessRule()
    with ws.registry.session() as s:
        owners = target_owners(s, d.id)
        names = {o.code: o.name_zh for o in repo.organisations_of_district(s, d.id)}
        targets = repo.active_district_targets(s, d.id)
        last: dict[int, dt.date] = repo.latest_observation_days(s, [x.id for x in targets])
    out = []
    for x in targets:
        kind = "computed" if x.metric or x.code in COVERAGE_TARGETS else "observed"
        owner = owners.get(x.code)
        seen = last.get(x.id)
        out.append({"code": x.code, "indicator_zh": x.indicator_zh,
                    "indicator_en": x.indicator_en, "kind": kind,
                    "method": x.metric or ("coverage" if x.code in COVERAGE_TARGETS
                                           else "dispatch"),
                    "unit": x.unit, "responsible": owner,
                    "responsible_name": names.get(owner or "", ""),
                    "frequency": "yearly" if x.metric else cadence,
                    "last_observed_on": str(seen) if seen else None,
                    "timeliness": timeliness(seen, day, rule).value if not x.metric
                    else None})
    return out
