"""Answers of the feed endpoints and the batches they became (``routes/ingest.py``)."""

from __future__ import annotations

from pydantic import Field

from carbonpeak.api.schemas.common import MessageCodePublic, Page, Public

__all__ = ["BatchDetailPublic", "BatchPublic", "BatchesPublic", "FeedErrorPublic",
           "FeedResultPublic", "RejectionPublic"]


class FeedErrorPublic(Public):
    """A rejected row of a pushed batch and why."""

    row: int | None
    column: str | None
    value: str | None
    message: str


class FeedResultPublic(Public):
    """The answer to pushed readings or ledger rows (202; 422 when every row was rejected,
    with ``detail``)."""

    batch_id: int | None
    status: str
    rows_in: int
    accepted: int
    rejected: int
    errors: list[FeedErrorPublic]
    errors_truncated: bool
    #: the batch's summary in the request's language, in both, and as codes with parameters
    messages: list[str]
    messages_zh: list[str] = []
    messages_en: list[str] = []
    message_codes: list[MessageCodePublic] = []
    detail: str | None = None


class BatchPublic(Public):
    """An import batch in a list."""

    batch_id: int
    kind: str
    channel: str | None
    status: str
    source: str | None = None
    rows_in: int | None
    rows_rejected: int | None
    created_at: str
    message: str | None = Field(description="the batch's summary, in English")
    message_zh: str | None = Field(None, description="the batch's summary, in Chinese")
    message_code: MessageCodePublic | None = Field(
        None, description="the summary's catalogue code and parameters (none for a batch "
        "whose summary was stored as text before summaries were codes)")


class BatchesPublic(Page[BatchPublic]):
    """Batches visible to the caller, newest first."""

    has_more: bool


class RejectionPublic(Public):
    """A rejected row of a batch."""

    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str = Field(description="why, in English")
    message_zh: str = Field(description="why, in Chinese")
    code: str = Field(description="the reason's catalogue code (intake.text: a row refused "
                      "before reasons were stored as codes, shown as it was written)")


class BatchDetailPublic(Public):
    """A batch: status, counts and every rejected row."""

    batch_id: int
    kind: str
    channel: str | None
    status: str
    source: str | None
    sent_by: str | None
    idempotency_key: str | None
    created_at: str
    committed_at: str | None
    rows_in: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    rows_written: int | None
    rows_overlapping: int | None
    rows_replaced: int | None
    message: str | None = Field(description="the batch's summary, in English")
    message_zh: str | None = Field(None, description="the batch's summary, in Chinese")
    message_code: MessageCodePublic | None = None
    rejections: list[RejectionPublic]
    rejection_count: int
