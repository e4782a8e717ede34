"""Registry tables (SQLAlchemy 2, typed). Schema changes go through Alembic migrations.

中文：登记库：区、街道、用能主体、计量表、排放因子集、统计数据、导入批次、审计日志。
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from carbonpeak.i18n import Message, render
from carbonpeak.vocabulary import (
    AccountEngine,
    AuditKind,
    BatchChannel,
    BatchKind,
    BatchStatus,
    BudgetMethod,
    BudgetMetric,
    BuildingType,
    CertificateKind,
    CertificateStatus,
    DrBaselineMethod,
    DrOptStatus,
    DrProgramme,
    DrResourceKind,
    EnergyCarrier,
    EntityKind,
    FactorQuantity,
    FactorStatus,
    FigureBasis,
    HeldStatus,
    LakeFileStatus,
    MeterRegister,
    MvModelType,
    Obligation,
    OrgKind,
    ProgrammeKind,
    ProgrammeStatus,
    ProjectKind,
    ProjectStage,
    PvTempModel,
    QuotaCaseStatus,
    QuotaClassSource,
    QuotaConvention,
    QuotaRating,
    QuotaStatus,
    RetrofitKind,
    RetrofitStatus,
    Role,
    RoofCohort,
    RoundStatus,
    ScopeType,
    SubmissionStatus,
    TargetKind,
    TaskProgress,
    VerifiedKind,
    WarningLevel,
    values,
)

__all__ = [
    "AccountRun",
    "ApiToken",
    "AuditLog",
    "Base",
    "BatchRejection",
    "Budget",
    "City",
    "DispatchRound",
    "District",
    "DrEvent",
    "DrParticipant",
    "DrPeakLoad",
    "DrResource",
    "DistrictStatistics",
    "EarlyWarning",
    "EnergyAudit",
    "Entity",
    "EntityQuotaClass",
    "FactorRowRecord",
    "FactorSetRecord",
    "FigureValue",
    "GreenProgramme",
    "HeldValue",
    "IngestBatch",
    "LakeFile",
    "LedgerRemark",
    "LoginAttempt",
    "Meter",
    "MvResult",
    "ObligationFiling",
    "Organisation",
    "QuotaCase",
    "QuotaRowRecord",
    "QuotaTableRecord",
    "ROLES",
    "ReferenceVerification",
    "RetrofitProject",
    "RoundSubmission",
    "SectorStatistics",
    "Street",
    "SupervisionTask",
    "Target",
    "TargetObservation",
    "UploadMapping",
    "User",
    "UserEntity",
    "WarningEvent",
    "WeatherDay",
    "WebSession",
    "PvRoof",
    "PvSite",
    "PvWeatherHour",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, enum: type[StrEnum]) -> CheckConstraint:
    """A CHECK that ``column`` holds a value of ``enum`` (NULL passes), named
    ``ck_<table>_<column>``; the closed lists are those of :mod:`carbonpeak.vocabulary`."""
    listed = ", ".join(f"'{v}'" for v in values(enum))
    return CheckConstraint(f"{column} IN ({listed})", name=column)


def utcnow() -> dt.datetime:
    """Now, UTC, timezone-naive (stored as UTC everywhere)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class _Reason:
    """A row whose reason is stored as a message code and its parameters, never as text;
    ``reason_zh`` and ``reason_en`` render it from the catalogue when read (the edge)."""

    if TYPE_CHECKING:
        reason_code: Mapped[str | None]
        reason_params: Mapped[dict[str, Any]]

    @property
    def reason(self) -> Message | None:
        """The stored reason (None when there is none)."""
        if not self.reason_code:
            return None
        return Message.from_dict({"code": self.reason_code, "params": self.reason_params})

    @reason.setter
    def reason(self, value: Message | None) -> None:
        stored = value.to_dict() if value is not None else {"code": None, "params": {}}
        self.reason_code, self.reason_params = stored["code"], stored["params"]

    @property
    def reason_zh(self) -> str:
        """The reason in Chinese."""
        r = self.reason
        return render(r, "zh") if r is not None else ""

    @property
    def reason_en(self) -> str:
        """The reason in English."""
        r = self.reason
        return render(r, "en") if r is not None else ""


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class District(Base):
    """区: an administrative district running a carbon-peak plan."""

    __tablename__ = "districts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    province: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    grid_region: Mapped[str] = mapped_column(String(64))
    climate_zone: Mapped[str | None] = mapped_column(String(16))
    default_factor_set: Mapped[str] = mapped_column(String(64))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: the city whose profile lists the district (a city deployment); None for a district
    #: set up on its own
    city_id: Mapped[str | None] = mapped_column(ForeignKey("cities.id"), index=True)
    streets: Mapped[list[Street]] = relationship(back_populates="district")


