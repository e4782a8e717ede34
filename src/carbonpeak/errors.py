"""Errors raised by carbonpeak.

Tree::

    CarbonPeakError
    ├── ConfigError           (RuntimeError)  settings, profiles, registry not initialised
    ├── NotFoundError         (LookupError)   unknown district, street, entity, factor set
    ├── UnitError             (ValueError)    unknown unit, or not valid for the carrier
    ├── FactorError           (ValueError)    factor set incomplete or ambiguous for a year
    ├── InputValidationError  (ValueError)    a file or batch has bad rows (every RowError)
    ├── ConflictError         (ValueError)    a request contradicts stored state (reused key)
    └── AccessDenied          (PermissionError) the actor may not read or write this object

Every subclass also inherits the matching builtin, so callers may catch either.

Any of them may carry a ``reason``: the same problem as a catalogue message
(:mod:`carbonpeak.i18n`), rendered at the edge in the user's language (the API answers it in
the request's language); ``str(exc)`` is its English rendering, for logs. Raise one with the
message as the first argument (``NotFoundError(msg("…", code=code))``) or as ``reason=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carbonpeak.i18n import Lang, Message, msg, render

__all__ = [
    "AccessDenied",
    "AuthenticationError",
    "CarbonPeakError",
    "ConflictError",
    "ConfigError",
    "FactorError",
    "HeldValuesPending",
    "InputValidationError",
    "NotFoundError",
    "RateLimited",
    "RowError",
    "UnitError",
    "reason_of",
]


class CarbonPeakError(Exception):
    """Root of every error carbonpeak raises on purpose.

    ``reason`` is the problem as a catalogue message, where the raiser gave one (None for an
    English-only text); a :class:`Message` given as the first argument is that reason, and
    the exception's text is then its English rendering.
    """

    reason: Message | None = None

    def __init__(self, *args: object, reason: Message | None = None) -> None:
        if args and isinstance(args[0], Message):
            reason = reason if reason is not None else args[0]
            args = (render(args[0], "en"), *args[1:])
        super().__init__(*args)
        if reason is not None:
            self.reason = reason


class ConfigError(CarbonPeakError, RuntimeError):
    """Settings, profile or set-up problem (e.g. the registry was never initialised).

    ``reason``, where given, is the same problem as a catalogue message (for answers in
    both languages); the text is its English rendering for logs and the CLI.
    """

    def __init__(self, message: str | Message, reason: Message | None = None) -> None:
        super().__init__(message, reason=reason)


class NotFoundError(CarbonPeakError, LookupError):
    """A named object (district, street, entity, meter, factor set) does not exist."""


class UnitError(CarbonPeakError, ValueError):
    """A unit is unknown or not valid for the carrier it is used with.

    ``reason`` is the same problem as a catalogue message (for row errors in both languages).
    """

    def __init__(self, message: str | Message, reason: Message | None = None) -> None:
        super().__init__(message, reason=reason)


class FactorError(CarbonPeakError, ValueError):
    """A factor set cannot give a coefficient for a carrier, quantity and year."""


class ConflictError(CarbonPeakError, ValueError):
    """A request contradicts what is stored (e.g. an Idempotency-Key reused for other data)."""


class HeldValuesPending(ConflictError):
    """An account cannot become official: held values affect its year.

    ``reason`` says which and by how much they would change the total (a catalogue message);
    ``held`` lists them (id, meter_id, ts, value) and ``delta`` the change of the totals.
    """

    reason: Message

    def __init__(self, reason: Message, held: list[dict[str, Any]],
                 delta: dict[str, float]) -> None:
        super().__init__(reason)
        self.held = held
        self.delta = delta


class AccessDenied(CarbonPeakError, PermissionError):
    """The actor's role does not allow this read or write."""


class AuthenticationError(CarbonPeakError):
    """Wrong credentials, or an expired or unknown session (one message for all)."""


class RateLimited(CarbonPeakError):
    """Too many failed sign-ins; ``retry_after`` seconds until the next attempt is taken."""

    def __init__(self, message: str | Message, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RowError:
    """One bad cell or row of an input file.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (the header is line 1, the first data row line 2); ``None`` for file-level errors.
    ``sheet`` names the worksheet of a spreadsheet (``None`` for CSV and pushed batches).
    ``reason`` is a catalogue message (:mod:`carbonpeak.i18n`, codes ``intake.*``): the error
    carries its ``code`` and ``params`` and is rendered in Chinese or English only at the edge
    (:meth:`text`); ``message`` is the English rendering. There is no plain-text reason: a
    text is never turned into a code by matching its English.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: Message
    sheet: str | None = None

    @property
    def msg(self) -> Message:
        """The reason as a catalogue message."""
        return self.reason

    @property
    def code(self) -> str:
        """The reason's catalogue code (``intake.…``)."""
        return self.msg.code

    @property
    def params(self) -> Mapping[str, Any]:
        """The reason's parameters."""
        return self.msg.params

    @property
    def message(self) -> str:
        """The reason in English."""
        return render(self.msg, "en")

    def text(self, lang: Lang) -> str:
        """The reason in ``lang``."""
        return render(self.msg, lang)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the reason as code and parameters)."""
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "reason": self.msg.to_dict(), "sheet": self.sheet}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RowError:
        """Inverse of :meth:`to_dict`."""
        return cls(data["file"], data["row"], data["column"], data["value"],
                   Message.from_dict(data["reason"]), data.get("sheet"))

    def __str__(self) -> str:
        """Render as ``file[sheet]:row: column 'value': message``."""
        where = self.file if self.sheet is None else f"{self.file}[{self.sheet}]"
        where = where if self.row is None else f"{where}:{self.row}"
        what = ""
        if self.column is not None:
            what = f" column {self.column}"
            if self.value is not None:
                what += f" = {self.value!r}"
        return f"{where}:{what} {self.message}".replace(":  ", ": ")


class InputValidationError(CarbonPeakError, ValueError):
    """A file or batch was refused; nothing of it was stored.

    Parameters
    ----------
    errors
        Every problem found, each naming file, row and column.
    """

    def __init__(self, errors: list[RowError], *, limit: int = 50) -> None:
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:limit])
        more = f"\n  … and {len(errors) - limit} more" if len(errors) > limit else ""
        file = errors[0].file if errors else "input"
        msg = f"{file}: refused, {len(errors)} problem(s); nothing was imported:\n{shown}{more}"
        super().__init__(msg)


#: the general words for the kind of an error raised without a catalogue reason (its text is
#: English, for logs): the first kind the error is an instance of
_GENERIC: tuple[tuple[type[CarbonPeakError], str], ...] = (
    (NotFoundError, "error.generic.not_found"), (ConflictError, "error.generic.conflict"),
    (AccessDenied, "error.generic.denied"), (AuthenticationError, "error.generic.unauthenticated"),
    (RateLimited, "error.generic.rate_limited"), (UnitError, "error.generic.unit"),
    (FactorError, "error.generic.factor"), (ConfigError, "error.generic.config"))


def reason_of(exc: CarbonPeakError) -> Message:
    """The error as a catalogue message: its ``reason`` where the raiser gave one, else the
    general words for its kind (``error.generic.*``), never a translation of its English text."""
    if exc.reason is not None:
        return exc.reason
    if isinstance(exc, InputValidationError):
        return msg("error.generic.invalid_input", count=len(exc.errors))
    return msg(next((c for t, c in _GENERIC if isinstance(exc, t)), "error.generic.refused"))
