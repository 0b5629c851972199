"""The engine on a small hand-built store: caps, vetoes, reasons citing records, the consumer
(incremental = batch), grade-change events and ledger entries, reproducibility, drafts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.evaluation import helpers as h
from xinyong.core.errors import Conflict
from xinyong.core.events import Event
from xinyong.creditstate import service as creditstate
from xinyong.evaluation import run as evaluation_run
from xinyong.evaluation import service
from xinyong.ledger.models import LedgerEntry
from xinyong.records import service as records


def _penalty(
    session: Session, city: dict[str, int], who: str, doc: str, days_ago: int, types: list[str]
) -> int:
    """A penalty of ``city[who]`` by the city's provider, decided ``days_ago`` days before today."""
    decided = records.today_china() - timedelta(days=days_ago)
    return h.penalty(session, city[who], city["pid"], doc, decided=decided, types=types)


@pytest.fixture
def city(session: Session) -> dict[str, int]:
    """Five enterprises and an individual business, each with a story."""
    today = records.today_china()
    pid = h.provider(session)
    ids = {
        "clean": h.enterprise(session, 1),
        "serious": h.enterprise(session, 2),
        "debtor": h.enterprise(session, 3),
        "star": h.enterprise(session, 4, registered_on=today.replace(year=today.year - 15), capital="2000"),
        "general": h.enterprise(session, 5),
        "shop": h.enterprise(session, 6, kind="individual_business"),
        "pid": pid,
    }
    ids["serious_penalty"] = _penalty(session, ids, "serious", "台市监罚〔2026〕1号", 40, ["吊销许可证件"])
    ids["debt"] = h.debtor(
        session, ids["debtor"], pid, "（2026）浙1002执1号", decided=today - timedelta(days=30)
    )
    h.rating(session, ids["star"], pid, "A", year=today.year - 2)
    ids["rating"] = h.rating(session, ids["star"], pid, "A级", year=today.year - 1)
    ids["honour"] = h.honour(
        session, ids["star"], pid, "浙市监信〔2026〕1号-1", decided=today - timedelta(days=100)
    )
    h.honour(session, ids["star"], pid, "浙市监信〔2026〕1号-2", decided=today - timedelta(days=90))
    h.licence(session, ids["star"], pid, "台市监许〔2026〕1号", decided=today - timedelta(days=200))
    h.commitment(session, ids["star"], pid, "CN1", decided=today - timedelta(days=300), status="fulfilled")
    h.commitment(session, ids["star"], pid, "CN2", decided=today - timedelta(days=200), status="fulfilled")
    ids["general_penalty"] = _penalty(session, ids, "general", "台市监罚〔2026〕2号", 20, ["暂扣许可证件"])
    session.commit()
    return ids


def test_grades_caps_vetoes_and_reasons(session: Session, city: dict[str, int]) -> None:
    runs = service.run_batch(session)
    session.commit()
    assert {r.model_code for r in runs} == {"enterprise", "small_entities"}
    assert sum(r.subjects for r in runs) == 6  # enterprises and the shop; no natural persons

    clean = service.explain(session, city["clean"])
    assert clean.grade == "B" and clean.grade_label_zh == "良" and clean.veto is None and clean.cap is None

    serious = service.explain(session, city["serious"])
    assert serious.score < clean.score and serious.grade in ("C", "D")
    assert serious.cites["serious_penalties"] == [city["serious_penalty"]]
    cost = next(r for r in serious.reasons if r.code == "serious_penalties")
    assert cost.kind == "cost" and cost.points is not None and cost.points < 0
    assert cost.record_ids == [city["serious_penalty"]] and "严重失信" in cost.rule_zh

    debtor = service.explain(session, city["debtor"])
    assert debtor.grade == "D" and debtor.veto == "judgment_debtor" and debtor.score_grade != "D"
    assert debtor.reasons[0].kind == "veto" and debtor.reasons[0].record_ids == [city["debt"]]

    star = service.explain(session, city["star"])
    assert star.grade == "A" and star.features["tax_rating"] == "A"  # "A级" normalised
    gains = {r.code: r for r in star.reasons if r.kind == "gain"}
    assert gains["honours"].record_ids and gains["tax_rating"].record_ids == [city["rating"]]

    shop = service.explain(session, city["shop"])
    assert shop.model_code == "small_entities"

    # The credit state row carries the grade; each change was an event and a ledger entry.
    state = creditstate.subject_summary(session, city["debtor"])
    assert (state.grade, state.model_code, state.model_version) == ("D", "enterprise", "2026.2")
    assert state.score == debtor.score and state.evaluated_at is not None
    changed = session.scalars(select(Event).where(Event.type == service.GRADE_CHANGED)).all()
    assert {e.subject_id for e in changed} == {
        city[k] for k in ("clean", "serious", "debtor", "star", "general", "shop")
    }
    grade_entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "evaluation.grade")).all()
    assert len(grade_entries) == 6
    assert session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "evaluation.model")).all()
    assert session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "evaluation.run")).all()

    # A second run changes nothing: no new events.
    again = service.run_batch(session)
    session.commit()
    assert sum(r.changed for r in again) == 0
    assert len(session.scalars(select(Event).where(Event.type == service.GRADE_CHANGED)).all()) == 6