class Street(Base):
    """街道: a sub-district; belongs to one district."""

    __tablename__ = "streets"
    __table_args__ = (UniqueConstraint("district_id", "name_zh"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # GeoJSON geometry (Polygon/MultiPolygon, WGS84) of the street, from `import boundaries`
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # where the boundary comes from; "approximate" ones are drawn with a note
    boundary_source: Mapped[str | None] = mapped_column(Text)
    boundary_approximate: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    district: Mapped[District] = relationship(back_populates="streets")


class Entity(Base):
    """用能主体: a building, an enterprise (which may own buildings) or a public institution."""

    __tablename__ = "entities"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32), one_of("kind", EntityKind))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    building_type: Mapped[str | None] = mapped_column(String(32),
                                                      one_of("building_type", BuildingType))
    floor_area_m2: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("entities.id"), index=True)
    sector_code: Mapped[str | None] = mapped_column(String(16))
    is_key_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    key_unit_rule: Mapped[str | None] = mapped_column(Text)
    key_unit_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Meter(Base):
    """计量表: measures one carrier for one entity."""

    __tablename__ = "meters"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(32), one_of("carrier", EnergyCarrier))
    unit: Mapped[str] = mapped_column(String(16))
    submeter: Mapped[str | None] = mapped_column(String(32))
    register: Mapped[str] = mapped_column(String(16), one_of("register", MeterRegister))
    multiplier: Mapped[float] = mapped_column(Float, default=1.0)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    rollover_at: Mapped[float | None] = mapped_column(Float)
    # the most one reading may hold, in the meter's unit (rated capacity × interval); a
    # larger reading is refused at intake. NULL: the carrier's ceiling from the settings.
    ceiling: Mapped[float | None] = mapped_column(Float)
    commissioned_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class FactorSetRecord(Base):
    """排放因子集: one version of a factor set, rows flattened (includes resolved)."""

    __tablename__ = "factor_sets"
    __table_args__ = (UniqueConstraint("set_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    set_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(256))
    name_en: Mapped[str] = mapped_column(String(256))
    region: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    includes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    checksum: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(128))
    rows: Mapped[list[FactorRowRecord]] = relationship(
        back_populates="factor_set", cascade="all, delete-orphan", order_by="FactorRowRecord.id"
    )


class FactorRowRecord(Base):
    """One coefficient of a factor-set version, with its source and status."""

    __tablename__ = "factor_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    factor_set_pk: Mapped[int] = mapped_column(ForeignKey("factor_sets.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(32), one_of("carrier", EnergyCarrier))
    quantity: Mapped[str] = mapped_column(String(32), one_of("quantity", FactorQuantity))
    value: Mapped[float] = mapped_column(Float)
    per_unit: Mapped[str] = mapped_column(String(32))
    year_from: Mapped[int | None] = mapped_column(Integer)
    year_to: Mapped[int | None] = mapped_column(Integer)
    data_year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), one_of("status", FactorStatus))
    source: Mapped[str] = mapped_column(Text)
    #: the source in Chinese, written beside it in the factor file (empty: none written)
    source_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="")
    origin_set: Mapped[str] = mapped_column(String(64))
    factor_set: Mapped[FactorSetRecord] = relationship(back_populates="rows")


class DistrictStatistics(Base):
    """统计数据: a district's GDP, population and total energy for a year.

    GDP as the 统计公报 publishes it: ``gdp_current_10k_cny`` (当年价) and
    ``gdp_real_growth_pct`` (real growth over the previous year at comparable prices, %), from
    which the comparable-price series is chained from the price base year; or
    ``gdp_10k_cny``, GDP already at comparable prices of that base year. Intensities never use
    the current-price GDP.
    """

    __tablename__ = "district_statistics"
    __table_args__ = (UniqueConstraint("district_id", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int] = mapped_column(Integer)
    gdp_10k_cny: Mapped[float | None] = mapped_column(Float)
    gdp_current_10k_cny: Mapped[float | None] = mapped_column(Float)
    gdp_real_growth_pct: Mapped[float | None] = mapped_column(Float)
    population: Mapped[float | None] = mapped_column(Float)
    energy_tce: Mapped[float | None] = mapped_column(Float)
    co2_t: Mapped[float | None] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))


class SectorStatistics(Base):
    """分行业增加值: value added of one sector (GB/T 4754 section letter) in a year.

    The structure effect of the LMDI decomposition needs it; comparable prices, 10^4 CNY.
    """

    __tablename__ = "sector_statistics"
    __table_args__ = (UniqueConstraint("district_id", "year", "sector"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int] = mapped_column(Integer)
    sector: Mapped[str] = mapped_column(String(16))
    value_added_10k_cny: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))


