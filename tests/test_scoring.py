"""The strict span+label scorer (pipeline.scoring) on tiny hand-made cases."""

from __future__ import annotations

import json

import pytest

from pipeline.scoring import format_table, gold_tuples, read_gold, score


def test_perfect_match():
    gold = [[(0, 2, "PERSON"), (5, 7, "LOC")]]
    res = score(gold, gold)
    assert res["micro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 2, "fp": 0, "fn": 0}
    assert set(res["per_label"]) == {"PERSON", "LOC"}


def test_strict_boundaries_and_labels():
    gold = [[(0, 3, "PERSON"), (5, 8, "ORG")], [(1, 4, "LOC")]]
    pred = [[(0, 2, "PERSON"), (5, 8, "LOC")], [(1, 4, "LOC"), (6, 9, "ORG")]]
    res = score(gold, pred)
    m = res["micro"]
    assert (m["tp"], m["fp"], m["fn"]) == (1, 3, 2)
    assert m["precision"] == pytest.approx(0.25)
    assert m["recall"] == pytest.approx(1 / 3)
    assert m["f1"] == pytest.approx(2 * 0.25 * (1 / 3) / (0.25 + 1 / 3))
    pl = res["per_label"]
    assert (pl["PERSON"]["tp"], pl["PERSON"]["fp"], pl["PERSON"]["fn"]) == (0, 1, 1)
    assert (pl["ORG"]["tp"], pl["ORG"]["fp"], pl["ORG"]["fn"]) == (0, 1, 1)
    assert (pl["LOC"]["tp"], pl["LOC"]["fp"], pl["LOC"]["fn"]) == (1, 1, 0)
    assert pl["LOC"]["f1"] == pytest.approx(2 / 3)


def test_labels_filter_ignores_other_labels_on_both_sides():
    gold = [[(0, 2, "PERSON"), (3, 5, "DATE")]]
    pred = [[(0, 2, "PERSON"), (6, 8, "MONEY")]]
    res = score(gold, pred, labels=["PERSON", "ORG"])
    assert res["micro"]["tp"] == 1 and res["micro"]["fp"] == 0 and res["micro"]["fn"] == 0
    # a requested label with no entities still gets a (zero) row
    assert res["per_label"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 0}
    assert "DATE" not in res["per_label"] and "MONEY" not in res["per_label"]


def test_label_map_applies_to_gold_and_pred_before_filter():
    gold = [[(0, 2, "GPE"), (4, 6, "LOC")]]
    pred = [[(0, 2, "LOC"), (4, 6, "GPE"), (8, 9, "FAC")]]
    res = score(gold, pred, labels=["LOC"], label_map={"GPE": "LOC"})
    assert (res["micro"]["tp"], res["micro"]["fp"], res["micro"]["fn"]) == (2, 0, 0)
    assert list(res["per_label"]) == ["LOC"]
    # without the filter FAC is a false positive
    res2 = score(gold, pred, label_map={"GPE": "LOC"})
    assert (res2["micro"]["tp"], res2["micro"]["fp"], res2["micro"]["fn"]) == (2, 1, 0)
    assert res2["micro"]["precision"] == pytest.approx(2 / 3)


def test_empty_and_duplicates():
    res = score([[]], [[]])
    assert res["micro"]["f1"] == 0.0 and res["micro"]["tp"] == 0
    res = score([[(0, 1, "ORG")]], [[(0, 1, "ORG"), (0, 1, "ORG")]])
    assert (res["micro"]["tp"], res["micro"]["fp"]) == (1, 0)


def test_length_mismatch_raises():
    with pytest.raises(ValueError):
        score([[]], [[], []])


def test_format_table_and_read_gold(tmp_path):
    recs = [
        {"id": "a-0", "lang": "ja", "source": "a", "text": "東京都に行く", "entities": [
            {"start": 0, "end": 3, "label": "LOC", "orig_label": "地名", "text": "東京都"}]},
        {"id": "a-1", "lang": "ja", "source": "a", "text": "なし", "entities": []},
    ]
    p = tmp_path / "g.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n", encoding="utf-8")
    got = list(read_gold(p))
    assert [r["id"] for r in got] == ["a-0", "a-1"]
    assert gold_tuples(got[0]) == [(0, 3, "LOC")]
    table = format_table(score([gold_tuples(r) for r in got], [[(0, 3, "LOC")], [(0, 1, "ORG")]]))
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["label", "prec", "rec", "f1"]
    assert any(line.startswith("LOC") and "1.0000" in line for line in lines)
    assert lines[-1].startswith("micro")
    assert "0.5000" in lines[-1]  # precision 1/2


