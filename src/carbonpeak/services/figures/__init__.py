"""The figure catalogue (口径目录): every published number defined once, labelled with its
basis (核算口径 / 统计口径 / 台账记录 / 规划值) and as-of date, computed once per district, year
and as-of and stored; every surface reads the stored value. See docs/figures.md."""

from carbonpeak.services.figures.catalogue import (
    CATALOGUE,
    FigureDef,
    definition,
    format_value,
    round_value,
)
from carbonpeak.services.figures.programmes import (
    METRIC_FIGURES,
    PROJECT_FIGURES,
    PV_FIGURES,
    SUPERVISION_FIGURES,
    VPP_FIGURES,
)
from carbonpeak.services.figures.store import (
    Figure,
    FigureSet,
    figures,
    inputs_version,
    published_capability,
    published_pipeline,
    year_end,
)

__all__ = ["CATALOGUE", "METRIC_FIGURES", "PROJECT_FIGURES", "PV_FIGURES",
           "SUPERVISION_FIGURES", "VPP_FIGURES", "Figure", "FigureDef", "FigureSet",
           "definition", "figures", "format_value", "inputs_version", "published_capability",
           "published_pipeline",
           "round_value", "year_end"]
