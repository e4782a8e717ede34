"""Chinese-friendly reading of the fields people type: one rule set for files, feeds and forms.

中文：按中文习惯读取填报字段——文件、推送与网页表单共用同一套规则：
月份（2025年2月、2025/01、2025.1、202501）、数量（3.5万、1,200、全角数字）、
单位（度、千瓦时、公升、升、方、立方米）、中文能源品种，以及用能主体（编号、名称或
“编号 名称”）和街道。读不懂的值一律拒收，并给出“是否应为……”的建议，从不擅自猜测。

Each rule is a pure function that returns the value or a :class:`Refusal` (a catalogue message,
with the suggestion among its parameters where there is one). The file readers
(:mod:`carbonpeak.intake.formats.csvfiles`, so also the ledger feed) use them column by column,
a form field calls :func:`parse_field`. The rules (docs/import-contract.md, "Chinese-friendly
forms"):

- **full-width** characters are read as their ASCII form first (NFKC: ``１２３`` is ``123``,
  ``２０２５年２月`` is ``2025年2月``);
- a **period** (month) is ``2025-02``, ``2025-2``, ``2025/02``, ``2025.2``, ``202502`` or
  ``2025年2月``; the month must be 1–12. A spreadsheet *number* cell ``2025.1`` is refused
  (Excel stores 2025.10 as 2025.1, so January and October cannot be told apart);
- an **amount** follows the one number rule (:mod:`carbonpeak.intake.formats.numbers`:
  ``1,200`` yes, ``1,5`` and ``1,20`` no, with their own reason) and may end in ``万`` (×10⁴) or
  ``亿`` (×10⁸); in a column whose unit already counts in 万 (``万kWh``, ``万元``) such a suffix
  is refused rather than applied twice;
- a **unit** is any spelling :func:`carbonpeak.domain.units.normalise_unit` knows (``度``,
  ``千瓦时``, ``公升``, ``升``, ``方``, ``立方米`` …), checked against the carrier;
- a **closed-list value** (carrier, entity kind, building type, sub-meter, register) is its code,
  its label in the vocabulary catalogue (Chinese or English) or a synonym of
  :mod:`carbonpeak.intake.formats.vocab`;
- an **entity** is its code (``HP-B0003``), its exact registered name, or both as the ledger
  template's drop-down writes them (``HP-B0003 商务大厦``); a name held by several entities is
  refused with their codes.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carbonpeak.domain.units import normalise_unit, unit_factor
from carbonpeak.errors import RowError, UnitError
from carbonpeak.i18n import Label, Message, label, msg
from carbonpeak.intake.formats.excel import NUMBER_CELL_MARK
from carbonpeak.intake.formats.numbers import BAD_COMMAS, parse_number
from carbonpeak.intake.formats.vocab import canonical_value, preferred_spelling, vocab_spellings

__all__ = [
    "NUMBER_CELL_MARK",
    "EntityDirectory",
    "Refusal",
    "choice_refusal",
    "entity_label",
    "fold",
    "parse_amount",
    "parse_carrier",
    "parse_choice",
    "parse_field",
    "parse_period",
    "parse_street",
    "parse_unit",
    "parse_year",
    "parse_yes_no",
    "scale_suffix",
    "suggest",
]

_SCALE = {"万": 1e4, "亿": 1e8}
_PERIODS = (
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月?(份)?$"),  # 2025年2月, 2025年02月份
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$"),  # 2025-02, 2025/1, 2025.1
    re.compile(r"^(\d{4})(\d{2})$"),  # 202502
)
_YEAR = re.compile(r"^(\d{4})\s*年?(度)?$")
_BAD_COMMAS = re.compile(BAD_COMMAS)
_CARRIER_LIST = "carrier"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SUGGEST_CUTOFF = 0.6


@dataclass(frozen=True)
class Refusal:
    """Why a typed value is not read: a catalogue message (its ``suggestion`` parameter, where
    there is one, is the value the user probably meant; it is never applied)."""

    why: Message

    @property
    def code(self) -> str:
        """The catalogue code."""
        return self.why.code

    @property
    def suggestion(self) -> str | None:
        """The did-you-mean value, if any."""
        s = self.why.params.get("suggestion")
        return None if s is None else str(s)


def fold(text: object) -> str:
    """``text`` with full-width forms read as ASCII (NFKC), blanks at the ends removed.

    >>> fold("　１２３，５ "), fold(None)
    ('123,5', '')
    """
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).strip()


def suggest(text: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``text`` (case and full-width folded), or None when none is close.

    >>> suggest("天燃气", ["电力", "天然气", "柴油"]), suggest("煤炭", ["电力"])
    ('天然气', None)
    """
    key = fold(text).lower()
    if not key:
        return None
    by_key: dict[str, str] = {}
    for c in choices:
        by_key.setdefault(fold(c).lower(), c)
    best = difflib.get_close_matches(key, list(by_key), n=1, cutoff=_SUGGEST_CUTOFF)
    return by_key[best[0]] if best else None


