"""API: the project gate (节能审查) and the certificate ledger (绿证).

Who reads what:
* projects: district admins and analysts every project of the district; a
  ``project_developer`` only its own organisation's (``users.org_code``); a project outside the
  caller's view answers 404 like one that does not exist; every other role 403;
* the pipeline and its headroom (a district-wide aggregate of every developer's projects) and
  market-based scope 2: admins and analysts;
* the certificate ledger: admins and analysts the district's, entity roles their own
  entities' entries.

Who enters what (``POST /projects``, ``PUT /projects/{code}``, audit-logged with each field's
old and new value): admins and analysts any project of the district; a ``project_developer``
its own (the developer is its organisation; another's project answers 404); others 403.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from carbonpeak.api.deps import CurrentWorkspace, acting_as, requires
from carbonpeak.api.responses import NO_NUL, JSONRoute, Limit, Offset, fast_json, page
from carbonpeak.api.schemas.common import Detail, MessageCodePublic, Public
from carbonpeak.api.schemas.metrics import FigurePublic
from carbonpeak.errors import NotFoundError
from carbonpeak.services.access.scope import scope_of
from carbonpeak.services.accounting.certificates import list_certificates, scope2_market
from carbonpeak.services.figures import published_pipeline
from carbonpeak.services.projects.entry import save_project
from carbonpeak.services.projects.register import one_project, operation, pipeline, project_rows
from carbonpeak.storage.principals import Principal
from carbonpeak.vocabulary import ANALYST_ROLES, ENTITY_ROLES, Role

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["projects"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not read this"},
    404: {"description": "not found, or outside the caller's view"},
    422: {"description": "invalid parameters"},
}
ProjectReader = Annotated[Principal, requires(*ANALYST_ROLES, Role.PROJECT_DEVELOPER,
                                              what="read the project register")]
DistrictReader = Annotated[Principal, requires(*ANALYST_ROLES,
                                               what="read the district's pipeline or scope 2")]
LedgerReader = Annotated[Principal, requires(*ANALYST_ROLES, *ENTITY_ROLES,
                                             what="read the certificate ledger")]
ProjectEditor = Annotated[Principal, requires(*ANALYST_ROLES, Role.PROJECT_DEVELOPER,
                                              what="enter projects")]
_CODE = r"^[A-Za-z0-9_.\-]+$"
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_RESPONSES, 403: {"description": "the caller's role may not enter projects"},
    409: {"description": "a project with this code exists"},
    422: {"description": "invalid fields (each named, with the reason)"}}
#: a cell as in the import file: a number, or its text (checked by the import's rules)
Cell = Annotated[str, Field(max_length=64, pattern=NO_NUL)] | float | int | None


class EnergyIn(BaseModel):
    """A carrier's designed annual use, in a unit of the readings import."""

    model_config = ConfigDict(extra="forbid")
    carrier: str = Field(max_length=32, pattern=NO_NUL)
    annual_quantity: Cell = None
    unit: str = Field(max_length=32, pattern=NO_NUL)
    existing_quantity: Cell = None
    feedstock: Annotated[str, Field(max_length=8, pattern=NO_NUL)] | bool | None = None


class ProjectIn(BaseModel):
    """A project's fields (the import file's columns; kind and stage by code or Chinese
    name); ``energy``, when given, replaces its designed energy."""

    model_config = ConfigDict(extra="forbid")
    project_code: str | None = Field(default=None, max_length=64, pattern=NO_NUL)
    name: str = Field(max_length=256, pattern=NO_NUL)
    street: str = Field(default="", max_length=128, pattern=NO_NUL)
    developer: str = Field(default="", max_length=64, pattern=NO_NUL)
    sector_code: str = Field(max_length=16, pattern=NO_NUL)
    kind: str = Field(max_length=16, pattern=NO_NUL)
    stage: str = Field(max_length=16, pattern=NO_NUL)
    value_added_10k_cny: Cell = None
    new_capacity: str = Field(default="", max_length=256, pattern=NO_NUL)
    renewable_measures: str = Field(default="", max_length=1000, pattern=NO_NUL)
    first_full_year: Cell = None
    reviewed_tce_equal: Cell = None
    accepted_tce_equal: Cell = None
    entity_id: str | None = Field(default=None, max_length=64, pattern=NO_NUL)
    energy: list[EnergyIn] | None = Field(default=None, max_length=20)


