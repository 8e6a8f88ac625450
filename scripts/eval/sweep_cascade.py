"""Pipeline dev F1 of a model with a second network (``ner-zh-accurate``) at several cascade
thresholds, optionally with another student paired with the same second network.

    python -m scripts.eval.sweep_cascade --values 0.5 0.7 0.8
    python -m scripts.eval.sweep_cascade --values 0.8 --student /path/to/other/student   # e.g. another seed
    python -m scripts.eval.sweep_cascade --values 0.8 --second RUN/teacher_small.npz      # another second network
    python -m scripts.eval.sweep_cascade --values 0.5 0.8 --raw    # + the share read on the raw news sample

Each value runs the whole pipeline (``configs/zh_accurate.toml`` naming a temporary model folder:
links to the model's files, or to the student's plus the shipped ``teacher.npz`` or the one
``--second`` names (a ``train_lac_teacher.py export`` output), and a
``meta.json`` with that threshold) and scores it with ``shinbun eval``'s code and the project's
label sets. It also prints the share of characters the second network read. Dev data only:
this is model selection. Nothing under ``pipeline/models`` is changed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from scripts import ROOT, SHARED_DATA  # noqa: E402

from scripts.eval.seed_table import DEV_SETS, gold_file  # noqa: E402

# every zh dev set (pd_dev, msra_dev carved out of msra_train, cluener_dev) with the cards' label rules
SETS = DEV_SETS["zh"]


def linked_copy(out: Path, base: Path, meta: dict, skip: tuple[str, ...] = ()) -> Path:
    """Folder ``out`` with links to ``base``'s files (not its meta.json, card, dev scores or
    ``skip``) and ``meta`` as its meta.json: a model variant without copying 30 MB."""
    out.mkdir()
    for entry in base.iterdir():
        if entry.name not in ("meta.json", "MODEL_CARD.md", "dev_scores.json", *skip):
            (out / entry.name).symlink_to(entry.resolve())
    (out / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return out


def model_folder(tmp: Path, model: Path, student: Path | None, threshold: float, second: Path | None = None) -> Path:
    """A folder of links to the model's (or the student's) files plus the second network (the
    model's, or ``second``), with the cascade threshold set in its meta.json."""
    base = student or model
    meta = json.loads((base / "meta.json").read_text(encoding="utf-8"))
    cascade = json.loads((model / "meta.json").read_text(encoding="utf-8"))["shinbun"]["cascade"]
    meta.setdefault("shinbun", {})["cascade"] = dict(cascade, threshold=threshold)
    out = linked_copy(tmp / f"model-{threshold}", base, meta, skip=(cascade["model"],))
    (out / cascade["model"]).symlink_to((second or model / cascade["model"]).resolve())
    return out


def count_second_network_reads() -> dict:
    """From now on, count the characters the second network reads (``{"chars": n}``)."""
    from pipeline.ner import gru_tagger

    seen = {"chars": 0}
    probs = gru_tagger.CharBiGRUTagger.probs

    def counting(self, texts):
        seen["chars"] += sum(len(t) for t in texts)
        return probs(self, texts)

    gru_tagger.CharBiGRUTagger.probs = counting
    return seen


def read_share_on_raw(config: Path, path: Path, seen: dict) -> float:
    """The whole pipeline over the raw news articles; the share of their characters the second
    network read (``seen`` counts them)."""
    from pipeline.core import load
    from pipeline.record import Article

    nlp = load(config)
    arts = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    seen["chars"] = 0
    total = 0
    for i, a in enumerate(arts):
        nlp.process(Article(id=str(i), text=a["text"], lang=a.get("lang")))
        total += len(a["text"])
    return seen["chars"] / max(total, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--values", type=float, nargs="+", default=[0.8])
    ap.add_argument("--student", type=Path, default=None, help="another student (a train_ner.py output folder)")
    ap.add_argument("--second", type=Path, default=None, help="another second network (teacher.npz form)")
    ap.add_argument("--model", type=Path, default=ROOT / "pipeline" / "models" / "ner-zh-accurate")
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    ap.add_argument("--raw", action="store_true",
                    help="also the share of characters read on raw/zh_news_sample.jsonl (the benchmark's text)")
    args = ap.parse_args()

    from pipeline.evaluation import evaluate_pipeline

    seen = count_second_network_reads()
    config_text = (ROOT / "configs" / "zh_accurate.toml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        golds = {name: gold_file(args.data, "zh", name, tmp) for name, _, _ in SETS}
        for value in args.values:
            folder = model_folder(tmp, args.model, args.student, value, args.second)
            config = tmp / f"config-{value}.toml"
            config.write_text(config_text.replace('model = "ner-zh-accurate"', f'model = "{folder}"'), encoding="utf-8")
            scores = []
            for name, labels, label_map in SETS:
                seen["chars"] = 0
                total = sum(len(json.loads(line)["text"]) for line in open(golds[name], encoding="utf-8"))
                m = evaluate_pipeline(golds[name], config, labels=labels, label_map=label_map)["micro"]
                scores.append(m["f1"])
                print(f"threshold {value:.2f}  {name:12s} P {m['precision']:.4f} R {m['recall']:.4f} "
                      f"F1 {m['f1']:.4f}  second network read {seen['chars'] / total:.1%} of the characters",
                      flush=True)
            print(f"threshold {value:.2f}  mean F1 {sum(scores) / len(scores):.4f}", flush=True)
            if args.raw:
                print(f"threshold {value:.2f}  raw zh news: second network read "
                      f"{read_share_on_raw(config, args.data / 'raw' / 'zh_news_sample.jsonl', seen):.1%} of the characters",
                      flush=True)


if __name__ == "__main__":
    main()