def test_bootstrap_interval_of_the_micro_f1():
    from pipeline.scoring import micro_f1_interval

    # every document alike: every resample has the same F1 (tp 1, fp 1, fn 0 -> 2/3)
    gold = [[(0, 2, "PERSON")]] * 20
    pred = [[(0, 2, "PERSON"), (3, 4, "LOC")]] * 20
    lo, hi = micro_f1_interval(gold, pred, samples=200)
    assert lo == pytest.approx(2 / 3) and hi == pytest.approx(2 / 3)
    # mixed documents: the interval holds the point estimate, and a fixed seed repeats it
    gold = [[(0, 2, "PERSON")], [(0, 2, "ORG")], [(1, 3, "LOC")], [], [(0, 1, "LOC")]] * 6
    pred = [[(0, 2, "PERSON")], [(0, 3, "ORG")], [(1, 3, "LOC")], [(5, 6, "ORG")], [(0, 1, "LOC")]] * 6
    point = score(gold, pred)["micro"]["f1"]
    lo, hi = micro_f1_interval(gold, pred, samples=500)
    assert lo < point < hi and 0 < lo and hi <= 1
    assert micro_f1_interval(gold, pred, samples=500) == (lo, hi)
    assert micro_f1_interval(gold, pred, samples=500, seed=1) != (lo, hi)
    # labels and the label map apply as in score(): only LOC counts, all LOC found
    assert micro_f1_interval(gold, pred, labels=["LOC"], samples=50) == (1.0, 1.0)
    assert micro_f1_interval([], []) == (0.0, 0.0)
    with pytest.raises(ValueError):
        micro_f1_interval(gold, pred[:-1])


