"""Answers of the upload and data-entry endpoints (``routes/uploads.py``)."""

from __future__ import annotations

from carbonpeak.api.schemas.common import MessageCodePublic, Public

__all__ = ["LedgerFieldPublic", "LedgerFormPublic", "UploadColumnPublic", "UploadErrorPublic",
           "UploadKindsPublic", "UploadPreviewPublic", "UploadResultPublic", "UploadRowPublic"]


class UploadColumnPublic(Public):
    """A column of the kind's contract, and whether a file must have it."""

    column: str
    required: bool


class UploadKindPublic(Public):
    """A kind of file the caller may upload, and its columns."""

    kind: str
    columns: list[UploadColumnPublic]


class UploadKindsPublic(Public):
    """The kinds the caller's role may upload."""

    kinds: list[UploadKindPublic]


class UploadRowPublic(Public):
    """A data row of the file as it is (its line as a spreadsheet shows it)."""

    row: int
    cells: list[str]


class UploadErrorPublic(Public):
    """A problem of the file: its row and column (the contract's, and the file's header), the
    value, and the reason in English and Chinese with its catalogue code."""

    sheet: str | None
    row: int | None
    column: str | None
    header: str | None
    value: str | None
    code: str
    message: str
    message_zh: str


class UploadResultPublic(Public):
    """What confirming an upload (or a month's form) stored: the batch and its counts."""

    upload_id: str | None = None
    batch_id: int | None
    status: str
    rows_in: int
    accepted: int
    rejected: int
    #: the batch's summary in the request's language, in both, and as codes with parameters
    messages: list[str]
    messages_zh: list[str] = []
    messages_en: list[str] = []
    message_codes: list[MessageCodePublic] = []
    again: bool | None = None


class UploadPreviewPublic(Public):
    """A pending upload: its headers and the columns they are read as, the first rows and
    every row an error names, and the import's validation of it (nothing stored yet).

    ``status`` is ``validated`` (confirm stores it), ``duplicate`` (these bytes were
    imported before as ``duplicate_of``) or ``refused`` (see ``errors``);
    ``mapping_source`` says where the mapping came from: ``aliases`` (the contract's header
    names), ``remembered`` (the caller's mapping of a file of this shape) or ``user``."""

    upload_id: str
    kind: str
    filename: str
    size: int
    created_at: str
    columns: list[UploadColumnPublic]
    headers: list[str]
    mapping: dict[str, str]
    mapping_source: str
    needs_mapping: bool
    sheet: str | None
    shape: str | None = None
    rows: list[UploadRowPublic]
    rows_total: int
    errors: list[UploadErrorPublic]
    error_count: int = 0
    status: str
    messages: list[str] = []
    messages_zh: list[str] = []
    messages_en: list[str] = []
    message_codes: list[MessageCodePublic] = []
    would_store: int | None = None
    duplicate_of: int | None = None
    result: UploadResultPublic | None


class LedgerFieldPublic(Public):
    """A carrier of the month's form: its unit, the month's stored quantity and the same
    month's a year before (both in ``unit``; ``null`` when none is stored)."""

    carrier: str
    unit: str
    name_zh: str
    name_en: str
    current: float | None
    last_year: float | None


class LedgerFormPublic(Public):
    """A month's ledger form of one entity."""

    entity_id: str
    entity_name: str
    month: str
    last_year_month: str
    fields: list[LedgerFieldPublic]