class IngestBatch(Base):
    """导入批次: one import (a file or a pushed batch); its id orders batches (later wins).

    A pushed batch carries the client's ``idempotency_key``: the same key from the same
    actor is the same batch, answered again and never stored twice.
    """

    __tablename__ = "ingest_batches"
    __table_args__ = (UniqueConstraint("actor", "idempotency_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    kind: Mapped[str] = mapped_column(String(32), one_of("kind", BatchKind))
    source_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), one_of("status", BatchStatus))
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    rows_overlapping: Mapped[int] = mapped_column(Integer, default=0)
    rows_replaced: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of: Mapped[int | None] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    quarantine_path: Mapped[str | None] = mapped_column(String(512))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16), one_of("channel", BatchChannel),
                                         default=BatchChannel.FILE.value)
    message: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(128))
    # who sent a machine batch: the MQTT gateway (its broker client id / topic identity);
    # NULL for files and HTTP, whose sender is the actor
    sender: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class HeldValue(Base):
    """A suspicious reading, accepted and stored but held out of the official account until an
    analyst confirms or rejects it (``status``). ``reason_code`` names the rule and so what is
    held: ``intake.held.spike`` an interval reading, ``intake.held.register_spike`` the step of
    a cumulative register ending at this read; ``details`` its figures (median, robust scale,
    typical peak; for a register step also the read before, the use and the hours)."""

    __tablename__ = "held_values"
    __table_args__ = (one_of("status", HeldStatus),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    meter_id: Mapped[str] = mapped_column(String(64), index=True)
    ts: Mapped[dt.datetime] = mapped_column(DateTime)
    month: Mapped[str] = mapped_column(String(7))
    value: Mapped[float] = mapped_column(Float)
    reason_code: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=HeldStatus.HELD.value)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LakeFile(Base):
    """A Parquet file of the lake. Readers use only ``live`` files of committed batches."""

    __tablename__ = "lake_files"
    __table_args__ = (Index("ix_lake_files_district_dataset_month_status", "district_id",
                            "dataset", "month", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    dataset: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))
    path: Mapped[str] = mapped_column(String(512), unique=True)
    row_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), one_of("status", LakeFileStatus))
    superseded_by: Mapped[int | None] = mapped_column(Integer)


class AuditLog(Base):
    """审计日志: every change to accounting inputs, with who and when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the district the change belongs to; NULL for shared objects (factor-set versions)
    district_id: Mapped[str | None] = mapped_column(String(64), index=True)


class ReferenceVerification(Base):
    """核实记录: an admin's citation that a reference value (a factor row, a quota-table row, a
    rule) matches its source document; the shown status is *verified* while a current
    (not withdrawn) verification of the same values exists."""

    __tablename__ = "reference_verifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), one_of("kind", VerifiedKind))
    target: Mapped[str] = mapped_column(String(256), index=True)
    # the values checked against the document (a reloaded row with other values is not verified)
    checked_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    document_no: Mapped[str] = mapped_column(String(256))
    document_date: Mapped[dt.date] = mapped_column(Date)
    clause: Mapped[str] = mapped_column(String(256))
    note: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str | None] = mapped_column(String(256))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)
    verified_by: Mapped[str] = mapped_column(String(128))
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_by: Mapped[str | None] = mapped_column(String(128))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AccountRun(Base):
    """核算记录: one account of a district and year, with the factor-set version it used."""

    __tablename__ = "account_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int] = mapped_column(Integer)
    factor_set_pk: Mapped[int] = mapped_column(ForeignKey("factor_sets.id"))
    official: Mapped[bool] = mapped_column(Boolean, default=True)
    restates_run_id: Mapped[int | None] = mapped_column(Integer)
    restated_by_run_id: Mapped[int | None] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(16), one_of("engine", AccountEngine))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    out_dir: Mapped[str | None] = mapped_column(String(512))
    input_batches: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BatchRejection(Base):
    """A row (or cell) of a batch that was refused, and why; the batch says how many."""

    __tablename__ = "batch_rejections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    batch: Mapped[IngestBatch] = relationship()
    sheet: Mapped[str | None] = mapped_column(String(128))
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)


class LedgerRemark(Base):
    """The remarks (备注) a ledger row came with: kept with the batch that brought them, not in
    the lake (whose ledger rows hold the quantity). The newest remark of an (entity, period,
    carrier) is its current one; a batch repeating it adds none."""

    __tablename__ = "ledger_remarks"
    __table_args__ = (one_of("carrier", EnergyCarrier),
                      Index("ix_ledger_remarks_key", "district_id", "entity_id", "period",
                            "carrier"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    entity_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    carrier: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# role -> what it may do (enforced in the data layer; see carbonpeak.api.auth)
ROLES: dict[str, str] = {
    Role.DISTRICT_ADMIN: "everything in its district; manages users and factor sets",
    Role.DISTRICT_ANALYST: "reads everything in its district",
    Role.STREET_OFFICER: "reads its street",
    Role.ENTITY_MANAGER: "reads and writes its own entity",
    Role.DATA_FEEDER: "writes readings and ledgers for the entities it is registered for",
    Role.DEPARTMENT_OFFICER: "reads and reports the plan tasks its organisation leads or supports",
    Role.AGGREGATOR: "reads its own demand-response resources and their events",
    Role.PROJECT_DEVELOPER: "reads and files its own investment projects",
    Role.CITY_ANALYST: "reads the roll-ups of every district of its city (read-only)",
}


class User(Base):
    """用户: a person or a machine client, with one role scoped to a district/street/entity."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(32), one_of("role", Role))
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    #: the organisation a department officer, an aggregator or a project developer acts for
    org_code: Mapped[str | None] = mapped_column(String(64))
    #: the city a city analyst reads (its ``district_id`` is the city's first district, kept
    #: only because every user row names one; it grants nothing of that district)
    city_id: Mapped[str | None] = mapped_column(ForeignKey("cities.id"))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    """A browser sign-in: only the SHA-256 of the cookie value is stored, with its CSRF token."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    client: Mapped[str] = mapped_column(String(64), default="")


class LoginAttempt(Base):
    """One sign-in attempt (for rate limiting and the security log)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class UserEntity(Base):
    """The entities a user is registered for (entity managers, data feeders)."""

    __tablename__ = "user_entities"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), primary_key=True)


