"""Excel forms (填报模板) for entities, meters and ledgers, with drop-down lists and instructions.

中文：生成带下拉列表和填写说明的 Excel 填报模板（用能主体、计量表、月度台账）。

A template has three sheets:

- the data sheet: Chinese headers in row 1 (a ``*`` marks a required column, units in
  brackets), the contract's English column names in row 2, data from row 3; drop-down lists
  for coded columns (carriers by their Chinese names), the units valid for the chosen carrier,
  the district's streets, and the entities of the template's scope as ``code 名称``
  (``HP-B0003 商务大厦``; the importer also takes the code alone or the exact name);
- ``填写说明 Instructions``: every column explained in Chinese and English, the accepted
  values, and how to submit;
- ``lists`` (hidden): the values behind the drop-down lists.

The importer (:mod:`carbonpeak.intake.formats.excel`) reads a filled template back as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from carbonpeak.domain.units import CARRIERS, unit_factor_table
from carbonpeak.i18n import render
from carbonpeak.intake.formats.parsing import entity_label
from carbonpeak.intake.formats.vocab import (
    BUILDING_TYPES,
    COLUMNS,
    ENTITY_KINDS,
    REGISTERS,
    SUBMETERS,
    canonical_column,
    canonical_value,
)

__all__ = ["DATA_ROWS", "TEMPLATE_KINDS", "template_headers", "unit_choices", "write_template"]

TEMPLATE_KINDS = ("entities", "meters", "ledger")
DATA_ROWS = 5000  # rows (3 … 5002) that carry the drop-down lists
FIRST_DATA_ROW = 3
LISTS_SHEET = "lists"
INSTRUCTIONS_SHEET = "填写说明 Instructions"
DATA_SHEETS = {"entities": "用能主体 entities", "meters": "计量表 meters",
               "ledger": "月度台账 ledger"}

_UNIT_DISPLAY = {"wh": "Wh", "kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "万kwh": "万kWh",
                 "gj": "GJ", "mj": "MJ", "l": "L"}


@dataclass(frozen=True)
class _Col:
    zh: str  # Chinese header, with the unit in brackets where there is one
    fmt: str  # format / unit, Chinese and English
    zh_help: str
    en_help: str
    choices: str | None = None  # name of a drop-down list
    number: tuple[str, str, str | None] | None = None  # (type, operator, formula2) ≥ formula1
    bound: str | None = None
    text: bool = False  # keep as text (ids, months): Excel must not turn them into numbers
    width: int = 14


_SPECS: dict[str, dict[str, _Col]] = {
    "entities": {
        "entity_id": _Col("主体编号", "文本 text", "唯一编号；再次导入同一编号即更新该主体。",
                          "Unique id; importing the same id again updates the entity.",
                          text=True),
        "name": _Col("名称", "文本 text", "单位或建筑的名称。", "Name of the unit or building.",
                     width=28),
        "kind": _Col("主体类型", "下拉 list", "建筑、企业或公共机构。",
                     "building, enterprise or public_institution.", choices="kind"),
        "street": _Col("所属街道", "下拉 list", "建筑和公共机构必填；从下拉列表选择本区街道。",
                       "Required for buildings and public institutions; a street of the "
                       "district (pick from the list).", choices="street", width=18),
        "building_type": _Col("建筑类型", "下拉 list", "建筑和公共机构必填。",
                              "Required for buildings and public institutions.",
                              choices="building_type"),
        "floor_area_m2": _Col("建筑面积（m²）", "数字 number, m²", "建筑面积，大于 0。",
                              "Gross floor area in m², > 0.",
                              number=("decimal", "greaterThan", None), bound="0", width=16),
        "lat": _Col("纬度（°）", "数字 number, °", "纬度，-90 至 90（可空）。",
                    "Latitude, -90..90 (optional).", number=("decimal", "between", "90"),
                    bound="-90"),
        "lon": _Col("经度（°）", "数字 number, °", "经度，-180 至 180（可空）。",
                    "Longitude, -180..180 (optional).", number=("decimal", "between", "180"),
                    bound="-180"),
        "parent_id": _Col("上级单位编号", "文本 text",
                          "所属企业或单位的主体编号（本文件中或已登记的）；可空。",
                          "entity_id of the owning enterprise or unit (in this file or already "
                          "registered); optional.", text=True, width=16),
        "sector_code": _Col("行业代码", "文本 text",
                            "国民经济行业分类 GB/T 4754-2017 代码，如 L72；可空。",
                            "GB/T 4754-2017 industry code, e.g. L72; optional.", text=True),
    },
    "meters": {
        "meter_id": _Col("表号", "文本 text", "计量表唯一编号。", "Unique meter id.", text=True),
        "entity_id": _Col("主体编号", "下拉 list",
                          "所属用能主体：从下拉列表选择“编号 名称”，或填编号、已登记的名称"
                          "（须先导入用能主体）。",
                          "The metered entity: pick 'code name' from the list, or give its code "
                          "or registered name (import entities first).", choices="entity",
                          text=True, width=28),
        "carrier": _Col("能源品种", "下拉 list", "计量的能源品种。", "Energy carrier metered.",
                        choices="carrier"),
        "unit": _Col("计量单位", "下拉 list", "读数的单位；下拉列表只列出所选能源品种的有效单位。",
                     "Unit of the readings; the list offers the units valid for the carrier.",
                     choices="unit"),
        "submeter": _Col("分项", "下拉 list", "分项计量类别；总表留空或填“总表”。",
                         "Sub-metering category; blank or 总表 for a main meter.",
                         choices="submeter"),
        "register": _Col("表型", "下拉 list",
                         "间隔：每条读数为该时段用量；累计：每条读数为表码（累计值）。",
                         "interval: each reading is the use in its interval; cumulative: each "
                         "reading is the register (meter index).", choices="register"),
        "multiplier": _Col("倍率", "数字 number", "综合倍率（CT×PT），默认 1。",
                           "CT × PT ratio; default 1.", number=("decimal", "greaterThan", None),
                           bound="0"),
        "interval_minutes": _Col("采集间隔（分钟）", "整数 integer, min",
                                 "采集间隔，分钟，默认 60。",
                                 "Reading interval in minutes; default 60.",
                                 number=("whole", "between", "44640"), bound="1", width=18),
        "rollover_at": _Col("满量程", "数字 number", "累计表的表码上限（翻转值）；可空。",
                            "Full scale of a cumulative register (where it rolls over); "
                            "optional.", number=("decimal", "greaterThan", None), bound="0"),
    },
    "ledger": {
        "entity_id": _Col("主体编号", "下拉 list",
                          "用能主体：从下拉列表选择“编号 名称”，或填编号、已登记的名称"
                          "（须先导入用能主体）。",
                          "The entity: pick 'code name' from the list, or give its code or "
                          "registered name (import entities first).", choices="entity",
                          text=True, width=28),
        "period": _Col("月份", "YYYY-MM", "统计月份：2024-03、2024年3月、2024/03、2024.3 或 "
                       "202403（也可填日期，取其年月）。",
                       "Month: 2024-03, 2024年3月, 2024/03, 2024.3 or 202403 (a date cell is "
                       "read as its month).", text=True),
        "carrier": _Col("能源品种", "下拉 list", "能源品种。", "Energy carrier.",
                        choices="carrier"),
        "quantity": _Col("数量", "数字 number", "该月实物消费量，不小于 0，单位见下一列；可写 "
                         "1,200 或 3.5万（单位已是万kWh 等以万计时不要再写“万”）。",
                         "Quantity used in the month, >= 0, in the unit of the next column; "
                         "1,200 or 3.5万 are read (no 万 when the unit already counts in 万).",
                         text=True),
        "unit": _Col("单位", "下拉 list", "数量的单位；下拉列表只列出所选能源品种的有效单位。",
                     "Unit of the quantity; the list offers the units valid for the carrier.",
                     choices="unit"),
        "note": _Col("备注", "文本 text", "说明（可空），随台账保存。",
                     "Remarks (optional), kept with the ledger.", width=28),
    },
}

_REQUIRED_FILL = PatternFill("solid", fgColor="FDE9D9")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_EN_FILL = PatternFill("solid", fgColor="F2F2F2")


def unit_choices() -> dict[str, list[str]]:
    """Units offered per carrier code, smallest first, as displayed (``kWh``, ``万kWh``, ``m³``)."""
    out: dict[str, list[str]] = {c: [] for c in CARRIERS}
    for carrier, key, _factor in sorted(unit_factor_table(), key=lambda u: (u[0], u[2])):
        out[carrier].append(_UNIT_DISPLAY.get(key, key))
    return out


def _spec(kind: str, column: str) -> _Col:
    spec = _SPECS[kind].get(column)
    if spec is not None:
        return spec
    aliases = COLUMNS[kind][column][1]
    return _Col(aliases[0] if aliases else column, "", "见导入规范 docs/import-contract.md。",
                "See docs/import-contract.md.")


def template_headers(kind: str) -> list[tuple[str, str]]:
    """``(Chinese header as written in row 1, English column name)`` for each column."""
    out = []
    for column, (required, _aliases) in COLUMNS[kind].items():
        zh = _spec(kind, column).zh
        header = f"*{zh}" if required else zh
        if canonical_column(kind, header) != column:  # the importer must read it back
            msg = f"template header {header!r} does not map back to {column}"
            raise AssertionError(msg)
        out.append((header, column))
    return out


def _choice_lists(streets: Sequence[str],
                  entities: Sequence[tuple[str, str]] = ()) -> dict[str, list[str]]:
    def first(vocab: dict[str, tuple[str, ...]]) -> list[str]:
        return [aliases[0] for aliases in vocab.values()]

    return {
        "kind": first(ENTITY_KINDS),
        "building_type": first(BUILDING_TYPES),
        "street": list(streets),
        "carrier": [c.name_zh for c in CARRIERS.values()],
        "submeter": first(SUBMETERS),
        "register": first(REGISTERS),
        # last, after the units: the columns of the lists above keep their letters
        "entity": [entity_label(e, n) for e, n in entities],
    }


def _english(vocab: str, value: str) -> str:
    return canonical_value(vocab, value) or "(main meter 总表)"


def write_template(kind: str, out: Path, *, streets: Sequence[str] = (),
                   district: str | None = None,
                   entities: Sequence[tuple[str, str]] = ()) -> Path:
    """Write the Excel form for ``kind`` (entities, meters, ledger) to ``out``.

    Parameters
    ----------
    streets
        Street names of the district, offered in the street drop-down list.
    entities
        ``(code, name)`` of the entities of the template's scope (the district, a street, an
        entity and its buildings), offered as ``code 名称`` in the entity drop-down list.
    district
        The district's name, shown in the instructions.
    """
    if kind not in TEMPLATE_KINDS:
        msg = f"no template for {kind!r}; one of {', '.join(TEMPLATE_KINDS)}"
        raise ValueError(msg)
    wb = Workbook()
    data = wb.active
    assert data is not None
    data.title = DATA_SHEETS[kind]
    notes = wb.create_sheet(INSTRUCTIONS_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    refs = _write_lists(lists, _choice_lists(streets, entities))
    headers = template_headers(kind)
    letters = {col: get_column_letter(i) for i, (_h, col) in enumerate(headers, start=1)}
    last = FIRST_DATA_ROW + DATA_ROWS - 1
    for i, (header, column) in enumerate(headers, start=1):
        spec = _spec(kind, column)
        required = COLUMNS[kind][column][0]
        top = data.cell(row=1, column=i, value=header)
        top.font = Font(bold=True, color="C00000" if required else "000000")
        top.fill = _REQUIRED_FILL if required else _HEADER_FILL
        top.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        en = data.cell(row=2, column=i, value=column)
        en.font = Font(italic=True, color="595959")
        en.fill = _EN_FILL
        letter = letters[column]
        data.column_dimensions[letter].width = max(spec.width, len(column) + 2)
        if spec.text:
            data.column_dimensions[letter].number_format = "@"
        area = f"{letter}{FIRST_DATA_ROW}:{letter}{last}"
        if spec.choices == "unit" and "carrier" in letters:
            formula = _unit_formula(refs, f"${letters['carrier']}{FIRST_DATA_ROW}")
            _validate(data, area, "list", formula, spec, column)
        elif spec.choices is not None and refs.get(spec.choices):
            _validate(data, area, "list", refs[spec.choices], spec, column)
        elif spec.number is not None and spec.bound is not None:
            vtype, operator, upper = spec.number
            _validate(data, area, vtype, spec.bound, spec, column, operator=operator,
                      formula2=upper)
    data.row_dimensions[1].height = 30
    data.freeze_panes = f"A{FIRST_DATA_ROW}"
    _write_instructions(notes, kind, headers, streets, district, len(entities))
    wb.active = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _write_lists(ws: Worksheet, choices: dict[str, list[str]]) -> dict[str, str]:
    """One column per list; returns list name -> absolute range (``'lists'!$A$2:$A$4``)."""
    sheet = quote_sheetname(LISTS_SHEET)
    refs: dict[str, str] = {}
    col = 1
    entities = choices.pop("entity", [])
    for name, values in choices.items():
        ws.cell(row=1, column=col, value=name)
        for r, v in enumerate(values, start=2):
            ws.cell(row=r, column=col, value=v)
        letter = get_column_letter(col)
        if values:
            refs[name] = f"{sheet}!${letter}$2:${letter}${len(values) + 1}"
        col += 1
    # units: one column per carrier (header = its Chinese name), then every unit
    units = unit_choices()
    start = col
    everything: list[str] = []
    for code, carrier in CARRIERS.items():
        ws.cell(row=1, column=col, value=carrier.name_zh)
        for r, u in enumerate(units[code], start=2):
            ws.cell(row=r, column=col, value=u)
            if u not in everything:
                everything.append(u)
        col += 1
    ws.cell(row=1, column=col, value="全部 all")
    for r, u in enumerate(everything, start=2):
        ws.cell(row=r, column=col, value=u)
    first, last_carrier = get_column_letter(start), get_column_letter(col - 1)
    refs["_units_base"] = f"{sheet}!${first}$2"
    refs["_units_head"] = f"{sheet}!${first}$1:${last_carrier}$1"
    refs["_units_all"] = str(col - start)  # offset of the "all" column
    if entities:  # "code 名称" of the template's scope
        col += 1
        ws.cell(row=1, column=col, value="entity")
        for r, v in enumerate(entities, start=2):
            ws.cell(row=r, column=col, value=v)
        letter = get_column_letter(col)
        refs["entity"] = f"{sheet}!${letter}$2:${letter}${len(entities) + 1}"
    return refs


def _unit_formula(refs: dict[str, str], carrier_cell: str) -> str:
    """Units of the carrier chosen in the row (every unit while none is chosen)."""
    base, head, fallback = refs["_units_base"], refs["_units_head"], refs["_units_all"]
    pick = f"IFERROR(MATCH({carrier_cell},{head},0)-1,{fallback})"
    return f"OFFSET({base},0,{pick},COUNTA(OFFSET({base},0,{pick},20,1)),1)"


def _validate(ws: Worksheet, area: str, vtype: str, formula1: str, spec: _Col, column: str, *,
              operator: str | None = None, formula2: str | None = None) -> None:
    dv = DataValidation(type=cast(Any, vtype), formula1=formula1, formula2=formula2,
                        operator=cast(Any, operator),
                        allow_blank=True, showErrorMessage=True, showInputMessage=True,
                        errorStyle="warning")
    dv.promptTitle = spec.zh[:32]
    dv.prompt = f"{spec.zh_help}\n{spec.en_help}"[:255]
    dv.errorTitle = "请检查 Please check"
    dv.error = f"{spec.zh}：{spec.zh_help}\n{column}: {spec.en_help}"[:255]
    ws.add_data_validation(dv)
    dv.add(area)


def _write_instructions(ws: Worksheet, kind: str, headers: list[tuple[str, str]],
                        streets: Sequence[str], district: str | None, n_entities: int) -> None:
    zh_title, en_title = (render(f"label.template_kind.{kind}", lang) for lang in ("zh", "en"))
    where = f"{district} " if district else ""
    lines: list[list[str]] = [
        [f"{where}{zh_title}填报模板 — 填写说明 / Instructions: {en_title}"],
        [],
        ["填写要求", "How to fill in"],
        [f"在工作表“{DATA_SHEETS[kind]}”第 3 行起每行填写一条记录；"
         "第 1、2 行为表头，请勿修改或删除。",
         f"Fill one record per row from row 3 of sheet '{DATA_SHEETS[kind]}'; rows 1 and 2 "
         "are the headers: do not change or delete them."],
        ["带 * 的列为必填；其余列可空。已登记对象的空白单元格不会清除已存数值。",
         "Columns marked * are required; others may be blank. A blank cell never erases a "
         "value already stored."],
        ["编码列请从下拉列表选择；也接受英文代码（如 electricity、office）。",
         "Pick coded values from the drop-down lists; the English codes (e.g. electricity, "
         "office) are accepted too."],
        ["数字可带千分位（12,000.5），可用全角数字；数量可写 3.5万；不要在数字单元格中填写单位。"
         "1,5 这样的逗号写法有歧义，不予接收。",
         "Numbers may carry thousands separators (12,000.5) and full-width digits; a quantity "
         "may be written 3.5万; do not type units into number cells. A comma as in 1,5 is "
         "ambiguous and refused."],
        ["无法识别的值会被退回并给出“是否应为……”的建议，系统不会自行猜测。",
         "A value that cannot be read is refused with a did-you-mean suggestion; nothing is "
         "guessed."],
        ["可增加自用列（如备注），导入时会忽略并提示。",
         "You may add columns of your own (e.g. notes); the import ignores them and says so."],
        [],
        ["列说明", "Columns"],
        ["列名（中文）", "column", "必填 required", "格式/单位 format/unit", "说明", "description",
         "可选值 accepted values"],
    ]
    choices = _choice_lists(streets)
    for header, column in headers:
        spec = _spec(kind, column)
        required = COLUMNS[kind][column][0]
        accepted = ""
        if spec.choices == "unit":
            accepted = "见下表 see the table below"
        elif spec.choices == "street":
            accepted = "、".join(choices["street"])
        elif spec.choices == "entity":
            accepted = (f"下拉列表中的 {n_entities} 个用能主体 the {n_entities} entities of the "
                        "drop-down list") if n_entities else ""
        elif spec.choices is not None:
            vocab = spec.choices
            accepted = "; ".join(f"{v} ({_english(vocab, v)})" for v in choices[vocab])
        lines.append([header, column, "是 yes" if required else "否 no", spec.fmt, spec.zh_help,
                      spec.en_help, accepted])
    if "unit" in COLUMNS[kind]:
        lines += [[], ["各能源品种的有效单位", "Units valid per carrier"],
                  ["能源品种", "carrier", "单位 units"]]
        units = unit_choices()
        for code, carrier in CARRIERS.items():
            lines.append([carrier.name_zh, code, ", ".join(units[code])])
    lines += [
        [],
        ["如何提交", "How to submit"],
        ["保存为 .xlsx（也可另存为 CSV UTF-8），提交给区平台管理员，或运行：",
         "Save as .xlsx (or CSV UTF-8) and send it to the district platform's administrator, "
         "or run:"],
        [f"carbonpeak import {kind} 文件名.xlsx"],
        ["有问题的文件会整体退回，并附错误清单（工作表、行、列、值、原因）；"
         "管理员可用 --skip-bad-rows 先导入正确的行，问题行另存待修正。",
         "A file with problems is refused whole, with a list of every problem (sheet, row, "
         "column, value, reason); the administrator may import the good rows with "
         "--skip-bad-rows, the bad ones are kept aside to be corrected."],
    ]
    for row in lines:
        ws.append(row)
    ws["A1"].font = Font(bold=True, size=14)
    for cells in ws.iter_rows():
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.value in ("填写要求", "列说明", "如何提交", "各能源品种的有效单位",
                              "列名（中文）", "能源品种"):
                for c in cells:
                    c.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (36, 40, 12, 18, 40, 48, 48), strict=True):
        ws.column_dimensions[letter].width = width