# -- numbers ------------------------------------------------------------------------------
#: the spellings of yes and no in a flag column (folded, lower case); a column adds its own
#: words (自动/手动 for an automated resource, 原料 for feedstock energy)
YES_WORDS = frozenset({"是", "yes", "y", "true", "t", "1"})
NO_WORDS = frozenset({"否", "no", "n", "false", "f", "0", ""})


def parse_yes_no(text: object, *, yes: Iterable[str] = (), no: Iterable[str] = ()
                 ) -> bool | None:
    """A flag cell: ``True`` for yes, ``False`` for no (an empty cell included), ``None`` when
    it is neither (the caller refuses it by name). ``yes`` and ``no`` add a column's words.

    >>> parse_yes_no(" 是 "), parse_yes_no("FALSE"), parse_yes_no("手动", no=("手动",))
    (True, False, False)
    >>> parse_yes_no("maybe") is None
    True
    """
    key = fold(text).lower().replace(" ", "")
    if key in YES_WORDS or key in set(yes):
        return True
    if key in NO_WORDS or key in set(no):
        return False
    return None


def scale_suffix(text: str) -> tuple[str, float]:
    """``text`` without a trailing ``万``/``亿`` and the factor it stood for.

    >>> scale_suffix("3.5万"), scale_suffix("12")
    (('3.5', 10000.0), ('12', 1.0))
    """
    t = fold(text)
    if t[-1:] in _SCALE:
        return t[:-1].strip(), _SCALE[t[-1]]
    return t, 1.0