def test_eval_command_prints_a_bootstrap_interval(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    gold = tmp_path / "gold.jsonl"
    recs = [
        {"id": "a", "lang": "ja", "text": "田中太郎さんは東京で働いている。", "entities": [{"start": 0, "end": 4, "label": "PERSON"}, {"start": 7, "end": 9, "label": "LOC"}]},
        {"id": "b", "lang": "ja", "text": "トヨタ自動車は愛知県にある。", "entities": [{"start": 0, "end": 6, "label": "ORG"}, {"start": 7, "end": 10, "label": "LOC"}]},
        {"id": "c", "lang": "ja", "text": "今日は晴れ。", "entities": []},
    ]
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    out = CliRunner().invoke(app, ["eval", "--gold", str(gold), "--labels", "PERSON,ORG,LOC", "--bootstrap", "100", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    lo, hi = result["bootstrap"]["f1_interval"]
    assert result["bootstrap"]["samples"] == 100 and result["records"] == 3
    assert 0 <= lo <= result["micro"]["f1"] <= hi <= 1
    text = CliRunner().invoke(app, ["eval", "--gold", str(gold), "--bootstrap", "100"]).output
    assert "micro F1 95% interval [" in text and "100 resamples of the 3 documents" in text
    assert "interval" not in CliRunner().invoke(app, ["eval", "--gold", str(gold)]).output


def _gold_file(tmp_path, n=3):
    gold = tmp_path / "gold.jsonl"
    recs = [{"id": f"g{k}", "lang": "ja", "text": "田中太郎さんは東京で働いている。",
             "entities": [{"start": 0, "end": 4, "label": "PERSON"}, {"start": 7, "end": 9, "label": "LOC"}]} for k in range(n)]
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return gold


def _failing_on(ids, monkeypatch):
    """predict_gold as the pipeline would give it with the records of ``ids`` turned into error
    records (a recogniser that raised)."""
    from pipeline import evaluation

    real = evaluation.predict_gold

    def predict(gold_path, config=None, limit=None):
        for g, rec in real(gold_path, config, limit):
            if g["id"] in ids:
                rec = {"id": g["id"], "error": {"stage": "entities", "type": "ValueError", "message": "broken model"}}
            yield g, rec

    monkeypatch.setattr(evaluation, "predict_gold", predict)


def test_eval_counts_error_records_as_finding_nothing_and_says_so(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeline.cli import app

    gold = _gold_file(tmp_path)
    _failing_on({"g1"}, monkeypatch)
    out = CliRunner().invoke(app, ["eval", "--gold", str(gold), "--labels", "PERSON,LOC", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["records"] == 3 and result["errors"] == 1
    assert result["error_types"] == {"entities:ValueError": 1}
    assert result["first_error"] == "record 'g1': entities:ValueError: broken model"
    assert result["micro"]["tp"] == 4 and result["micro"]["fn"] == 2 and result["micro"]["fp"] == 0
    assert out.stderr.strip() == (
        "shinbun eval: warning: 1 of 3 records are error records (entities:ValueError 1; first: record 'g1': "
        "entities:ValueError: broken model); they count as texts with no entity")


def test_eval_fails_in_one_line_when_every_record_is_an_error_record(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.evaluation import EvaluationError, evaluate_pipeline

    gold = _gold_file(tmp_path, 2)
    _failing_on({"g0", "g1"}, monkeypatch)
    out = CliRunner().invoke(app, ["eval", "--gold", str(gold)])
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr == ("shinbun: error: all 2 records are error records, nothing was scored (record 'g0': "
                          "entities:ValueError: broken model)\n")
    with pytest.raises(EvaluationError, match="all 2 records are error records"):
        evaluate_pipeline(gold)


def test_eval_without_recognisers_fails(tmp_path):
    """`recognizers = []` is a legitimate run (no entities, on purpose) but scores only zeros."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "東京で地震。", "entities": [{"start": 0, "end": 2, "label": "LOC"}]}\n', encoding="utf-8")
    cfg = tmp_path / "none.toml"
    cfg.write_text("recognizers = []\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["eval", "--gold", str(gold), "-c", str(cfg)])
    assert out.exit_code == 2
    assert out.stderr == "shinbun: error: the config has no recogniser (recognizers = []): there is nothing to score\n"


@pytest.mark.parametrize(("line", "problem"), [
    ("{broken", "not JSON ("),
    ('["a list"]', "not a gold record: not a JSON object"),
    ('{"id": "x", "entities": []}', "not a gold record: no string 'text'"),
    ('{"text": "abc", "entities": {}}', "not a gold record: 'entities' is not a list"),
    ('{"id": "a", "text": "abc"}', "not a gold record: no 'entities' list (a gold record lists its entities, [] for none)"),
    ('{"id": "a", "text": "abc", "entities": [], "meta": {"schema_version": "1.4"}}',
     "not a gold record: a record written by `shinbun run`, not gold annotation (gold made from one: drop its meta)"),
    ('{"text": "abc", "entities": [{"start": 0, "end": 2}]}', "not a gold record: entity 0 has no string 'label'"),
    ('{"text": "abc", "entities": [{"start": 1, "end": 4, "label": "ORG"}]}',
     "not a gold record: entity 0: start 1 / end 4 are not offsets of a span of the text (3 characters)"),
    ('{"text": "abc", "entities": [{"start": 2, "end": 2, "label": "ORG"}]}', "not a gold record: entity 0: start 2 / end 2"),
    ('{"text": "abc", "entities": [{"start": "0", "end": 2, "label": "ORG"}]}', "not a gold record: entity 0: start '0' / end 2"),
])
def test_a_bad_gold_line_is_named_by_file_and_line(tmp_path, line, problem):
    from pipeline.scoring import GoldError

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "ok", "text": "abc", "entities": [{"start": 0, "end": 1, "label": "ORG"}]}\n\n' + line + "\n",
                    encoding="utf-8")
    recs = read_gold(gold)
    assert next(recs)["id"] == "ok"
    with pytest.raises(GoldError) as err:
        next(recs)
    assert str(err.value).startswith(f"{gold}:3: {problem}")


@pytest.mark.parametrize(("content", "problem"), [
    ("\n", ": no gold record to score"),  # an empty gold file
    ('{"id": "a", "lang": "ja", "entities": []}\n', ":1: not a gold record: no string 'text'"),
])
def test_eval_of_an_unusable_gold_file_fails_in_one_line(tmp_path, content, problem):
    from typer.testing import CliRunner

    from pipeline.cli import app

    gold = tmp_path / "gold.jsonl"
    gold.write_text(content, encoding="utf-8")
    out = CliRunner().invoke(app, ["eval", "--gold", str(gold)])
    assert out.exit_code == 2 and out.stderr == f"shinbun: error: {gold}{problem}\n"


def test_eval_warns_of_a_label_that_occurs_nowhere(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    gold = _gold_file(tmp_path, 1)
    out = CliRunner().invoke(app, ["eval", "--gold", str(gold), "--labels", "PERSN,LOC", "--json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["per_label"]["PERSN"]["f1"] == 0.0
    assert out.stderr == ("shinbun eval: warning: PERSN occurs in neither the gold entities nor the predictions "
                          "(after --map): a typo, or a label this file does not use?\n")
    quiet = CliRunner().invoke(app, ["eval", "--gold", str(gold), "--labels", "PERSON,LOC"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
