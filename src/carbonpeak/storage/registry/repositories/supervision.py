"""The supervision capability's reads of the registry: the responsible units, the tasks, the
dispatch rounds and their submissions, the green programmes and the eligible counts, and
the targets and streets the supervision use cases look up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    DispatchRound,
    EligibleCount,
    GreenProgramme,
    Organisation,
    RoundSubmission,
    Street,
    SupervisionTask,
    Target,
    TargetObservation,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    streets_of_district,
)
from carbonpeak.vocabulary import ProgrammeStatus

__all__ = [
    "active_district_targets",
    "active_organisation_codes",
    "active_organisations",
    "active_targets",
    "approved_programmes",
    "district_target_id",
    "eligible_count_as_of",
    "energy_per_gdp_target_codes",
    "latest_eligible_count",
    "latest_observation_days",
    "organisation_by_code",
    "organisation_id",
    "organisations_by_code",
    "organisations_of_district",
    "programmes_of_district",
    "round_id_of_period",
    "round_periods",
    "rounds_newest_first",
    "rounds_of_district",
    "street_by_code",
    "street_codes",
    "street_id",
    "streets_by_code",
    "streets_of_district",
    "submission_of_item",
    "submissions_of_round",
    "submissions_of_rounds",
    "target_submissions",
    "task_by_code",
    "tasks_by_code",
    "tasks_of_district",
]


# -- responsible units ---------------------------------------------------------------------
def organisations_of_district(s: Session, district_id: str) -> list[Organisation]:
    """The district's organisations, in no particular order."""
    return list(s.scalars(select(Organisation).where(Organisation.district_id == district_id)))


def organisations_by_code(s: Session, district_id: str) -> list[Organisation]:
    """The district's organisations by code."""
    return list(s.scalars(select(Organisation).where(
        Organisation.district_id == district_id).order_by(Organisation.code)))


def active_organisations(s: Session, district_id: str) -> list[Organisation]:
    """The district's active organisations, in no particular order."""
    return list(s.scalars(select(Organisation).where(Organisation.district_id == district_id,
                                                     Organisation.active.is_(True))))


def active_organisation_codes(s: Session, district_id: str) -> list[str]:
    """The codes of the district's active organisations."""
    return list(s.scalars(select(Organisation.code).where(
        Organisation.district_id == district_id, Organisation.active.is_(True))))


def organisation_by_code(s: Session, district_id: str, code: str) -> Organisation | None:
    """The district's organisation ``code``, or None."""
    return s.scalars(select(Organisation).where(Organisation.district_id == district_id,
                                                Organisation.code == code)).first()


def organisation_id(s: Session, district_id: str, code: str) -> int | None:
    """The id of the district's organisation ``code``, or None."""
    return s.scalars(select(Organisation.id).where(Organisation.district_id == district_id,
                                                   Organisation.code == code)).first()


# -- streets -------------------------------------------------------------------------------
def streets_by_code(s: Session, district_id: str) -> list[Street]:
    """The district's streets by code."""
    return list(s.scalars(select(Street).where(
        Street.district_id == district_id).order_by(Street.code)))


def street_by_code(s: Session, district_id: str, code: str) -> Street | None:
    """The district's street ``code``, or None."""
    return s.scalars(select(Street).where(Street.district_id == district_id,
                                          Street.code == code)).first()


def street_id(s: Session, district_id: str, code: str) -> int | None:
    """The id of the district's street ``code``, or None."""
    return s.scalars(select(Street.id).where(Street.district_id == district_id,
                                             Street.code == code)).first()


def street_codes(s: Session, district_id: str) -> list[str]:
    """The codes of the district's streets, in no particular order."""
    return list(s.scalars(select(Street.code).where(Street.district_id == district_id)))


# -- tasks ---------------------------------------------------------------------------------
def tasks_of_district(s: Session, district_id: str) -> list[SupervisionTask]:
    """The district's supervision tasks, in no particular order."""
    return list(s.scalars(select(SupervisionTask).where(
        SupervisionTask.district_id == district_id)))


def tasks_by_code(s: Session, district_id: str) -> list[SupervisionTask]:
    """The district's supervision tasks by code (the plan's order)."""
    return list(s.scalars(select(SupervisionTask).where(
        SupervisionTask.district_id == district_id).order_by(SupervisionTask.code)))


def task_by_code(s: Session, district_id: str, code: str) -> SupervisionTask | None:
    """The district's task ``code``, or None."""
    return s.scalars(select(SupervisionTask).where(
        SupervisionTask.district_id == district_id, SupervisionTask.code == code)).first()


# -- targets -------------------------------------------------------------------------------
def active_targets(s: Session, district_id: str) -> list[Target]:
    """The district's active targets of every scope, in no particular order."""
    return list(s.scalars(select(Target).where(Target.district_id == district_id,
                                               Target.active.is_(True))))


def active_district_targets(s: Session, district_id: str) -> list[Target]:
    """The district's active district-scope targets by code."""
    return list(s.scalars(select(Target).where(
        Target.district_id == district_id, Target.active.is_(True),
        Target.scope_type == "district").order_by(Target.code)))