def _save(ws: CurrentWorkspace, p: Principal, body: ProjectIn, *, create: bool,
          code: str | None = None) -> dict[str, Any]:
    fields = body.model_dump(exclude={"energy"}, exclude_unset=True)
    fields = {k: "" if v is None else v for k, v in fields.items()}
    fields = {k: ("是" if v else "否") if isinstance(v, bool) else v for k, v in fields.items()}
    energy = None if body.energy is None else [
        {k: ("是" if v else "否") if isinstance(v, bool) else v
         for k, v in e.model_dump().items()} for e in body.energy]
    return save_project(acting_as(ws, p), fields, energy, create=create, code=code,
                        district=p.district_id, principal=p)


class IntensityPublic(Public):
    """A project's effect on the district's energy per unit GDP [tce/10^4 CNY] in its first
    full year, statistics basis only (统计口径: the district statistics' energy total at equal
    value ÷ GDP at comparable prices of ``gdp_price_base_year``), against the path value of
    the ``energy_per_gdp`` target (``target_code``). Without the year's statistics the
    figures are null and ``notes`` says so (``projects.intensity.no_statistics``); for a
    first full year not yet published, the latest published year's statistics are the base
    (``statistics_year``, note ``projects.intensity.latest_statistics``)."""

    year: int
    basis: str
    gdp_price_base_year: int | None
    statistics_year: int | None = Field(description="the statistics year the district's "
                                        "energy and GDP are of")
    district_tce: float | None
    district_gdp_10k_cny: float | None
    project_tce_equal: float
    project_value_added_10k_cny: float | None
    without: float | None
    with_project: float | None
    change_pct: float | None = Field(description="with ÷ without − 1, in percent")
    path_value: float | None
    target_code: str | None
    without_vs_path_pct: float | None = Field(description="without ÷ path − 1, percent "
                                              "(positive: above the path)")
    with_vs_path_pct: float | None
    notes: list[MessageCodePublic]


class ProjectPublic(Public):
    """A project of the register with its figures: review level (none|district|city|province),
    tce at equivalent value (routing) and equal value (impact), CO2, budget shares, 两高."""

    project_code: str
    name: str
    street: str
    developer: str
    sector_code: str
    kind: str
    stage: str
    value_added_10k_cny: float | None
    new_capacity: str
    renewable_measures: list[str]
    first_full_year: int
    entity_id: str | None
    tce_equivalent: float
    tce_equal: float
    tco2: float
    electricity_kwh: float
    counted_tce_equivalent: float
    reviewed_tce_equal: float | None
    accepted_tce_equal: float | None
    review_level: str
    review_region: str
    review_rule_source: str
    review_rule_status: str
    two_high: bool
    two_high_sector: str | None
    two_high_source: str | None
    two_high_status: str | None
    carriers: list[Detail]
    budget_share: float | None = Field(description="share of the remaining energy budget of "
                                       "the first full year (tce equal value)")
    co2_budget_share: float | None
    intensity: IntensityPublic = Field(description="the effect on the intensity path in the "
                                       "first full year (statistics basis)")


class ProjectsPublic(Public):
    """The visible projects."""

    items: list[ProjectPublic]
    total: int
    limit: int
    offset: int


class PipelinePublic(Public):
    """Approved projects not yet operating against the remaining budget of ``year``."""

    district: str
    year: int
    budget: float | None
    base_use: float | None
    base_year: int | None
    remaining: float | None
    pipeline_tce: float
    headroom: float | None
    exceeds: bool
    projects: list[Detail]
    #: the figure catalogue's pipeline, budget and deduction figures of ``year``
    figures: list[FigurePublic] = []
    warning: str | None
    notes: list[str]


class OperationPublic(Public):
    """Designed, reviewed, accepted and metered use of the linked projects (节能验收, 节能监察)."""

    items: list[Detail]


class CertificatesPublic(Public):
    """The certificate ledger in the caller's scope."""

    items: list[Detail]
    total: int
    limit: int
    offset: int


