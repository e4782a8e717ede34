"""Column names and coded values of the import contract, with their Chinese aliases.

中文：导入文件的列名与代码值（接受中文表头与中文取值）。
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from carbonpeak.i18n import catalogue
from carbonpeak.vocabulary import BuildingType, EnergyCarrier, EntityKind, MeterRegister

__all__ = [
    "BUILDING_TYPES",
    "COLUMNS",
    "ENTITY_KINDS",
    "REGISTERS",
    "SUBMETERS",
    "canonical_column",
    "canonical_value",
    "preferred_spelling",
    "vocab_spellings",
]

_ENTITY_ALIASES = ("主体编号", "用能主体编号", "单位编号", "建筑编号", "编号")

# kind -> column -> (required, aliases): every kind the shared CSV/Excel reader knows, declared
# here as data (no module adds a kind at import time)
COLUMNS: dict[str, dict[str, tuple[bool, tuple[str, ...]]]] = {
    "entities": {
        "entity_id": (True, ("主体编号", "用能主体编号", "单位编号", "建筑编号", "编号")),
        "name": (True, ("名称", "单位名称", "建筑名称", "主体名称")),
        "kind": (True, ("主体类型", "类型", "类别")),
        "street": (False, ("街道", "所属街道")),
        "building_type": (False, ("建筑类型", "建筑功能", "功能类型")),
        "floor_area_m2": (False, ("建筑面积", "面积")),
        "lat": (False, ("纬度", "latitude")),
        "lon": (False, ("经度", "longitude", "lng")),
        "parent_id": (False, ("上级单位", "上级单位编号", "所属企业", "所属单位编号")),
        "sector_code": (False, ("行业代码", "行业", "国民经济行业代码")),
    },
    "meters": {
        "meter_id": (True, ("表号", "计量表编号", "表计编号", "电表编号")),
        "entity_id": (True, ("主体编号", "用能主体编号", "单位编号", "建筑编号")),
        "carrier": (True, ("能源品种", "能源类型", "能源种类")),
        "unit": (True, ("单位", "计量单位")),
        "submeter": (False, ("分项", "分项类别", "分项代码")),
        "register": (True, ("表型", "读数类型", "计量方式")),
        "multiplier": (False, ("倍率", "变比", "综合倍率")),
        "interval_minutes": (False, ("采集间隔", "采集间隔分钟")),
        "rollover_at": (False, ("满量程", "翻转值", "表码上限")),
        "commissioned_on": (False, ("投运日期", "启用日期", "安装日期")),
        "ceiling": (False, ("单次读数上限", "额定上限", "rated_capacity")),
    },
    "readings": {
        "meter_id": (True, ("表号", "计量表编号", "表计编号", "电表编号")),
        "ts": (True, ("时间", "采集时间", "读数时间", "时间戳", "timestamp")),
        "value": (True, ("读数", "数值", "用量", "示数")),
    },
    "ledger": {
        "entity_id": (True, ("主体编号", "用能主体编号", "单位编号", "建筑编号")),
        "period": (True, ("月份", "期间", "统计期", "年月")),
        "carrier": (True, ("能源品种", "能源类型", "能源种类")),
        "quantity": (True, ("数量", "用量", "消费量", "实物量")),
        "unit": (True, ("单位", "计量单位")),
        "note": (False, ("备注", "说明", "remarks", "remark", "notes")),
    },
    "statistics": {
        "year": (True, ("年份", "年度")),
        "gdp_10k_cny": (False, ("地区生产总值", "gdp", "地区生产总值万元", "gdp万元",
                                "可比价地区生产总值")),
        "gdp_current_10k_cny": (False, ("当年价地区生产总值", "地区生产总值当年价",
                                        "现价地区生产总值")),
        "gdp_real_growth_pct": (False, ("地区生产总值增长率", "gdp增长率", "实际增长率",
                                        "可比价增长率")),
        "population": (False, ("常住人口", "人口")),
        "energy_tce": (False, ("能源消费总量", "综合能源消费量", "能耗总量")),
        "co2_t": (False, ("二氧化碳排放量", "碳排放总量", "co2", "二氧化碳排放总量")),
    },
    "sector_statistics": {
        "year": (True, ("年份", "年度")),
        "sector": (True, ("行业", "行业代码", "门类", "国民经济行业门类")),
        "value_added_10k_cny": (True, ("增加值", "行业增加值", "增加值万元")),
    },
    "targets": {
        "id": (True, ("目标编号", "编号", "target_id", "code")),
        "district": (False, ("区", "所属区")),
        "section": (False, ("章节", "所在章节")),
        "indicator_zh": (True, ("指标", "指标名称", "目标名称")),
        "indicator_en": (False, ("indicator", "英文名称")),
        "kind": (True, ("目标类型", "类型")),
        "baseline_year": (False, ("基准年", "基期")),
        "baseline_value": (False, ("基准值", "基期值")),
        "target_year": (False, ("目标年", "目标年份")),
        "target_value": (False, ("目标值",)),
        "unit": (False, ("单位", "计量单位")),
        "comparator": (False, ("比较", "比较符")),
        "period": (False, ("期间", "时段")),
        "responsible_units_zh": (False, ("责任单位", "牵头单位", "responsible_units")),
        "quote_zh": (False, ("原文", "规划原文", "quote")),
        "notes": (False, ("备注", "说明")),
        "metric": (False, ("计算指标", "核算指标")),
        "scope_type": (False, ("范围", "目标范围")),
        "scope_id": (False, ("范围编号", "街道或主体")),
    },
    "observations": {
        "target_id": (True, ("目标编号", "编号", "id", "code")),
        "date": (True, ("日期", "观测日期", "年份", "year")),
        "value": (True, ("数值", "观测值", "完成值")),
        "source": (True, ("来源", "数据来源", "出处")),
        "scope_id": (False, ("范围编号", "街道或主体")),
    },
    "budgets": {
        "year": (True, ("年份", "年度")),
        "metric": (True, ("指标", "预算指标")),
        "scope_type": (True, ("范围", "层级")),
        "scope_id": (False, ("范围编号", "街道或主体", "编号")),
        "budget": (True, ("预算", "预算值", "控制目标", "总量目标")),
        "intensity_target": (False, ("强度目标", "强度控制目标")),
    },
    # kinds read by their own modules (intake.weather_files, retrofit_files, audit_files)
    "weather": {
        "date": (True, ("日期", "观测日期", "day", "日", "时间", "date_local")),
        "temp_mean_c": (True, ("日平均气温", "平均气温", "日均气温", "气温", "日平均温度",
                               "平均温度", "temp_mean", "temperature", "mean_temperature",
                               "tavg", "tmean", "t_mean", "temp", "temp_mean_f", "tavg_f",
                               "temp_f", "mean_temperature_f")),
        "unit": (False, ("单位", "温度单位", "计量单位")),
        "station": (False, ("站点", "气象站", "站名", "观测站", "station_name", "站点名称")),
    },
    "retrofits": {
        "code": (True, ("项目编号", "编号", "project_code", "project_id", "项目代码")),
        "entity_id": (True, ("建筑编号", "主体编号", "用能主体编号", "building_id", "entity")),
        "kind": (False, ("项目类型", "类型", "类别", "type")),
        "name": (True, ("项目名称", "名称", "project_name", "project")),
        "measures": (False, ("改造措施", "措施", "主要措施", "改造内容", "调适内容", "measure")),
        "start_date": (True, ("开工日期", "开始日期", "实施开始日期", "开工时间", "start")),
        "end_date": (False, ("竣工日期", "完成日期", "完工日期", "竣工时间", "end", "completion")),
        "floor_area_m2": (True, ("改造面积", "建筑面积", "面积", "floor_area", "area_m2", "area")),
        "investment_10k_cny": (False, ("投资", "投资额", "项目投资", "总投资", "investment",
                                       "investment_10k")),
        "claimed_savings_kwh": (False, ("申报节能量", "预计节能量", "节能量", "年节能量",
                                        "claimed_savings", "savings_kwh")),
        "claimed_savings_fraction": (False, ("申报节能率", "预计节能率", "节能率",
                                             "claimed_fraction", "savings_fraction",
                                             "saving_rate")),
        "status": (False, ("状态", "项目状态", "进度")),
        "note": (False, ("备注", "说明", "notes")),
    },
    "energy_audits": {
        "entity_id": (True, _ENTITY_ALIASES),
        "kind": (True, ("类型", "审计类型", "类别", "审计或诊断")),
        "audit_date": (True, ("审计日期", "诊断日期", "完成日期", "日期", "date")),
        "auditor": (True, ("审计机构", "诊断机构", "审计单位", "实施单位", "服务机构",
                           "auditor_name")),
        "report_ref": (False, ("报告编号", "报告文号", "report")),
        "findings": (False, ("主要问题", "审计发现", "发现问题", "主要发现", "结论")),
        "recommended_measures": (False, ("建议措施", "节能措施", "改进建议", "措施", "measures")),
        "estimated_savings_tce": (False, ("预计节能量", "节能潜力", "savings_tce")),
    },
    # rooftop PV (intake.energy.pv_files)
    "roofs": {
        "entity_id": (True, ("建筑编号", "主体编号", "用能主体编号", "building_id", "entity")),
        "roof_area_m2": (True, ("屋顶面积", "屋面面积", "roof_area", "roof_m2")),
        "usable_share": (True, ("可利用比例", "可用比例", "可安装比例", "usable",
                                "usable_fraction")),
        "cohort": (True, ("屋顶类别", "类别", "建筑类别", "分类", "category")),
        "is_new": (True, ("新建或既有", "新建/既有", "新建", "new_or_existing", "new")),
        "not_feasible_reason": (False, ("不可行原因", "不可安装原因", "原因", "reason")),
    },
    "pv_sites": {
        "site_id": (True, ("电站编号", "光伏编号", "项目编号", "site", "site_code")),
        "entity_id": (True, ("建筑编号", "主体编号", "用能主体编号", "building_id", "entity")),
        "kwp_dc": (True, ("直流装机容量", "组件容量", "装机容量", "kwp", "capacity_dc_kwp")),
        "kw_ac": (True, ("交流容量", "逆变器容量", "并网容量", "kw_ac_rated", "capacity_ac_kw")),
        "tilt_deg": (True, ("倾角", "安装倾角", "tilt")),
        "azimuth_deg": (True, ("方位角", "朝向", "azimuth")),
        "commissioned_on": (True, ("并网日期", "投运日期", "投产日期", "commissioned",
                                   "commissioning_date")),
        "meter_id": (False, ("计量表编号", "发电计量表", "电表编号", "meter")),
        "gamma_pdc": (False, ("温度系数", "功率温度系数", "gamma")),
        "losses_pct": (False, ("系统损失", "系统损耗", "losses")),
        "eta_inv_nom": (False, ("逆变器效率", "inverter_efficiency")),
        "albedo": (False, ("地面反照率", "反照率")),
        "temp_model": (False, ("温度模型", "安装方式", "mounting")),
    },
    "weather_hourly": {
        "ts": (True, ("时间", "时刻", "timestamp", "datetime", "time")),
        "ghi_w_m2": (True, ("总辐射", "水平面总辐射", "ghi")),
        "dni_w_m2": (False, ("直接辐射", "法向直接辐射", "dni")),
        "dhi_w_m2": (False, ("散射辐射", "水平面散射辐射", "dhi")),
        "temp_air_c": (True, ("气温", "干球温度", "temp_air", "temperature")),
        "wind_speed_m_s": (False, ("风速", "wind_speed", "wind")),
    },
    # the project gate (intake.projects): the register, designed energy, certificates
    "projects": {
        "project_code": (True, ("项目编号", "项目代码", "code", "备案编号")),
        "name": (True, ("项目名称", "名称", "project_name")),
        "street": (False, ("街道", "所属街道", "建设地点")),
        "developer": (True, ("建设单位", "项目单位", "建设单位编号", "developer_code")),
        "sector_code": (True, ("行业代码", "国民经济行业代码", "所属行业", "sector")),
        "kind": (True, ("建设性质", "项目类型", "类型")),
        "stage": (True, ("阶段", "项目阶段", "进度")),
        "value_added_10k_cny": (False, ("增加值", "年增加值", "工业增加值", "value_added")),
        "new_capacity": (False, ("新增产能", "新增生产能力", "capacity")),
        "renewable_measures": (False, ("可再生能源措施", "可再生能源利用", "renewables")),
        "first_full_year": (False, ("首个完整年度", "达产年份", "投产年份")),
        "reviewed_tce_equal": (False, ("审查能耗", "节能审查能耗", "批复能耗")),
        "accepted_tce_equal": (False, ("验收能耗", "节能验收能耗")),
        "entity_id": (False, ("主体编号", "用能主体编号", "单位编号")),
    },
    "project_energy": {
        "project_code": (True, ("项目编号", "项目代码", "code")),
        "carrier": (True, ("能源品种", "能源类型", "能源种类")),
        "annual_quantity": (True, ("年用量", "年消费量", "设计年用量", "数量", "quantity")),
        "unit": (True, ("单位", "计量单位")),
        "existing_quantity": (False, ("改建前年用量", "原有用量", "existing")),
        "feedstock": (False, ("原料用能", "是否原料", "原料")),
    },
    "certificates": {
        "serial": (True, ("编号", "证书编号", "绿证编号", "合同编号", "serial_no")),
        "kind": (False, ("类型", "证书类型")),
        "vintage": (True, ("生产年份", "年份", "电量生产年份")),
        "mwh": (True, ("电量", "兆瓦时", "mwh_amount")),
        "holder": (True, ("持有单位", "持有方", "主体编号", "用能主体编号")),
        "status": (False, ("状态", "证书状态")),
        "claim_year": (False, ("使用年度", "核销年度", "声明年度")),
        "plant_id": (False, ("发电项目", "发电项目编号", "电站", "电站编号", "generation_site")),
        "plant_in_district": (False, ("电站在本区", "是否本区电站", "本区发电",
                                      "generation_in_district")),
    },
    "obligation_filings": {
        "entity_id": (True, _ENTITY_ALIASES),
        "obligation": (True, ("义务", "义务类型", "报送事项", "事项", "报送类型")),
        "year": (True, ("年度", "年份", "报告年度", "所属年度")),
        "filed_on": (True, ("报送日期", "提交日期", "备案日期", "日期", "date")),
        "reference": (False, ("回执编号", "文号", "报送编号", "备案编号")),
        "note": (False, ("备注", "说明")),
    },
    # the virtual power plant (docs/vpp.md)
    "dr_resources": {
        "resource_id": (True, ("资源编号", "可调节资源编号", "资源id", "resource")),
        "entity_id": (True, _ENTITY_ALIASES[:-1]),
        "kind": (True, ("资源类型", "类型", "类别", "type")),
        "contracted_kw": (True, ("签约容量", "签约响应容量", "约定响应能力", "contracted")),
        "automated": (False, ("自动响应", "是否自动", "自动化", "auto")),
        "ven_id": (False, ("网关编号", "终端编号", "ven", "gateway_id")),
        "meter_id": (False, ("计量表编号", "表号", "电表编号", "meter")),
        "aggregator": (True, ("负荷聚合商", "聚合商", "聚合商编号", "aggregator_code")),
        "frequency_regulation": (False, ("调频", "可调频", "调频资格", "frequency")),
    },
    "dr_events": {
        "event_id": (True, ("事件编号", "响应事件编号", "event")),
        "programme": (True, ("响应类型", "项目类型", "类型", "programme_type", "program")),
        "date": (True, ("日期", "响应日期", "执行日期", "day")),
        "start": (True, ("开始时间", "起始时间", "start_time")),
        "end": (True, ("结束时间", "终止时间", "end_time")),
        "target_kw": (True, ("目标负荷", "响应目标", "目标削减负荷", "target")),
        "baseline_method": (False, ("基线方法", "基线", "baseline")),
    },
    "dr_participants": {
        "event_id": (True, ("事件编号", "响应事件编号", "event")),
        "resource_id": (True, ("资源编号", "可调节资源编号", "resource")),
        "declared_kw": (True, ("申报响应量", "申报容量", "申报负荷", "declared")),
        "opt_status": (False, ("是否参与", "参与状态", "确认状态", "opt")),
    },
}

ENTITY_KINDS: dict[str, tuple[str, ...]] = {
    EntityKind.BUILDING: ("建筑", "楼宇", "大楼"),
    EntityKind.ENTERPRISE: ("企业", "公司", "法人单位"),
    EntityKind.PUBLIC_INSTITUTION: ("公共机构", "机关事业单位", "事业单位"),
}
BUILDING_TYPES: dict[str, tuple[str, ...]] = {
    BuildingType.OFFICE: ("办公", "商务办公", "写字楼", "办公建筑"),
    BuildingType.HOTEL: ("酒店", "宾馆", "饭店", "旅馆"),
    BuildingType.MALL: ("商场", "商业", "购物中心", "百货", "商业建筑"),
    BuildingType.HOSPITAL: ("医院", "医疗", "医疗卫生"),
    BuildingType.SCHOOL: ("学校", "教育", "高校", "学校建筑"),
    BuildingType.GOVERNMENT: ("政府", "机关", "政府办公", "机关办公"),
    BuildingType.DATA_CENTRE: ("数据中心", "机房", "data_center", "datacenter"),
    BuildingType.MIXED: ("综合", "综合体", "商住", "混合"),
    BuildingType.OTHER: ("其他", "其它"),
}
# synonyms only: the Chinese and English labels of every carrier (电力, 天然气 …) come from the
# vocabulary catalogue (label.carrier.*), see :func:`vocab_spellings`
CARRIER_ALIASES: dict[str, tuple[str, ...]] = {
    EnergyCarrier.ELECTRICITY: ("电", "用电", "电量", "电能"),
    EnergyCarrier.HEAT: ("热", "蒸汽", "热水", "外购热力"),
    EnergyCarrier.NATURAL_GAS: ("燃气", "管道天然气", "管道燃气", "gas"),
    EnergyCarrier.DIESEL: ("柴油",),
    EnergyCarrier.GASOLINE: ("汽油",),
    EnergyCarrier.KEROSENE: ("煤油",),
    EnergyCarrier.FUEL_OIL: ("重油",),
    EnergyCarrier.LPG: ("液化气", "石油液化气"),
    EnergyCarrier.PV_GENERATION: ("光伏", "光伏发电", "pv"),
}
SUBMETERS: dict[str, tuple[str, ...]] = {
    "": ("总表", "总", "main", "total", "-"),
    "lighting_socket": ("照明插座", "照明", "a", "照明插座用电"),
    "hvac": ("空调", "b", "空调用电"),
    "power": ("动力", "c", "动力用电"),
    "special": ("特殊", "d", "特殊用电"),
    # parts of ``hvac`` (空调用电), for the commissioning screen (docs/commissioning.md): the
    # cooling plant (chillers, chilled- and condenser-water pumps, cooling towers) and the
    # heating plant (electric boilers, heat pumps heating, hot-water pumps). An entity
    # without a main meter should not have both ``hvac`` and these parts (the account sums
    # every sub-meter of such an entity).
    "cooling_plant": ("冷站", "冷站用电", "制冷站", "制冷站用电", "冷机房", "冷源用电"),
    "heating_plant": ("热站", "热站用电", "供热站", "供热站用电", "热源用电", "采暖用电"),
}
REGISTERS: dict[str, tuple[str, ...]] = {
    MeterRegister.INTERVAL: ("间隔", "区间", "区间用量", "增量"),
    MeterRegister.CUMULATIVE: ("累计", "累积", "累计读数", "表码", "示数"),
}

#: the vocabulary catalogue's label kind of each closed list (label.<kind>.<code>)
_LABEL_KINDS = {"carrier": "carrier", "kind": "entity_kind", "building_type": "building_type",
                "register": "meter_register"}
_VOCABS = {
    "kind": ENTITY_KINDS,
    "building_type": BUILDING_TYPES,
    "carrier": CARRIER_ALIASES,
    "submeter": SUBMETERS,
    "register": REGISTERS,
}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", "", text)


def canonical_column(kind: str, header: str) -> str | None:
    """English column name for ``header`` in a ``kind`` file, ``None`` if unknown.

    Case, spaces, full-width characters, a ``*`` required mark and a trailing unit or note in
    brackets are ignored (``数量（必填）``):
    ``建筑面积（m²）`` and ``Floor_Area_m2`` both map to ``floor_area_m2``.

    >>> canonical_column("entities", "建筑面积（m²）")
    'floor_area_m2'
    """
    key = _norm(header).strip("*")  # a required-column mark, "*主体编号" or "主体编号*"
    key = re.sub(r"\(.*\)$", "", key).strip("*")
    key = re.sub(r"\[.*\]$", "", key)
    for name, (_req, aliases) in COLUMNS[kind].items():
        if key == name or key in {_norm(a) for a in aliases}:
            return name
    return None


def canonical_value(vocab: str, value: str) -> str | None:
    """Code for ``value`` in vocabulary ``vocab`` (English code or Chinese alias), else ``None``.

    >>> canonical_value("carrier", "天然气")
    'natural_gas'
    """
    return _spelled(vocab).get(_norm(value))


@cache
def _spellings(vocab: str) -> tuple[tuple[str, str], ...]:
    """Every accepted spelling of list ``vocab`` as written, with its code."""
    out: list[tuple[str, str]] = []
    texts = catalogue()
    for code, aliases in _VOCABS[vocab].items():
        entry = texts.get(f"label.{_LABEL_KINDS.get(vocab, vocab)}.{code}", {})
        out += [(s, code) for s in (code, entry.get("zh", ""), entry.get("en", ""), *aliases)
                if s or not code]
    return tuple(out)


@cache
def _spelled(vocab: str) -> dict[str, str]:
    """Every accepted spelling (normalised) of list ``vocab`` → its code."""
    out: dict[str, str] = {}
    for spelling, code in _spellings(vocab):
        out.setdefault(_norm(spelling), str(code))
    return out


def vocab_spellings(vocab: str) -> list[str]:
    """Every spelling list ``vocab`` accepts (codes, catalogue labels, synonyms), for
    did-you-mean suggestions.

    >>> "天然气" in vocab_spellings("carrier")
    True
    """
    return list(dict.fromkeys(s for s, _code in _spellings(vocab) if s))


def preferred_spelling(vocab: str, code: str, *, chinese: bool) -> str:
    """How a suggestion names ``code``: its Chinese label (or first Chinese synonym) for a user
    who typed Chinese, else the code.

    >>> preferred_spelling("carrier", "natural_gas", chinese=True)
    '天然气'
    """
    if not chinese:
        return code
    for spelling, c in _spellings(vocab):
        if c == code and re.search(r"[\u4e00-\u9fff]", spelling):
            return spelling
    return code