class ApiToken(Base):
    """A bearer token of a user; only its SHA-256 is stored (the token is shown once)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Target(Base):
    """目标: one quantified goal of a plan, for the district, a street or an entity.

    ``metric`` names what the account computes for it (e.g. ``energy_per_gdp``); targets
    without a metric are followed by observations (:class:`TargetObservation`).
    ``target_value`` is empty when the plan's value is not a number (``target_text`` then
    holds it, e.g. 市下达目标).
    """

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("district_id", "code", "scope_type", "scope_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    scope_type: Mapped[str] = mapped_column(String(16), one_of("scope_type", ScopeType),
                                            default=ScopeType.DISTRICT.value)
    scope_id: Mapped[str] = mapped_column(String(64))
    section: Mapped[str] = mapped_column(Text, default="")
    indicator_zh: Mapped[str] = mapped_column(Text)
    indicator_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(32), one_of("kind", TargetKind))
    metric: Mapped[str | None] = mapped_column(String(64))
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None] = mapped_column(Integer)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_text: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(64), default="")
    comparator: Mapped[str] = mapped_column(String(4), default=">=")
    period: Mapped[str] = mapped_column(Text, default="")
    responsible_units: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class TargetObservation(Base):
    """目标观测值: a measured value of a target's indicator on a date, with its source."""

    __tablename__ = "target_observations"
    __table_args__ = (UniqueConstraint("target_id", "observed_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    observed_on: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Budget(Base):
    """预算: a yearly energy or CO2 budget of the district, a street or a key unit.

    ``method`` says how it was set (``manual``, ``baseline_share``, ``intensity_benchmark``,
    ``mixed``); ``basis`` keeps the inputs of the decomposition.
    """

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("district_id", "year", "metric", "scope_type",
                                       "scope_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(32), one_of("metric", BudgetMetric))
    scope_type: Mapped[str] = mapped_column(String(16), one_of("scope_type", ScopeType))
    scope_id: Mapped[str] = mapped_column(String(64))
    budget: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(32), one_of("method", BudgetMethod))
    intensity_target: Mapped[float | None] = mapped_column(Float)
    basis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class EarlyWarning(_Reason, Base):
    """预警: the current state of a budget's early warning for one unit and year."""

    __tablename__ = "warnings"
    __table_args__ = (UniqueConstraint("district_id", "year", "metric", "scope_type",
                                       "scope_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(32), one_of("metric", BudgetMetric))
    scope_type: Mapped[str] = mapped_column(String(16), one_of("scope_type", ScopeType))
    scope_id: Mapped[str] = mapped_column(String(64))
    scope_name: Mapped[str] = mapped_column(String(256), default="")
    street_id: Mapped[int | None] = mapped_column(Integer, index=True)
    level: Mapped[str] = mapped_column(String(16), one_of("level", WarningLevel))
    projected: Mapped[float | None] = mapped_column(Float)
    budget: Mapped[float | None] = mapped_column(Float)
    ratio: Mapped[float | None] = mapped_column(Float)
    months_elapsed: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(64))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    account_run_id: Mapped[int | None] = mapped_column(Integer)
    first_raised_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WarningEvent(_Reason, Base):
    """预警记录: one evaluation of a warning whose level or figures changed."""

    __tablename__ = "warning_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    level: Mapped[str] = mapped_column(String(16), one_of("level", WarningLevel))
    previous_level: Mapped[str | None] = mapped_column(String(16),
                                                       one_of("previous_level", WarningLevel))
    projected: Mapped[float | None] = mapped_column(Float)
    budget: Mapped[float | None] = mapped_column(Float)
    ratio: Mapped[float | None] = mapped_column(Float)
    months_elapsed: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(64))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    account_run_id: Mapped[int | None] = mapped_column(Integer)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)


class FigureValue(Base):
    """口径数值: one published figure of the catalogue (``services/figures``), computed once
    per district, year and as-of date and stored; every surface reads it from here.

    ``subject_type``/``subject_id`` say what it is about (the district, a street by code, an
    entity); ``street_id`` is the subject's street, for the role scope. ``inputs`` is the
    inputs' version the value was computed from: a newer account run, batch or plan change
    makes it stale and the next read computes it again.
    """

    __tablename__ = "figure_values"
    __table_args__ = (UniqueConstraint("district_id", "year", "as_of", "code", "subject_type",
                                       "subject_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(16), one_of("subject_type", ScopeType))
    subject_id: Mapped[str] = mapped_column(String(64))
    street_id: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(String(32), one_of("basis", FigureBasis))
    period: Mapped[str] = mapped_column(String(32))
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    inputs: Mapped[str] = mapped_column(String(128))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class QuotaTableRecord(Base):
    """能耗限额标准: one version of a quota table (rows with a source and a status each)."""

    __tablename__ = "quota_tables"
    __table_args__ = (UniqueConstraint("table_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(256))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(128))
    rows: Mapped[list[QuotaRowRecord]] = relationship(
        back_populates="table", cascade="all, delete-orphan", order_by="QuotaRowRecord.id")


class QuotaRowRecord(Base):
    """One quota class of a table: constraint and guide values, convention, source, status."""

    __tablename__ = "quota_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    quota_table_pk: Mapped[int] = mapped_column(ForeignKey("quota_tables.id"), index=True)
    region: Mapped[str] = mapped_column(String(64))
    quota_class: Mapped[str] = mapped_column(String(64))
    label_zh: Mapped[str] = mapped_column(String(256))
    label_en: Mapped[str] = mapped_column(String(256))
    default_for: Mapped[str] = mapped_column(String(32), default="")
    metric: Mapped[str] = mapped_column(Text)
    convention: Mapped[str] = mapped_column(String(32), one_of("convention", QuotaConvention))
    electricity_kgce_per_kwh: Mapped[float] = mapped_column(Float)
    exclude_carriers: Mapped[str] = mapped_column(String(128), default="")
    constraint_value: Mapped[float | None] = mapped_column(Float)
    guide_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), one_of("status", QuotaStatus))
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    table: Mapped[QuotaTableRecord] = relationship(back_populates="rows")


class EntityQuotaClass(Base):
    """A building's class in a quota table (assigned by the district, with where it came from)."""

    __tablename__ = "entity_quota_classes"
    __table_args__ = (UniqueConstraint("entity_id", "table_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    table_id: Mapped[str] = mapped_column(String(64))
    quota_class: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(128))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class QuotaCase(_Reason, Base):
    """超限额整改: a building over its quota in a year, from notice to closure or escalation."""

    __tablename__ = "quota_cases"
    __table_args__ = (UniqueConstraint("entity_id", "table_id", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(Integer, index=True)
    table_id: Mapped[str] = mapped_column(String(64))
    table_version: Mapped[int] = mapped_column(Integer)
    quota_class: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    eui: Mapped[float] = mapped_column(Float)
    constraint_value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    excess_fraction: Mapped[float] = mapped_column(Float)
    reduction_required: Mapped[float] = mapped_column(Float)
    quota_status: Mapped[str] = mapped_column(String(16), one_of("quota_status", QuotaStatus))
    class_source: Mapped[str] = mapped_column(String(16),
                                              one_of("class_source", QuotaClassSource))
    account_run_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), one_of("status", QuotaCaseStatus))
    notice_no: Mapped[str | None] = mapped_column(String(64))
    notice_date: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    review_year: Mapped[int | None] = mapped_column(Integer)
    review_rating: Mapped[str | None] = mapped_column(String(32),
                                                      one_of("review_rating", QuotaRating))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class WeatherDay(Base):
    """日平均气温: the daily mean outdoor temperature of a district (the M&V baseline's input)."""

    __tablename__ = "weather_days"
    __table_args__ = (UniqueConstraint("district_id", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    t_mean_c: Mapped[float] = mapped_column(Float)
    station: Mapped[str] = mapped_column(String(128), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class RetrofitProject(Base):
    """节能改造/调适项目: a retrofit or a commissioning (调适) of one building, as claimed."""

    __tablename__ = "retrofit_projects"
    __table_args__ = (UniqueConstraint("district_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), one_of("kind", RetrofitKind))
    name: Mapped[str] = mapped_column(String(256))
    measures: Mapped[list[Any]] = mapped_column(JSON, default=list)
    start_date: Mapped[dt.date] = mapped_column(Date)  # works begin (baseline ends the day before)
    end_date: Mapped[dt.date | None] = mapped_column(Date)  # completion (reporting starts)
    floor_area_m2: Mapped[float] = mapped_column(Float)
    investment_10k_cny: Mapped[float | None] = mapped_column(Float)
    claimed_savings_kwh: Mapped[float | None] = mapped_column(Float)
    claimed_savings_fraction: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), one_of("status", RetrofitStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class MvResult(Base):
    """节能量核定: one measurement of a project's savings (the latest per project is current)."""

    __tablename__ = "mv_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("retrofit_projects.id"), index=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(32), one_of("carrier", EnergyCarrier))
    sufficient: Mapped[bool] = mapped_column(Boolean)
    model_type: Mapped[str | None] = mapped_column(String(32),
                                                   one_of("model_type", MvModelType))
    reporting_start: Mapped[dt.date | None] = mapped_column(Date)
    reporting_end: Mapped[dt.date | None] = mapped_column(Date)
    n_reporting_days: Mapped[int] = mapped_column(Integer, default=0)
    adjusted_baseline_kwh: Mapped[float | None] = mapped_column(Float)
    reporting_kwh: Mapped[float | None] = mapped_column(Float)
    savings_kwh: Mapped[float | None] = mapped_column(Float)
    fractional_savings: Mapped[float | None] = mapped_column(Float)
    fsu_68: Mapped[float | None] = mapped_column(Float)
    fsu_90: Mapped[float | None] = mapped_column(Float)
    cv_rmse: Mapped[float | None] = mapped_column(Float)
    nmbe: Mapped[float | None] = mapped_column(Float)
    meets_g14: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # SavingsResult.to_dict
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # batch ids, weather
    computed_by: Mapped[str] = mapped_column(String(128))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class EnergyAudit(Base):
    """能源审计/节能诊断: an audit of a building or unit, its findings and recommended measures."""

    __tablename__ = "energy_audits"
    __table_args__ = (UniqueConstraint("entity_id", "audit_date", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), one_of("kind", AuditKind))
    audit_date: Mapped[dt.date] = mapped_column(Date)
    auditor: Mapped[str] = mapped_column(String(256))
    report_ref: Mapped[str] = mapped_column(String(128), default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    recommended_measures: Mapped[list[Any]] = mapped_column(JSON, default=list)
    estimated_savings_tce: Mapped[float | None] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ObligationFiling(Base):
    """重点用能单位义务履行: a report or filing a key unit owes for a year, and when it came."""

    __tablename__ = "obligation_filings"
    __table_args__ = (UniqueConstraint("entity_id", "obligation", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    obligation: Mapped[str] = mapped_column(String(32), one_of("obligation", Obligation))
    year: Mapped[int] = mapped_column(Integer)
    filed_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class UploadMapping(Base):
    """A user's column mapping for one file shape (kind and ordered headers), remembered so the
    next file of that shape is mapped the same way (the browser's upload step)."""

    __tablename__ = "upload_mappings"
    __table_args__ = (UniqueConstraint("user_id", "kind", "shape"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), one_of("kind", BatchKind))
    shape: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


# -- Energy: rooftop PV (the roof survey, the asset registry, hourly weather) -----------------
class PvRoof(Base):
    """屋顶普查: one building's roof, its usable share and cohort (the PV potential survey)."""

    __tablename__ = "pv_roofs"
    __table_args__ = (UniqueConstraint("district_id", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    cohort: Mapped[str] = mapped_column(String(32), one_of("cohort", RoofCohort))
    is_new: Mapped[bool] = mapped_column(Boolean, default=False)
    roof_area_m2: Mapped[float] = mapped_column(Float)
    usable_share: Mapped[float] = mapped_column(Float)
    #: why the roof cannot take PV (usable share 0): structure, shading, heritage …
    not_feasible_reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    actor: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PvSite(Base):
    """光伏电站台账: one PV installation, its ratings, orientation, meter and model choices
    (NULL: the chain's default)."""

    __tablename__ = "pv_sites"
    __table_args__ = (UniqueConstraint("district_id", "site_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    kwp_dc: Mapped[float] = mapped_column(Float)
    kw_ac: Mapped[float] = mapped_column(Float)
    tilt_deg: Mapped[float] = mapped_column(Float)
    azimuth_deg: Mapped[float] = mapped_column(Float)
    commissioned_on: Mapped[dt.date] = mapped_column(Date)
    meter_id: Mapped[str | None] = mapped_column(String(64))
    gamma_pdc: Mapped[float | None] = mapped_column(Float)
    losses_pct: Mapped[float | None] = mapped_column(Float)
    eta_inv_nom: Mapped[float | None] = mapped_column(Float)
    albedo: Mapped[float | None] = mapped_column(Float)
    temp_model: Mapped[str | None] = mapped_column(String(32), one_of("temp_model", PvTempModel))
    source: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    actor: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PvWeatherHour(Base):
    """逐时气象: one hour of measured weather (local time, the instant the values stand for:
    mid-hour for hourly means), the modelled yield's input."""

    __tablename__ = "pv_weather_hours"
    __table_args__ = (UniqueConstraint("district_id", "ts"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    ts: Mapped[dt.datetime] = mapped_column(DateTime)
    ghi_w_m2: Mapped[float] = mapped_column(Float)
    dni_w_m2: Mapped[float | None] = mapped_column(Float)
    dhi_w_m2: Mapped[float | None] = mapped_column(Float)
    temp_air_c: Mapped[float] = mapped_column(Float)
    wind_speed_m_s: Mapped[float | None] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"), index=True)

# --------------------------------------------------------------------------------------------
# Plan supervision (services/supervision): responsible units, the task catalogue, dispatch
# rounds (调度) and their submissions, green-creation programmes (绿色创建)
# --------------------------------------------------------------------------------------------
class Organisation(Base):
    """责任单位: a department (区发展改革委 …) of the district, from its editable list.
    ``users.org_code`` of a department officer is a ``code`` here."""

    __tablename__ = "supervision_organisations"
    __table_args__ = (UniqueConstraint("district_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), one_of("kind", OrgKind),
                                      default=OrgKind.DEPARTMENT.value)
    source: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), one_of("status", FactorStatus),
                                        default=FactorStatus.UNVERIFIED.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SupervisionTask(Base):
    """任务: one measure of the plan (a numbered paragraph of an action chapter), its units
    (``lead_org`` 牵头, ``supporting_orgs`` 配合, codes of :class:`Organisation`; ``streets``:
    the plan names 各街道), milestones and linked target codes."""

    __tablename__ = "supervision_tasks"
    __table_args__ = (UniqueConstraint("district_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    section: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[str] = mapped_column(Text, default="")
    units_text: Mapped[str] = mapped_column(Text, default="")
    lead_org: Mapped[str | None] = mapped_column(String(64))
    supporting_orgs: Mapped[list[str]] = mapped_column(JSON, default=list)
    streets: Mapped[bool] = mapped_column(Boolean, default=False)
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    target_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DispatchRound(Base):
    """调度: a round the office opens (period, due date, the tasks and targets asked for)."""

    __tablename__ = "dispatch_rounds"
    __table_args__ = (UniqueConstraint("district_id", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    period: Mapped[str] = mapped_column(String(32))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), one_of("status", RoundStatus),
                                        default=RoundStatus.OPEN.value)
    task_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RoundSubmission(Base):
    """A unit's answer to one item of a round: a task's progress (``task_code``) or a
    target's value (``target_code``); ``unit`` is an organisation code or ``street:<code>``.
    Its ``history`` keeps every submit, return and acceptance."""

    __tablename__ = "round_submissions"
    __table_args__ = (UniqueConstraint("round_id", "unit", "item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("dispatch_rounds.id"), index=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    unit: Mapped[str] = mapped_column(String(80))
    #: ``task:<code>`` or ``target:<code>``
    item: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), one_of("status", SubmissionStatus),
                                        default=SubmissionStatus.PENDING.value)
    progress: Mapped[str | None] = mapped_column(String(16), one_of("progress", TaskProgress))
    completion_pct: Mapped[float | None] = mapped_column(Float)
    narrative: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Float)
    observed_on: Mapped[dt.date | None] = mapped_column(Date)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("target_observations.id"))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class GreenProgramme(Base):
    """绿色创建: an application to a green-creation programme by a street or an organisation,
    and its approval."""

    __tablename__ = "green_programmes"
    __table_args__ = (UniqueConstraint("district_id", "kind", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), one_of("kind", ProgrammeKind))
    name: Mapped[str] = mapped_column(Text)
    street_code: Mapped[str | None] = mapped_column(String(64))
    org_code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), one_of("status", ProgrammeStatus),
                                        default=ProgrammeStatus.APPLIED.value)
    applied_on: Mapped[dt.date] = mapped_column(Date)
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(16), default="")
    actor: Mapped[str] = mapped_column(String(128))

# -- the virtual power plant (issue 19: services/energy/vpp) ---------------------------------


class DrResource(Base):
    """可调节资源: a flexible resource of an entity, grouped by its aggregator (负荷聚合商)."""

    __tablename__ = "dr_resources"
    __table_args__ = (UniqueConstraint("district_id", "resource_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), one_of("kind", DrResourceKind))
    contracted_kw: Mapped[float] = mapped_column(Float)
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    ven_id: Mapped[str | None] = mapped_column(String(128))
    frequency_regulation: Mapped[bool] = mapped_column(Boolean, default=False)
    meter_id: Mapped[str | None] = mapped_column(ForeignKey("meters.id"))
    aggregator: Mapped[str] = mapped_column(String(64), index=True)  # users.org_code
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DrEvent(Base):
    """需求响应事件: a programme's call for a window of a local day with a target kW."""

    __tablename__ = "dr_events"
    __table_args__ = (UniqueConstraint("district_id", "event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    programme: Mapped[str] = mapped_column(String(32), one_of("programme", DrProgramme))
    day: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)  # local, the district's time zone
    end_time: Mapped[dt.time] = mapped_column(Time)
    target_kw: Mapped[float] = mapped_column(Float)
    baseline_method: Mapped[str | None] = mapped_column(
        String(32), one_of("baseline_method", DrBaselineMethod))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DrParticipant(Base):
    """A resource's participation in an event: its declared kW and its answer (opt in/out)."""

    __tablename__ = "dr_participants"
    __table_args__ = (UniqueConstraint("event_pk", "resource_pk"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("dr_events.id"), index=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("dr_resources.id"), index=True)
    declared_kw: Mapped[float] = mapped_column(Float)
    opt_status: Mapped[str] = mapped_column(String(16), one_of("opt_status", DrOptStatus),
                                            default=DrOptStatus.PENDING)
    opt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


# -- the project gate (节能审查) and the certificate ledger (services/projects,
# services/accounting/certificates) ------------------------------------------------------------
class Project(Base):
    """固定资产投资项目: a project in the energy-review register (节能审查).

    ``developer`` is the developer's organisation code (``users.org_code`` of a
    ``project_developer``); ``reviewed_tce_equal`` the use approved at 节能审查 (default: the
    designed use), ``accepted_tce_equal`` the use found at 节能验收; ``entity_id`` the registered
    entity once the project operates (its metered use comes from the account).
    """

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("district_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    street: Mapped[str] = mapped_column(String(128), default="")
    developer: Mapped[str] = mapped_column(String(64), index=True)
    sector_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), one_of("kind", ProjectKind))
    stage: Mapped[str] = mapped_column(String(16), one_of("stage", ProjectStage))
    value_added_10k_cny: Mapped[float | None] = mapped_column(Float)
    new_capacity: Mapped[str] = mapped_column(String(256), default="")
    renewable_measures: Mapped[list[Any]] = mapped_column(JSON, default=list)
    first_full_year: Mapped[int | None] = mapped_column(Integer)
    reviewed_tce_equal: Mapped[float | None] = mapped_column(Float)
    accepted_tce_equal: Mapped[float | None] = mapped_column(Float)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ProjectEnergyLine(Base):
    """A project's designed annual use of one carrier, as given and in its canonical unit;
    ``existing_quantity`` the use before a same-site rebuild (canonical unit)."""

    __tablename__ = "project_energy"
    __table_args__ = (UniqueConstraint("project_id", "carrier"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(32), one_of("carrier", EnergyCarrier))
    annual_quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[float] = mapped_column(Float)
    existing_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    feedstock: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Certificate(Base):
    """绿证 / 绿电交易: one certificate batch or green-power contract in the ledger.

    ``serial`` is unique across districts: a second claim on it is refused, naming the first
    (``holder``, ``source``). ``holder`` is the holding entity's id in ``district_id``.
    """

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("serial"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    serial: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), one_of("kind", CertificateKind))
    vintage: Mapped[int] = mapped_column(Integer)
    mwh: Mapped[float] = mapped_column(Float)
    holder: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), one_of("status", CertificateStatus))
    claim_year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(256), default="")
    #: the generation site (plant) the certificate's MWh come from, as the ledger file names it
    plant_id: Mapped[str | None] = mapped_column(String(128))
    #: whether that plant lies in the district (its generation may already be deducted as new
    #: renewables: see services.accounting.certificates.energy_deductions); None: not said
    plant_in_district: Mapped[bool | None] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DrPeakLoad(Base):
    """最大负荷: a district's peak load of a year as a statistic states it (the grid company's
    or the statistics bureau's), entered with its source and status; the share of TH-12 is
    of it when it is there, else of the metered peak (``services/energy/vpp/capability``)."""

    __tablename__ = "dr_peak_loads"
    __table_args__ = (UniqueConstraint("district_id", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    peak_mw: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), one_of("status", FactorStatus))
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


# --------------------------------------------------------------------------------------------
# Rooftop PV forecasts (services/energy/pv/forecast): one stored day-ahead forecast per district
# and day, so its accuracy can be reported when the measured day arrives (migration 0020)
# --------------------------------------------------------------------------------------------
class PvForecast(Base):
    """光伏日前预测: the hourly AC power [kW] per site and for the district of one day, from a
    weather forecast file. ``issued_at`` is when the weather forecast was issued (as
    declared; default: when it was stored), ``stored_at`` the clock's; a forecast issued
    after the day began is not a day-ahead forecast and says so. ``hourly``: ``hours``
    (``HH:MM`` local starts), ``district`` (kW), ``sites`` (site id → kW), ``kw_ac`` (site id
    → kW AC), ``meters`` (site id → meter id)."""

    __tablename__ = "pv_forecasts"
    __table_args__ = (UniqueConstraint("district_id", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    weather_file: Mapped[str] = mapped_column(String(256))
    weather_sha256: Mapped[str] = mapped_column(String(64))
    sites: Mapped[int] = mapped_column(Integer)
    kw_ac: Mapped[float] = mapped_column(Float)
    total_kwh: Mapped[float] = mapped_column(Float)
    hourly: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(128))


class City(Base):
    """市: a city deployment, one registry holding the districts its profile lists
    (``reference/cities/<code>.toml``); a city analyst reads their roll-ups."""

    __tablename__ = "cities"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    province: Mapped[str] = mapped_column(String(64))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --------------------------------------------------------------------------------------------
# Green-creation share targets (services/supervision/programmes): the eligible count, the
# denominator of TH-47/48, entered with its source (migration 0024)
# --------------------------------------------------------------------------------------------
class EligibleCount(Base):
    """应创建数: how many units a share target of the green-creation programmes covers (TH-47:
    the district's division-level and higher Party and government organs; TH-48: its malls of
    10万 m² and more), as of a date, with its source (e.g. a list the office keeps)."""

    __tablename__ = "eligible_counts"
    __table_args__ = (UniqueConstraint("district_id", "target_code", "as_of"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    target_code: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[dt.date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