def test_a_record_event_regrades_the_subject_and_incremental_equals_batch(
    session: Session, city: dict[str, int]
) -> None:
    today = records.today_china()
    # The daily batch grades everyone; the consumer then catches up on the store's events.
    service.run_batch(session)
    session.commit()
    service.process_events(session)
    session.commit()
    before = service.explain(session, city["clean"])
    assert before.grade == "B"
    # A serious penalty arrives for the clean company: one event, one subject re-evaluated.
    rid = _penalty(session, city, "clean", "台市监罚〔2026〕9号", 3, ["责令停产停业"])
    session.commit()
    assert service.process_events(session) == 1
    session.commit()
    after = service.explain(session, city["clean"])
    assert after.grade in ("C", "D") and after.run_id != before.run_id
    assert after.cites["serious_penalties"] == [rid]
    assert creditstate.subject_summary(session, city["clean"]).grade == after.grade
    latest = session.scalars(
        select(Event).where(Event.type == service.GRADE_CHANGED).order_by(Event.id.desc())
    ).first()
    assert latest is not None and latest.subject_id == city["clean"]
    assert latest.payload["from_grade"] == "B" and latest.payload["to_grade"] == after.grade
    incremental = {sid: service.explain(session, sid) for sid in _subjects(city)}
    # A batch run over the whole city gives the same scores and grades.
    runs = service.run_batch(session)
    session.commit()
    assert sum(r.changed for r in runs) == 0
    for sid, res in incremental.items():
        batch = service.explain(session, sid)
        assert (batch.score, batch.grade, batch.points) == (res.score, res.grade, res.points)
    # Withdrawing the penalty brings the grade back.
    h.withdraw_penalty(session, city["clean"], city["pid"], "台市监罚〔2026〕9号", today - timedelta(days=3))
    session.commit()
    service.process_events(session)
    session.commit()
    assert service.explain(session, city["clean"]).grade == "B"
    history = service.history(session, city["clean"])
    assert history[0].grade == "B" and after.grade in {e.grade for e in history}
    assert len(history) >= 3


def test_a_past_grade_is_reproducible_from_model_version_and_snapshot(
    session: Session, city: dict[str, int]
) -> None:
    [run, _] = sorted(service.run_batch(session), key=lambda r: r.model_code)
    session.commit()
    old = {sid: g for sid, _, g in service.results_table(session, run.id)}
    # New facts after the run: a penalty and a corrected (now serious) penalty.
    _penalty(session, city, "clean", "台市监罚〔2026〕7号", 2, ["吊销许可证件"])
    _penalty(session, city, "general", "台市监罚〔2026〕2号", 20, ["责令关闭"])
    session.commit()
    service.run_batch(session)
    session.commit()
    assert service.explain(session, city["clean"]).grade != old[city["clean"]]
    again = {r.subject_id: r.grade for r in service.reproduce(session, run.id)}
    assert again == old


