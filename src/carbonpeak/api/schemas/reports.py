"""The white paper's content as JSON (``routes/reports.py``).

Each section is an open object (``Detail``): its figures, tables and notes differ by
section and change as the white paper grows; every section has ``available`` (and a reason
when it is not). The section list itself is fixed here."""

from __future__ import annotations

from pydantic import Field

from carbonpeak.api.schemas.common import Detail, Public

__all__ = ["ReportDistrictPublic", "ReportRunPublic", "ReportStreetPublic", "WhitePaperPublic"]


class ReportStreetPublic(Public):
    """A street of the district."""

    code: str
    name_zh: str
    name_en: str


class ReportDistrictPublic(Public):
    """The district the white paper is about."""

    id: str
    name_zh: str
    name_en: str
    province: str | None
    climate_zone: str | None
    streets: list[ReportStreetPublic]


class ReportRunPublic(Public):
    """The official account run every figure comes from."""

    id: int
    factor_set: str
    created_at: str | None
    engine: str | None
    input_batches: list[int]


class WhitePaperPublic(Public):
    """年度碳排放状况白皮书: every figure of a year, by section."""

    district: ReportDistrictPublic
    year: int
    run: ReportRunPublic
    summary: Detail
    breakdowns: Detail
    trends: Detail
    dual_control: Detail
    key_units: Detail
    lmdi: Detail
    peak: Detail
    public_buildings: Detail
    renewables: Detail
    demand_response: Detail
    targets: Detail
    map: Detail
    method: Detail
    retrofits: Detail
    audits: Detail
    obligations: Detail
    commissioning: Detail
    rooftop_pv: Detail
    projects: Detail = Field(description="the project gate (节能审查) and dual control's "
                             "deductions (docs/projects.md)")
    extra_sections: list[str]
    as_of: str
    figures: Detail = Field(description="the year's published figures (the figure "
                            "catalogue): the values the white paper prints")
    edition: Detail = Field(description="the edition's settings: the issuing office (from "
                            "the profile) and how chapters without data are shown")