class Scope2Public(Public):
    """Scope 2 of purchased electricity, location-based beside market-based."""

    year: int
    available: bool
    report: Detail | None


@router.get("/projects", response_model=ProjectsPublic, responses=_RESPONSES)
def get_projects(ws: CurrentWorkspace, principal: ProjectReader, limit: Limit = 100,
                 offset: Offset = 0) -> Response:
    """固定资产投资项目 — the projects the caller may see, with their review level, energy at
    equivalent and equal value, CO2 and share of the remaining budget."""
    rows = project_rows(ws, district=principal.district_id, principal=principal)
    return fast_json(page(rows, limit, offset))


@router.post("/projects", response_model=ProjectPublic, status_code=201,
             responses=_WRITE_RESPONSES)
def post_project(ws: CurrentWorkspace, principal: ProjectEditor, body: ProjectIn,
                 ) -> dict[str, Any]:
    """登记项目 — enter a new project and its designed energy (the import files' checks,
    audit-logged); answers the project with its review level and 两高 flag."""
    return _save(ws, principal, body, create=True)


@router.put("/projects/{code}", response_model=ProjectPublic, responses=_WRITE_RESPONSES)
def put_project(ws: CurrentWorkspace, principal: ProjectEditor,
                code: Annotated[str, Path(min_length=1, max_length=64, pattern=_CODE)],
                body: ProjectIn) -> dict[str, Any]:
    """修改项目 — change a visible project (another's or an unknown code: 404; the path's
    code wins over the body's); ``energy`` replaces its designed energy."""
    return _save(ws, principal, body, create=False, code=code)


@router.get("/projects/pipeline", response_model=PipelinePublic, responses=_RESPONSES)
def get_pipeline(ws: CurrentWorkspace, principal: DistrictReader,
                 year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    """已批未投产 — the pipeline against the headroom of the year's energy budget (read only:
    the warning is stored by ``carbonpeak projects impact``)."""
    out = pipeline(ws, district=principal.district_id, year=year, store_warning=False)
    return fast_json(published_pipeline(ws, out.to_dict()))



@router.get("/projects/operation", response_model=OperationPublic, responses=_RESPONSES)
def get_operation(ws: CurrentWorkspace, principal: ProjectReader,
                  margin: Annotated[float, Query(ge=0, le=1)] = 0.10) -> Response:
    """验收与运行 — designed, reviewed, accepted and metered use of the visible projects linked
    to an entity; over the reviewed use by more than ``margin``: 节能监察."""
    return fast_json({"items": operation(ws, district=principal.district_id, margin=margin,
                                         principal=principal)})


@router.get("/projects/{code}", response_model=ProjectPublic, responses=_RESPONSES)
def get_project(ws: CurrentWorkspace, principal: ProjectReader,
                code: Annotated[str, Path(min_length=1, max_length=64, pattern=_CODE)],
                ) -> Response:
    """One project the caller may see (404 otherwise)."""
    return fast_json(one_project(ws, code, district=principal.district_id,
                                 principal=principal))


@router.get("/certificates", response_model=CertificatesPublic, responses=_RESPONSES)
def get_certificates(ws: CurrentWorkspace, principal: LedgerReader, limit: Limit = 100,
                     offset: Offset = 0) -> Response:
    """绿证台账 — certificates and green-power contracts (serial, vintage, MWh, holder,
    status, claim year) in the caller's scope."""
    rows = list_certificates(ws, district=principal.district_id,
                             viewer=scope_of(ws, principal))
    return fast_json(page(rows, limit, offset))


@router.get("/certificates/scope2", response_model=Scope2Public, responses=_RESPONSES)
def get_scope2(ws: CurrentWorkspace, principal: DistrictReader,
               year: Annotated[int, Query(ge=2000, le=2100)]) -> Response:
    """范围二双重报告 — location-based and market-based CO2 of purchased electricity, with the
    residual factor used and its source."""
    try:
        rep = scope2_market(ws, district=principal.district_id, year=year)
    except NotFoundError:
        rep = None
    return fast_json({"year": year, "available": rep is not None,
                      "report": asdict(rep) if rep is not None else None})