def test_model_versions_are_ledgered_and_a_changed_file_needs_a_new_version(
    session: Session, city: dict[str, int], tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from xinyong.core.settings import get_settings, reset_settings

    rules = tmp_path / "rules"
    shutil.copytree(get_settings().ruleset_dir, rules)
    monkeypatch.setenv("XINYONG_RULESET_DIR", str(rules))
    reset_settings()
    assert {m.code for m in service.sync_models(session)} == {"enterprise", "small_entities"}
    session.commit()
    path = rules / "models" / "enterprise.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["grades"][0]["min_score"] = 860
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(Conflict) as err:
        service.sync_models(session)
    assert err.value.code == "evaluation.model_version_exists"
    session.rollback()
    raw["version"] = "2026.3"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    versions = {(m.code, m.version) for m in service.sync_models(session)}
    assert ("enterprise", "2026.3") in versions
    assert [m.version for m in service.list_models(session) if m.code == "enterprise"] == ["2026.2", "2026.3"]


def test_draft_model_preview_and_what_if(session: Session, city: dict[str, int]) -> None:
    service.run_batch(session)
    session.commit()
    raw = yaml.safe_load((h.models_dir() / "enterprise.yaml").read_text(encoding="utf-8"))
    raw["version"] = "2027.0-draft"
    raw["caps"] = []  # a draft without the serious-penalty cap
    raw["grades"][2]["min_score"] = 500
    draft = service.create_draft(session, content=raw, created_by="user:xyb")
    session.commit()
    assert draft.status == "draft"
    preview = service.preview_draft(session, draft.id)
    session.commit()
    assert preview.run.kind == "draft" and preview.run.subjects == 5
    assert sum(preview.migration.get("B", {}).values()) >= 1
    # Grades did not move: a draft grades nobody.
    assert creditstate.subject_summary(session, city["serious"]).model_version == "2026.2"
    under = service.subject_under_model(session, city["serious"], draft.id)
    assert under.cap is None and under.model_version == "2027.0-draft"

    w = service.whatif(session, city["serious"])
    [rec] = w.records
    assert rec.record_id == city["serious_penalty"] and rec.changes_grade and rec.grade_without == "B"
    assert rec.ends_on == rec.publicity_end + timedelta(days=1)
    assert w.all_repaired is not None and w.all_repaired.grade == "B"
    assert w.timeline and w.timeline[-1].grade == "B" and w.timeline[-1].records_ended == [rec.record_id]


def _subjects(city: dict[str, int]) -> list[int]:
    return [city[k] for k in ("clean", "serious", "debtor", "star", "general", "shop")]


def test_blacklist_veto_reads_list_membership_from_the_inputs(session: Session, city: dict[str, int]) -> None:
    """The lists domain keeps memberships on the credit state row; the engine sees them as the
    subjects relation's ``lists`` column and vetoes the grade to D."""
    spec = next(s for s in service.models_in_force(h.AS_OF) if s.code == "enterprise")
    inputs = evaluation_run._inputs(session, [spec], h.AS_OF)
    marked = inputs.subjects.to_pylist()
    for row in marked:
        if row["subject_id"] == city["star"]:
            row["lists"] = ",red_list,blacklist,"
    import pyarrow as pa

    from xinyong.evaluation import engine

    inputs = engine.Inputs(
        pa.Table.from_pylist(marked, schema=engine.SUBJECT_SCHEMA), inputs.records, h.AS_OF, None
    )
    rows = {
        r["subject_id"]: r for r in engine.run_duckdb(service.compiled_for(spec, h.AS_OF), inputs).to_pylist()
    }
    assert rows[city["star"]]["grade"] == "D" and rows[city["star"]]["veto"] == "blacklisted"
    assert rows[city["star"]]["score_grade"] == "A"
    assert rows[city["clean"]]["veto"] is None


def test_blacklisted_subject_in_the_store_gets_d(session: Session, city: dict[str, int]) -> None:
    service.run_batch(session)
    session.commit()
    creditstate.set_list_memberships(
        session, {city["star"]: [{"list_type": "blacklist", "since": "2026-01-01"}]}
    )
    session.commit()
    service.evaluate_subjects(session, [city["star"]])
    session.commit()
    result = service.explain(session, city["star"])
    assert result.grade == "D" and result.veto == "blacklisted"
