"""The message catalogue: every code in both languages with the same parameters."""

import re
from pathlib import Path

import pytest

import carbonpeak.web
from carbonpeak.i18n import (
    LANGS,
    Label,
    Message,
    Text,
    catalogue,
    dumps,
    fields,
    label,
    loads,
    msg,
    render,
    stored_text,
)
from carbonpeak.web.messages import code_of


def test_every_code_has_both_languages_with_the_same_parameters():
    problems = []
    for code, texts in catalogue().items():
        if set(texts) != set(LANGS):
            problems.append(f"{code}: languages {sorted(texts)}")
            continue
        if fields(texts["zh"]) != fields(texts["en"]):
            problems.append(f"{code}: zh {sorted(fields(texts['zh']))} en "
                            f"{sorted(fields(texts['en']))}")
        if not texts["zh"].strip() or not texts["en"].strip():
            problems.append(f"{code}: empty text")
    assert problems == []


def test_codes_are_dotted_lowercase():
    bad = [c for c in catalogue() if not all(p and p.replace("_", "").isalnum() and p == p.lower()
                                            for p in c.split("."))]
    assert bad == []


def test_render_nested_messages_labels_and_round_trip():
    m = msg("common.none", extra=msg("common.not_available"), what=label("nothing", "x"))
    assert render(m, "zh") == "无"
    assert render(msg("common.not_available"), "en") == "no data"
    assert Message.from_dict(m.to_dict()) == m
    assert isinstance(Message.from_dict(m.to_dict()).params["what"], Label)


def test_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError, match="no zh text"):
        render(msg("no.such.code"), "zh")


def test_dashboard_strings_are_generated_from_the_catalogue():
    """``messages.generated.js`` is what ``python -m carbonpeak.web.messages`` writes from the
    catalogue's ``web.*`` codes (``make setup`` runs it)."""
    from carbonpeak.web.messages import GENERATED, code_of, generate

    assert GENERATED.read_text(encoding="utf-8") == generate()
    assert code_of("login.tooMany") == "web.login.too_many"
    assert code_of("sector.(none)") == "web.sector._none_"
    assert code_of("submeter.") == "web.submeter.empty"
    assert render(msg("web.map.month", y=2024, m=3), "zh") == "2024 年 3 月"
    # i18n.js keeps no strings of its own
    js = (GENERATED.parent / "i18n.js").read_text(encoding="utf-8")
    assert "加载中" not in js
    assert "messages.generated.js" in js


def test_text_parameters_and_stored_values():
    """A user's label in both languages is given as it is; a message stored as JSON text in a
    column renders; an old plain text stored before it is shown as it is."""
    m = msg("accounting.key_unit.rule", year=2024, hits=[msg(
        "accounting.key_unit.hit", label=Text("面积≥5万平方米", "area >= 50,000 m2"),
        metric=label("key_unit_metric", "floor_area_m2"), value=60000.0, threshold=50000.0,
        unit=label("key_unit_metric_unit", "floor_area_m2"))])
    stored = dumps(m)
    assert loads(stored) == m
    # 60000 → "60,000" (the template's {value:,.0f}); the label in its own language
    assert stored_text(stored, "zh") == "2024年：面积≥5万平方米（建筑面积60,000，门槛50,000平方米）"
    assert stored_text(stored, "en") == ("2024: area >= 50,000 m2 (floor area = 60,000 ≥ "
                                         "50,000 m²)")
    old = "2024: 建筑面积≥5万平方米 (floor_area_m2 = 60,000 ≥ 50,000)"
    assert loads(old) is None
    assert stored_text(old, "zh") == old
    assert stored_text(None) is None
    assert stored_text('{"code": broken', "en") == '{"code": broken'


def test_every_map_string_is_used_by_the_dashboard() -> None:
    """The map's strings (``web.map.*``) are all looked up by the dashboard's scripts by their
    literal key (``t('map.legendTitle')``): none is left over when the page stops using it."""
    static = Path(carbonpeak.web.__file__).parent / "static" / "js"
    scripts = "".join(p.read_text(encoding="utf-8") for p in static.rglob("*.js")
                      if p.name != "messages.generated.js")
    used = set(re.findall(r"""['"`](map\.[A-Za-z0-9.]+)['"`]""", scripts))
    unused = [c for c in catalogue() if c.startswith("web.map.")
              and c not in {code_of(k) for k in used}]
    assert unused == []
