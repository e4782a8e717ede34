"""The one vocabulary: unique lower_snake codes, a label for each, and the registry's CHECKs."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from carbonpeak import vocabulary as v
from carbonpeak.i18n import catalogue, label, render
from carbonpeak.storage.registry.db import Registry
from carbonpeak.storage.registry.models import District, IngestBatch, User

LOWER_SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


@pytest.mark.parametrize("enum", v.VOCABULARIES, ids=lambda e: e.__name__)
def test_values_are_unique_and_lower_snake(enum):
    codes = v.values(enum)
    assert len(codes) == len(set(codes))
    assert [c for c in codes if not LOWER_SNAKE.match(c)] == []
    assert all(m == m.value and str(m) == m.value for m in enum)


@pytest.mark.parametrize("enum", v.VOCABULARIES, ids=lambda e: e.__name__)
def test_every_member_has_a_label_in_both_languages(enum):
    kind = v.LABEL_KINDS[enum]
    missing = [m.value for m in enum if f"label.{kind}.{m.value}" not in catalogue()]
    assert missing == []
    ours = {c for c in catalogue() if c.startswith(f"label.{kind}.")}
    assert ours == {f"label.{kind}.{m.value}" for m in enum}  # no label of a removed code


def test_label_kinds_are_unique():
    assert len(set(v.LABEL_KINDS.values())) == len(v.LABEL_KINDS)


def test_labels_render():
    assert render("label.warning_level.red", "zh") == "红色"
    assert render("label.carrier.natural_gas", "en") == "Natural gas"
    assert render("common.none", "en", what=label("role", v.Role.DISTRICT_ADMIN)) == "none"


def test_warning_levels_by_severity():
    assert v.WarningLevel.by_severity() == ("red", "yellow", "green", "no_data", "no_budget")
    assert sorted(["green", "no_budget", "red", "bogus", "yellow"],
                  key=v.WarningLevel.severity) == ["red", "yellow", "green", "no_budget",
                                                   "bogus"]
    ranks = [v.WarningLevel.alert_rank(x) for x in ("no_data", "no_budget", None, "green",
                                                    "yellow", "red")]
    assert ranks == [0, 0, 0, 1, 2, 3]


def test_role_groups():
    assert (set(v.ANALYST_ROLES) | set(v.ENTITY_ROLES) | {v.Role.STREET_OFFICER}
            | set(v.ORG_ROLES) | set(v.CITY_ROLES)) == set(v.Role)
    assert not set(v.ORG_ROLES) & (set(v.ANALYST_ROLES) | set(v.ENTITY_ROLES))
    # a city role is no district role: it writes nothing and reads no district as a whole
    assert not set(v.CITY_ROLES) & (set(v.ANALYST_ROLES) | set(v.ENTITY_ROLES)
                                    | set(v.ORG_ROLES) | set(v.WRITER_ROLES)
                                    | set(v.DISTRICT_FIGURE_ROLES))
    assert set(v.WRITER_ROLES) == {v.Role.DISTRICT_ADMIN, *v.ENTITY_ROLES}
    assert set(v.PLAN_KINDS) <= set(v.IMPORT_KINDS) <= set(v.BatchKind)
    assert set(v.TARGET_SEVERITY) <= set(v.TargetState)


def test_the_registry_refuses_a_value_outside_a_list(database_url):
    """A CHECK constraint per closed column: the database itself refuses a bad value, both
    from the ORM and from plain SQL; the good values go in."""
    reg = Registry(database_url)
    reg.upgrade()
    with reg.session() as s:
        s.add(District(id="huangpu", name_zh="黄浦区", name_en="Huangpu", province="Shanghai",
                       grid_region="East", default_factor_set="x"))
        s.add(User(username="ok", role=v.Role.DATA_FEEDER, district_id="huangpu"))
    with pytest.raises(sa.exc.IntegrityError, match=r"(?i)check|ck_users_role"), \
            reg.session() as s:
        s.add(User(username="boss", role="superuser", district_id="huangpu"))
    with pytest.raises(sa.exc.IntegrityError, match=r"(?i)check|ck_ingest_batches_status"), \
            reg.session() as s:
        s.add(IngestBatch(district_id="huangpu", kind=v.BatchKind.READINGS, source_name="x",
                          sha256="0" * 64, status="done", actor="cli"))
    with pytest.raises(sa.exc.IntegrityError), reg.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET role = 'district_boss'"))
    with reg.session() as s:
        assert s.scalars(sa.select(User.role)).all() == ["data_feeder"]
    reg.dispose()


def test_the_dashboard_constants_are_what_the_generator_writes():
    """``web/static/js/constants.js`` is committed as ``python -m carbonpeak.web.constants``
    writes it (``make setup`` runs it): a changed enum needs the file regenerated."""
    from carbonpeak.web import constants

    assert constants.TARGET.read_text(encoding="utf-8") == constants.render()
    assert constants.main(["--check"]) == 0
    text = constants.render()
    assert "export const LEVEL_ORDER = Object.freeze(['red', 'yellow', 'green', 'no_data', " \
           "'no_budget']);" in text
    assert all(f"export const {e.__name__} = " in text for e in v.VOCABULARIES)


def test_the_dashboard_spells_no_level_or_role_itself():
    """The dashboard's pages take levels and roles from constants.js."""
    from carbonpeak.web import constants

    js = constants.TARGET.parent
    spelled = [f"{p.relative_to(js)}: {code}" for p in sorted(js.rglob("*.js"))
               if p.name not in ("constants.js", "i18n.js")
               for code in ("'red'", "'yellow'", *(f"'{r.value}'" for r in v.Role))
               if code in p.read_text(encoding="utf-8")]
    assert spelled == []