def district_target_id(s: Session, district_id: str, code: str) -> int | None:
    """The id of the district-scope target ``code``, or None."""
    return s.scalars(select(Target.id).where(
        Target.district_id == district_id, Target.code == code,
        Target.scope_type == "district")).first()


def energy_per_gdp_target_codes(s: Session, district_id: str) -> list[str]:
    """The codes of the district-scope targets on energy per GDP."""
    return list(s.scalars(select(Target.code).where(
        Target.district_id == district_id, Target.metric == "energy_per_gdp",
        Target.scope_type == "district")))


def latest_observation_days(s: Session, target_ids: Sequence[int]) -> dict[int, dt.date]:
    """Target id -> the date of its latest observation (only those observed)."""
    return {int(tid): day for tid, day in s.execute(
        select(TargetObservation.target_id, func.max(TargetObservation.observed_on))
        .where(TargetObservation.target_id.in_(list(target_ids)))
        .group_by(TargetObservation.target_id))}


# -- dispatch rounds -----------------------------------------------------------------------
def round_id_of_period(s: Session, district_id: str, period: str) -> int | None:
    """The id of the district's round of ``period``, or None."""
    return s.scalars(select(DispatchRound.id).where(DispatchRound.district_id == district_id,
                                                    DispatchRound.period == period)).first()


def round_periods(s: Session, district_id: str) -> list[str]:
    """The periods of the district's rounds."""
    return list(s.scalars(select(DispatchRound.period).where(
        DispatchRound.district_id == district_id)))


def rounds_of_district(s: Session, district_id: str) -> list[DispatchRound]:
    """The district's rounds, in no particular order."""
    return list(s.scalars(select(DispatchRound).where(
        DispatchRound.district_id == district_id)))


def rounds_newest_first(s: Session, district_id: str) -> list[DispatchRound]:
    """The district's rounds, newest first."""
    return list(s.scalars(select(DispatchRound).where(
        DispatchRound.district_id == district_id).order_by(DispatchRound.id.desc())))


def submissions_of_round(s: Session, round_id: int, *,
                         unit: str | None = None) -> list[RoundSubmission]:
    """The submissions of a round (only ``unit``'s when given), by unit and item."""
    q = select(RoundSubmission).where(RoundSubmission.round_id == round_id)
    if unit is not None:
        q = q.where(RoundSubmission.unit == unit)
    return list(s.scalars(q.order_by(RoundSubmission.unit, RoundSubmission.item)))


def submission_of_item(s: Session, round_id: int, unit: str,
                       item: str) -> RoundSubmission | None:
    """The submission of ``item`` by ``unit`` in a round, or None."""
    return s.scalars(select(RoundSubmission).where(
        RoundSubmission.round_id == round_id, RoundSubmission.unit == unit,
        RoundSubmission.item == item)).first()


def submissions_of_rounds(s: Session, round_ids: Sequence[int]) -> list[RoundSubmission]:
    """The submissions of the given rounds, by id."""
    return list(s.scalars(select(RoundSubmission).where(
        RoundSubmission.round_id.in_(list(round_ids))).order_by(RoundSubmission.id)))


def target_submissions(s: Session, district_id: str,
                       items: Sequence[str]) -> list[RoundSubmission]:
    """The district's submissions of the given items (``target:<code>``), by id."""
    return list(s.scalars(select(RoundSubmission).where(
        RoundSubmission.district_id == district_id,
        RoundSubmission.item.in_(list(items))).order_by(RoundSubmission.id)))


# -- green programmes and eligible counts --------------------------------------------------
def eligible_count_as_of(s: Session, district_id: str, code: str,
                         as_of: dt.date) -> EligibleCount | None:
    """The eligible count of target ``code`` entered as of exactly ``as_of``, or None."""
    return s.scalars(select(EligibleCount).where(
        EligibleCount.district_id == district_id, EligibleCount.target_code == code,
        EligibleCount.as_of == as_of)).first()


def latest_eligible_count(s: Session, district_id: str, code: str,
                          on: dt.date) -> EligibleCount | None:
    """The latest eligible count of target ``code`` as of ``on`` or before, or None."""
    return s.scalars(select(EligibleCount).where(
        EligibleCount.district_id == district_id, EligibleCount.target_code == code,
        EligibleCount.as_of <= on).order_by(EligibleCount.as_of.desc())).first()


def programmes_of_district(s: Session, district_id: str) -> list[GreenProgramme]:
    """The district's green-programme applications, by id."""
    return list(s.scalars(select(GreenProgramme).where(
        GreenProgramme.district_id == district_id).order_by(GreenProgramme.id)))


def approved_programmes(s: Session, district_id: str, on: dt.date) -> list[GreenProgramme]:
    """The district's programmes approved on ``on`` or before, in no particular order."""
    return list(s.scalars(select(GreenProgramme).where(
        GreenProgramme.district_id == district_id,
        GreenProgramme.status == ProgrammeStatus.APPROVED,
        GreenProgramme.approved_on <= on)))