def parse_amount(text: object, *, scaled: bool = True, unit_in_wan: bool = False
                 ) -> float | Refusal:
    """The number an amount cell spells (:func:`~carbonpeak.intake.formats.numbers.parse_number`
    after full-width folding), a trailing ``万``/``亿`` applied when ``scaled``.

    ``unit_in_wan``: the column's unit already counts in 万 (``万kWh``, ``万元``), so a ``万``
    in the cell is refused (``intake.amount.scaled_twice``) instead of being applied twice.

    >>> parse_amount("3.5万"), parse_amount("１,２００"), parse_amount("1,5").code
    (35000.0, 1200.0, 'intake.cell.comma_decimal')
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        v = parse_number(text)
        return v if v is not None else Refusal(msg("intake.cell.not_number"))
    t = fold(text)
    digits, factor = scale_suffix(t)
    if factor != 1.0 and (unit_in_wan or not scaled):
        v = parse_number(digits)
        if v is not None and unit_in_wan:  # the number in the column's 万: 2亿 is 20000 万
            in_wan = v * factor / _SCALE["万"]
            plain = str(int(in_wan)) if in_wan.is_integer() else repr(in_wan)
            return Refusal(msg("intake.amount.scaled_twice", suffix=t[-1], plain=plain))
        return Refusal(msg("intake.cell.not_number"))
    v = parse_number(digits)
    if v is None:
        if _BAD_COMMAS.match(digits):
            return Refusal(msg("intake.cell.comma_decimal"))
        return Refusal(msg("intake.cell.not_number"))
    return v * factor


# -- periods ------------------------------------------------------------------------------
def parse_period(text: object) -> str | Refusal:
    """The month ``YYYY-MM`` a period cell names.

    >>> parse_period("2025年2月"), parse_period("2025/01"), parse_period("2025.1")
    ('2025-02', '2025-01', '2025-01')
    >>> parse_period("202513").code
    'intake.period.invalid'
    """
    t = fold(text)
    if t.startswith(NUMBER_CELL_MARK):
        return Refusal(msg("intake.period.number_cell", value=t[len(NUMBER_CELL_MARK):]))
    for pattern in _PERIODS:
        m = pattern.match(t)
        if m is not None:
            year, month = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12:  # noqa: PLR2004
                return f"{year:04d}-{month:02d}"
            break
    return Refusal(msg("intake.period.invalid", example="2025-02"))


def parse_year(text: object) -> int | Refusal:
    """A year written ``2025``, ``2025年`` or ``2025年度`` (full-width digits too).

    >>> parse_year("２０２５年"), parse_year("25").code
    (2025, 'intake.cell.not_number')
    """
    m = _YEAR.match(fold(text))
    if m is None:
        return Refusal(msg("intake.cell.not_number"))
    return int(m.group(1))


# -- units and closed lists -------------------------------------------------------------------
def parse_unit(text: object, carrier: str) -> tuple[str, float] | Refusal:
    """The normalised unit and its factor to the carrier's canonical unit.

    >>> parse_unit("公升", "diesel")[0], parse_unit("方", "natural_gas")
    ('l', ('m³', 1.0))
    >>> parse_unit("度", "electricity")
    ('kwh', 1.0)
    """
    t = fold(text)
    if not t:
        return Refusal(msg("intake.cell.required"))
    try:
        return normalise_unit(t), unit_factor(t, carrier)
    except UnitError as exc:
        return Refusal(exc.reason or msg("intake.unit.unknown", unit=t, known=""))


def choice_refusal(vocab: str, text: str, allowed: Any) -> Refusal:  # noqa: ANN401
    """The refusal of ``text`` in closed list ``vocab``: the allowed values, and the nearest
    spelling as a suggestion when one is close (``天燃气`` → ``天然气``)."""
    near = suggest(text, vocab_spellings(vocab))
    code = None if near is None else canonical_value(vocab, near)
    if code is None:
        return Refusal(msg("intake.cell.not_one_of", allowed=allowed))
    shown = preferred_spelling(vocab, code, chinese=bool(_CJK.search(text)))
    return Refusal(msg("intake.cell.not_one_of_suggest", allowed=allowed, suggestion=shown))


def parse_choice(vocab: str, text: object, allowed: Any = None) -> str | Refusal:  # noqa: ANN401
    """The code of ``text`` in closed list ``vocab`` (code, catalogue label or synonym)."""
    t = fold(text)
    code = canonical_value(vocab, t)
    if code is not None:
        return code
    return choice_refusal(vocab, t, allowed if allowed is not None else carrier_labels()
                          if vocab == _CARRIER_LIST else ", ".join(vocab_spellings(vocab)))


def carrier_labels() -> list[Label]:
    """The carriers as labels: rendered as their Chinese names in Chinese text."""
    from carbonpeak.domain.units import CARRIERS  # noqa: PLC0415 - keeps the import list short

    return [label("carrier", c) for c in CARRIERS]


def parse_carrier(text: object) -> str | Refusal:
    """The carrier code of a Chinese or English name.

    >>> parse_carrier("天然气"), parse_carrier("天燃气").suggestion
    ('natural_gas', '天然气')
    """
    return parse_choice(_CARRIER_LIST, text)


def parse_street(text: object, streets: Mapping[str, int]) -> int | Refusal:
    """The id of a street of the district (``streets``: every accepted spelling → id)."""
    t = fold(text)
    sid = streets.get(t, streets.get(t.lower()))
    if sid is not None:
        return sid
    zh = [k for k in streets if _CJK.search(k)]
    near = suggest(t, list(streets))
    if near is not None and not _CJK.search(near):
        # a Latin spelling was closest: suggest the Chinese name of that street
        near = next((k for k in zh if streets[k] == streets[near]), near)
    if near is None:
        return Refusal(msg("intake.cell.not_a_street", streets=", ".join(zh)))
    return Refusal(msg("intake.cell.not_a_street_suggest", streets=", ".join(zh),
                       suggestion=near))


# -- entities -----------------------------------------------------------------------------
def entity_label(entity_id: str, name: str | None) -> str:
    """The ``code 名称`` form of the template's drop-down list.

    >>> entity_label("HP-B0003", "商务大厦")
    'HP-B0003 商务大厦'
    """
    return f"{entity_id} {name}" if name else entity_id


@dataclass
class EntityDirectory:
    """The entities a field may name: code → registered name (``""`` when not known)."""

    names: Mapping[str, str]
    _by_name: dict[str, list[str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for eid, name in self.names.items():
            if name:
                self._by_name.setdefault(fold(name), []).append(eid)

    @classmethod
    def of_ids(cls, ids: Iterable[str]) -> EntityDirectory:
        """A directory of codes only (no names known)."""
        return cls(dict.fromkeys(ids, ""))

    def resolve(self, text: object) -> str | Refusal:
        """The code ``text`` names: the code, the exact name, or ``code 名称``.

        >>> d = EntityDirectory({"HP-B0003": "商务大厦", "HP-B0004": "滨江酒店"})
        >>> d.resolve("HP-B0003 商务大厦"), d.resolve("滨江酒店"), d.resolve("ＨＰ-B0003")
        ('HP-B0003', 'HP-B0004', 'HP-B0003')
        >>> d.resolve("HP-B003").suggestion
        'HP-B0003 商务大厦'
        """
        t = fold(text)
        if t in self.names:
            return t
        ids = self._by_name.get(t)
        if ids is not None:
            if len(ids) == 1:
                return ids[0]
            return Refusal(msg("intake.entity.ambiguous_name", name=t,
                               candidates=", ".join(entity_label(i, self.names[i])
                                                    for i in sorted(ids))))
        code, _, name = t.partition(" ")
        name = name.strip()
        if code in self.names and name:
            registered = self.names[code]
            if not registered or fold(registered) == name:
                return code
            return Refusal(msg("intake.entity.name_mismatch", code=code, registered=registered,
                               suggestion=entity_label(code, registered)))
        return self._unknown(t)

    def _unknown(self, t: str) -> Refusal:
        spelled: dict[str, str] = {}
        for eid, name in self.names.items():
            spelled.setdefault(eid, eid)
            if name:
                spelled.setdefault(fold(name), eid)
                spelled.setdefault(entity_label(eid, fold(name)), eid)
        near = suggest(t, list(spelled))
        if near is None:
            return Refusal(msg("intake.cell.unregistered_entity"))
        eid = spelled[near]
        return Refusal(msg("intake.entity.unknown_suggest",
                           suggestion=entity_label(eid, self.names[eid])))


# -- a form field ---------------------------------------------------------------------------
_AMOUNT_COLUMNS = {
    "ledger": {"quantity"},
    "entities": {"floor_area_m2"},
    "statistics": {"population", "energy_tce", "co2_t"},
}
_WAN_COLUMNS = {"gdp_10k_cny", "gdp_current_10k_cny", "value_added_10k_cny",
                "investment_10k_cny"}
_CHOICES = {"carrier", "kind", "building_type", "submeter", "register"}


def parse_field(kind: str, column: str, text: object, *, carrier: str | None = None,
                unit: str | None = None, entities: EntityDirectory | None = None,
                streets: Mapping[str, int] | None = None, source: str = "form",
                row: int | None = None) -> Any:  # noqa: ANN401 - the column's value
    """The value of one field of a ``kind`` row as a form would submit it, or a
    :class:`~carbonpeak.errors.RowError` naming the column (the same rules as the files).

    ``carrier`` (the row's carrier code) is needed for ``unit``; ``unit`` (the row's unit) to
    refuse ``3.5万`` in a quantity already counted in 万; ``entities`` and ``streets`` for those
    columns.

    >>> parse_field("ledger", "period", "２０２５年２月")
    '2025-02'
    >>> parse_field("ledger", "quantity", "3.5万", unit="万kWh").code
    'intake.amount.scaled_twice'
    """
    result: Any
    if column == "period":
        result = parse_period(text)
    elif column == "year":
        result = parse_year(text)
    elif column in _CHOICES:
        result = parse_choice(column, text)
    elif column == "unit" and carrier is not None:
        result = parse_unit(text, carrier)
        result = result if isinstance(result, Refusal) else result[0]
    elif column in ("entity_id", "parent_id") and entities is not None:
        result = entities.resolve(text)
    elif column == "street" and streets is not None:
        result = parse_street(text, streets)
    elif column in _WAN_COLUMNS:
        result = parse_amount(text, unit_in_wan=True)
    elif column in _AMOUNT_COLUMNS.get(kind, set()):
        in_wan = unit is not None and normalise_unit(fold(unit)).startswith("万")
        result = parse_amount(text, unit_in_wan=in_wan)
    else:
        result = fold(text)
    if isinstance(result, Refusal):
        return RowError(source, row, column, None if text is None else str(text), result.why)
    return result
