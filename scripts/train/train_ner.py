#!/usr/bin/env python
"""Train the project's spaCy NER model for ja or zh (CPU, single thread).

    python -m scripts.train.train_ner --lang ja --data ../shared/data/ja --out pipeline/models/ner-ja
    python -m scripts.train.train_ner --lang zh --data ../shared/data/zh --out pipeline/models/ner-zh

What it does:

1. Reads the common-format JSONL training sources named in ``configs/train/ner_<lang>.cfg``
   (``[shinbun_train] sources``), keeps the model labels (``labels``) and treats the other
   gold labels (DATE/TIME/MONEY/PERCENT, cluener TITLE/WORK, Weibo ``*_NOM``) as ``O``
   (``other_labels = "outside"``) or as unannotated (``"missing"``: no loss on their tokens).
2. Tokenises with the pipeline's own tokenizers (fugashi/UniDic for ja, jieba for zh) and
   builds the spaCy docs with the functions ``SpacyNER`` uses at inference. Gold spans that do
   not fall on token boundaries (ja) are marked as missing annotation (no loss); their rate is
   logged.
3. Per-source missing classes: stockmark has no DATE etc. (not model labels anyway); KWDLC and
   hironsan have no FAC/EVENT class, so in their sentences the tokens of their LOC/ORG spans are
   normal gold, but nothing else is done (see the model card).
4. ja only, optional augmentation (``augment_zh_names``): for that fraction of training
   sentences with a PERSON, an extra copy where every PERSON span is replaced by a random
   synthetic Chinese name written in kanji (surname + one or two given-name characters).
   Training data only; dev sets are never touched.
   Optional, per config: ``augment_mention_swap`` ({source: fraction}): extra copies of
   sentences with every entity replaced by a random same-label mention of the same source;
   ``augment_name_lists`` ({source: fraction}, zh): extra copies of sentences with a PERSON where
   that PERSON starts a list of 2-5 names of the source written back to back (:func:`name_list`);
   ``upsample`` ({source: k}): sentences with entities repeated k times; ``style_sources``
   ({source: prefix}): that source's TAG strings get the prefix, so the model can learn its
   annotation conventions apart (meta ``style``; inference mixes the plain and prefixed tags'
   embeddings by ``style.alpha``: ``style_alpha`` in the config, default 0, which the dev
   evaluation uses too; ``scripts/eval/sweep_style.py`` scores other values);
   ``facility_missing_sources``/``facility_suffixes``: IREX LOC/ORG spans ending like a
   facility name become unannotated (no loss).
5. Trains with ``nlp.update`` (Adam), evaluates strict span+label micro F1 on the dev sets
   every ``eval_every`` updates, keeps the best model (mean dev micro F1) in ``--out``, stops
   after ``patience`` evaluations without improvement, ``max_epochs`` or ``--max-minutes``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("BLIS_NUM_THREADS", "1")

import pipeline.ner.architectures  # noqa: E402, F401  (registers the model layers)
from pipeline.ner.features import FastFeatures, ja_doc_arrays, make_doc, zh_doc_arrays  # noqa: E402
from pipeline.ner.numpy_tagger import NumpyTagger  # noqa: E402
from pipeline.ner.spacy_ner import mix_tag_style, predict_entities, use_fast_gemm  # noqa: E402
from pipeline.record import Span  # noqa: E402
from pipeline.scoring import gold_tuples, score  # noqa: E402
from pipeline.stages.tokenize_ja import FugashiTokenizer  # noqa: E402
from pipeline.stages.tokenize_zh import JiebaTokenizer  # noqa: E402
from scripts import ROOT  # noqa: E402
from scripts.data.splits import load_split  # noqa: E402

# Synthetic Chinese names for the ja augmentation, written in Japanese kanji forms.
ZH_SURNAMES = (
    "王李張劉陳楊黄趙呉周徐孫馬朱胡郭何高林羅鄭梁謝宋唐許韓馮鄧曹彭曾蕭田董袁潘于蒋蔡余杜葉程蘇魏呂丁任沈"
    "姚盧姜崔鍾譚陸汪范金石廖賈夏韋傅方白鄒孟熊秦邱江尹薛閻段雷侯龍史陶黎賀顧毛郝龔邵萬銭厳覃武戴莫孔向湯"
)
ZH_COMPOUND_SURNAMES = ("欧陽", "司馬", "諸葛", "上官", "東方")
ZH_GIVEN = (
    "偉芳娜敏静麗強磊軍洋勇艶傑娟涛明超秀霞平剛桂英華玉蘭紅菊天開愛文澤奇建国志海雲鵬飛輝林晶燕婷慧俊宇浩"
    "杰新宏斌波輝東亮峰鑫晨嘉欣怡雪琳萍瑩穎佳倩麗紅梅蓮春秋冬月星光明德仁義禮智信忠孝安康寧泰福祥瑞豊成"
    "功業興旺昌盛発達遠大長永恒振中華民衛兵紀国慶建設躍進"
)
# Names the tests use: never generated verbatim.
HELD_OUT_NAMES = {"陳菊紅", "郭開天", "王愛文", "邱澤奇"}


def synth_zh_name(rng: random.Random) -> str:
    while True:
        sur = rng.choice(ZH_COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(ZH_SURNAMES)
        k = 1 if rng.random() < 0.3 else 2
        name = sur + "".join(rng.choice(ZH_GIVEN) for _ in range(k))
        if name not in HELD_OUT_NAMES:
            return name


def rewrite_mentions(rec: dict, replace, suffix: str) -> dict:
    """A copy of ``rec`` (id + ``suffix``) in which every entity ``e`` for which ``replace(e)``
    gives pieces ``[(string, is_entity), ...]`` is replaced by those strings written in its place;
    the pieces marked ``is_entity`` become entities with ``e``'s other fields. ``replace`` returns
    ``None`` to keep ``e`` as is. The mechanism of every augmentation below."""
    text = rec["text"]
    out, new_ents, pos, at = [], [], 0, 0
    for e in rec["entities"]:
        out.append(text[pos : e["start"]])
        at += e["start"] - pos
        pieces = replace(e)
        if pieces is None:
            pieces = [(text[e["start"] : e["end"]], True)]
        for piece, is_entity in pieces:
            if is_entity:
                new_ents.append({**e, "start": at, "end": at + len(piece), "text": piece})
            out.append(piece)
            at += len(piece)
        pos = e["end"]
    out.append(text[pos:])
    new_text = "".join(out)
    for e in new_ents:
        assert new_text[e["start"] : e["end"]] == e["text"], (new_text, e)
    return {**rec, "id": rec["id"] + suffix, "text": new_text, "entities": new_ents}


def substitute_persons(rec: dict, rng: random.Random) -> dict | None:
    if not any(e["label"] == "PERSON" for e in rec["entities"]):
        return None
    return rewrite_mentions(rec, lambda e: [(synth_zh_name(rng), True)] if e["label"] == "PERSON" else None, "-zhname")


def swap_mentions(rec: dict, pool: dict, rng: random.Random) -> dict | None:
    """A copy of ``rec`` where every entity is replaced by a random mention of the same label
    drawn from the same source's training entities (mention-replacement augmentation)."""
    if not rec["entities"]:
        return None

    def replace(e):
        cands = pool.get(e["label"])
        return [(rng.choice(cands), True)] if cands else None

    return rewrite_mentions(rec, replace, "-swap")


# Name lists (zh): mainland news prints lists of officials back to back, without separators
# (李明王芳张伟（女）刘洋陈静（满族）), which the model tends to merge into one PERSON. A list copy
# replaces one PERSON of a training sentence by 2-5 PERSON mentions of the same source's training
# data written back to back, some followed by the kind of note such lists carry.
LIST_NOTES = ("（女）", "（满族）", "（回族）", "（蒙古族）", "（壮族）", "（藏族）", "（特邀）")


def name_pool(recs: list[dict]) -> list[str]:
    """The PERSON mentions of ``recs`` that look like personal names to list: two to four Han
    characters, or a transliterated name with its middle dot (约翰·史密斯)."""
    names = (r["text"][e["start"] : e["end"]] for r in recs for e in r["entities"] if e["label"] == "PERSON")
    return sorted({n for n in names if listable(n)})


def listable(name: str) -> bool:
    """Two to four Han characters, or a transliterated name with its middle dot (约翰·史密斯)."""
    if 2 <= len(name) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in name):
        return True
    return "·" in name[1:-1] and len(name) <= 12 and all("\u4e00" <= c <= "\u9fff" or c == "·" for c in name)


def name_list(rec: dict, pool: list[str], rng: random.Random) -> dict | None:
    """A copy of ``rec`` where one PERSON mention that looks like a name (:func:`listable`, chosen
    at random) becomes the start of a list of 2-5 names of ``pool`` written back to back (each its
    own PERSON entity); a name is followed by one of :data:`LIST_NOTES` with probability 0.25. The
    copy's ``list`` is the ``[start, end)`` of the list in its text. ``None`` if ``rec`` has no
    such PERSON or the pool has fewer than five names."""
    text = rec["text"]
    persons = [e for e in rec["entities"] if e["label"] == "PERSON" and listable(text[e["start"] : e["end"]])]
    if not persons or len(pool) < 5:
        return None
    target = rng.choice(persons)
    names = [text[target["start"] : target["end"]]] + [rng.choice(pool) for _ in range(rng.randint(1, 4))]
    pieces = []
    for i, name in enumerate(names):
        pieces.append((name, True))
        if i < len(names) - 1 and rng.random() < 0.25:
            pieces.append((rng.choice(LIST_NOTES), False))
    copy = rewrite_mentions(rec, lambda e: pieces if e is target else None, "-list")
    # where the list stands in the copy (the text before it is unchanged)
    copy["list"] = [target["start"], target["start"] + sum(len(p) for p, _ in pieces)]
    return copy


class Builder:
    """The per-sentence feature arrays of a language, made as the pipeline makes them (feature set
    ``ja`` or ``zh-bigram``, see :mod:`pipeline.ner.features`)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.features = "ja" if lang == "ja" else "zh-bigram"
        self.tok = FugashiTokenizer() if lang == "ja" else JiebaTokenizer()

    def arrays(self, text: str):
        toks = self.tok.tokenize(text, [Span(0, len(text))])
        if self.lang == "ja":
            return ja_doc_arrays(text, toks)
        return zh_doc_arrays(text, 0, len(text), toks)


def flag_style(arrays, style: str):
    """The per-sentence arrays with every TAG prefixed by ``style`` (``style_sources`` in the
    config: an annotation-style flag for one corpus; "" leaves them unchanged)."""
    if not style:
        return arrays
    words, tags, lemmas, offs = arrays
    return words, [style + t for t in tags], lemmas, offs


def biluo(offs, ents, labels, other_labels, stats):
    """BILUO tags over the tokens (offsets ``offs``) for the gold entities; '-' = missing."""
    n = len(offs)
    tags = ["O"] * n
    start_idx = {s: i for i, (s, _) in enumerate(offs)}
    end_idx = {e: i for i, (_, e) in enumerate(offs)}
    for e in ents:
        lab = e["label"]
        s, t = e["start"], e["end"]
        if lab in labels:
            stats["gold"] += 1
        i, j = start_idx.get(s), end_idx.get(t)
        if lab not in labels:
            if other_labels == "missing" or lab.endswith("?"):
                for k, (a, b) in enumerate(offs):
                    if a < t and b > s:
                        tags[k] = "-"
            continue
        if i is None or j is None or j < i:
            stats["misaligned"] += 1
            for k, (a, b) in enumerate(offs):
                if a < t and b > s:
                    tags[k] = "-"
            continue
        if i == j:
            tags[i] = "U-" + lab
        else:
            tags[i] = "B-" + lab
            for k in range(i + 1, j):
                tags[k] = "I-" + lab
            tags[j] = "L-" + lab
    return tags


def report_vector_coverage(nlp, dev_sets) -> None:
    """Log the share of dev tokens that find a pretrained vector, per static-vector table
    (``shinbun.SumHashEmbedVectors.v1``)."""
    import numpy as np

    tagger = nlp.get_pipe("ner_tagger")
    ff = FastFeatures(nlp)
    for layer in (n for n in tagger.model.walk() if n.name == "static_vectors"):
        keys, col = layer.get_param("keys"), layer.attrs["column"]
        print(
            f"static vectors ({layer.attrs['source']}, column {col}): {len(keys)} keys, "
            f"table {layer.get_param('V').shape} {layer.get_param('V').dtype}",
            flush=True,
        )
        for name, arrs, _ in dev_sets:
            ids = np.concatenate([ff.rows(a).rows[:, col] for a in arrs if a[0]])
            hit = keys[np.minimum(np.searchsorted(keys, ids), len(keys) - 1)] == ids
            print(f"  {name}: {hit.mean():.2%} of {len(ids)} tokens have a vector", flush=True)


class SoftTargets:
    """Teacher tag probabilities per character of each record (``.npz`` with ``ids``, ``texts``,
    ``starts`` (row offset of each record in ``probs``), ``probs`` (characters x tags, float16),
    ``tags`` (the teacher's tag names, BILUO like ours) and ``labelled`` (bool per record: a gold
    training record, or unlabelled text that only the teacher annotates))."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        with np.load(path, allow_pickle=False) as z:
            self.ids = [str(x) for x in z["ids"]]
            self.texts = [str(x) for x in z["texts"]]
            self.starts = z["starts"]
            self.probs = z["probs"]
            self.tags = [str(x) for x in z["tags"]]
            self.labelled = z["labelled"]
        self.row_of = {i: k for k, i in enumerate(self.ids)}
        self.index = {i: k for k, i in enumerate(self.ids) if self.labelled[k]}

    def rows(self, rec_id: str, offs):
        """Teacher rows for the tokens with character offsets ``offs`` (one character each)."""
        base = int(self.starts[self.row_of[rec_id]])
        return self.probs[[base + s for s, _ in offs]].astype("float32")

    def unlabelled(self):
        return [(i, t) for i, t, lab in zip(self.ids, self.texts, self.labelled) if not lab]


_SOFT: dict[Path, SoftTargets] = {}


def load_soft_targets(path: Path) -> SoftTargets:
    if path not in _SOFT:
        _SOFT[path] = SoftTargets(path)
    return _SOFT[path]


def distill_loss(tagger, teacher_tags: list[str], weight: float) -> None:
    """Replace the tagger's loss by cross-entropy against ``weight`` x teacher probabilities +
    (1 - ``weight``) x the gold one-hot tag (teacher only where the gold tag is missing or the
    example has no gold). Examples without teacher rows keep the gold-only loss."""
    import numpy as np

    labels = list(tagger.labels)
    cols = [teacher_tags.index(t) for t in labels]  # student tag order from the teacher's columns
    lab_index = {t: i for i, t in enumerate(labels)}
    gold_loss = tagger.get_loss

    def get_loss(examples, scores):
        if not any("teacher" in eg.reference.user_data for eg in examples):
            return gold_loss(examples, scores)
        d_scores, loss = [], 0.0
        for eg, guess in zip(examples, scores):
            guess = np.asarray(guess)
            teacher = eg.reference.user_data.get("teacher")
            gold = [t.tag_ for t in eg.reference]
            target = np.zeros_like(guess)
            for i, g in enumerate(gold):
                if g in lab_index:
                    target[i, lab_index[g]] = 1.0
            has_gold = np.array([g in lab_index for g in gold], dtype=bool)
            if teacher is not None:
                soft = teacher[:, cols]
                soft = soft / np.maximum(soft.sum(axis=1, keepdims=True), 1e-6)
                w = np.where(has_gold, weight, 1.0)[:, None]
                target = (1.0 - w) * target + w * soft
            d = guess - target
            if teacher is None:
                d[~has_gold] = 0.0  # missing gold and no teacher: no loss (as spaCy's own loss)
            d_scores.append(tagger.model.ops.asarray2f(d))
            loss += float((d**2).sum())
        return loss, d_scores

    tagger.get_loss = get_loss


def parse_overrides(items: list[str]) -> dict:
    """``--set KEY=VALUE`` items as thinc config overrides; VALUE is JSON (``5``, ``0.1``,
    ``"lac"``, ``[1, 2]``), else taken as a plain string."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set needs KEY=VALUE, got {item!r}")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def load_records(data: Path, name: str, limit: int | None = None, tcfg: dict | None = None) -> list[dict]:
    """The records of a source or dev set (carved dev splits such as ``msra_dev`` are taken out of
    their training file: :mod:`scripts.data.splits`), with the config's per-source label rules
    applied (:func:`relabel`)."""
    recs = list(load_split(data, name))
    recs = recs[:limit] if limit else recs
    return [relabel(r, name, tcfg or {}) for r in recs]


def relabel(rec: dict, name: str, tcfg: dict) -> dict:
    """``rec`` with the training config's per-source label rules applied: ``label_map``
    ({source: {gold label: model label}}, e.g. GSD-NE's GPE -> LOC, since the other Japanese
    corpora write countries and cities as LOC) and ``missing_labels`` ({source: [labels]}):
    spans of those labels become unannotated (no loss on their tokens), for classes another
    corpus files under a model label (GSD-NE's WORK_OF_ART and LAW are IREX ARTIFACT, our
    PRODUCT; its NORP holds political parties, which stockmark calls ORG), so they teach
    neither that label nor ``O``."""
    lmap = tcfg.get("label_map", {}).get(name, {})
    missing = set(tcfg.get("missing_labels", {}).get(name, ()))
    if not lmap and not missing:
        return rec
    ents = []
    for e in rec["entities"]:
        lab = lmap.get(e["label"], e["label"])
        ents.append({**e, "label": lab + "?" if lab in missing else lab})
    return {**rec, "entities": ents}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", required=True, choices=["ja", "zh"])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--config", type=Path, default=None, help="default: configs/train/ner_<lang>.cfg")
    ap.add_argument("--max-minutes", type=float, default=90.0)
    ap.add_argument("--limit", type=int, default=None, help="sentences per source (smoke tests)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--version", default="0.1.0")
    ap.add_argument("--resume", type=Path, default=None, help="start from this saved model instead of a fresh one")
    ap.add_argument("--learn-rate", type=float, default=None, help="override the config's learn_rate")
    ap.add_argument("--eval-every", type=int, default=None, help="override the config's eval_every")
    ap.add_argument(
        "--soft-targets", type=Path, default=None,
        help="teacher tag probabilities per training record (knowledge distillation; see load_soft_targets)",
    )
    ap.add_argument("--distill-weight", type=float, default=0.5, help="weight of the teacher in the target (0..1)")
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a value of the config, e.g. components.ner_tagger.model.tok2vec.encode.depth=5 (JSON value)",
    )
    args = ap.parse_args()

    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example
    from spacy.training.batchers import minibatch_by_words
    from thinc.api import Adam, Config, fix_random_seed

    cfg_path = args.config or ROOT / "configs" / "train" / f"ner_{args.lang}.cfg"
    overrides = parse_overrides(args.set)
    config = Config().from_disk(cfg_path, overrides=overrides)
    tcfg = dict(config.pop("shinbun_train"))
    print("train config:", json.dumps(tcfg, ensure_ascii=False), flush=True)
    if overrides:
        print("config overrides:", json.dumps(overrides, ensure_ascii=False), flush=True)
    if args.learn_rate:
        tcfg["learn_rate"] = args.learn_rate
    if args.eval_every:
        tcfg["eval_every"] = args.eval_every
    labels = set(tcfg["labels"])
    fix_random_seed(args.seed)
    rng = random.Random(args.seed)
    if args.resume:
        # continue training a saved model (e.g. with a lower learning rate)
        nlp = spacy.load(args.resume)
    else:
        nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    nlp.meta["name"] = f"ner_{args.lang}"
    nlp.meta["version"] = args.version
    builder = Builder(args.lang)
    if tcfg.get("features", builder.features) != builder.features:
        raise SystemExit(f"features: {args.lang} models use the feature set {builder.features!r}")

    t0 = time.time()
    stats = {"gold": 0, "misaligned": 0}
    train_examples = []
    n_aug = 0
    style_tags: set[str] = set()  # the plain TAG strings of the flagged sentences (meta style "tags")
    for src in tcfg["sources"]:
        recs = load_records(args.data, src, args.limit, tcfg)
        extra = []
        if tcfg.get("augment_zh_names", 0) > 0:
            for r in recs:
                if any(e["label"] == "PERSON" for e in r["entities"]) and rng.random() < tcfg["augment_zh_names"]:
                    extra.append(substitute_persons(r, rng))
        lists = float(tcfg.get("augment_name_lists", {}).get(src, 0.0))
        if lists > 0:
            pool_names = name_pool(recs)
            listed = [name_list(r, pool_names, rng) for r in recs
                      if any(e["label"] == "PERSON" for e in r["entities"]) and rng.random() < lists]
            extra += [r for r in listed if r]
        swap = float(tcfg.get("augment_mention_swap", {}).get(src, 0.0))
        if swap > 0:
            pool: dict[str, list[str]] = {}
            for r in recs:
                for e in r["entities"]:
                    pool.setdefault(e["label"], []).append(e["text"])
            swapped = [swap_mentions(r, pool, rng) for r in recs if r["entities"] and rng.random() < swap]
            extra += [r for r in swapped if r]
        n_aug += len(extra)
        fac_sfx = tuple(tcfg.get("facility_suffixes", ()))
        if fac_sfx and src in tcfg.get("facility_missing_sources", ()):
            # IREX sources put facilities under LOC/ORG; stockmark has FAC. Spans that end like a
            # facility name become "missing" (no loss) instead of teaching LOC/ORG over FAC.
            n_fac = 0
            for r in recs + extra:
                for e in r["entities"]:
                    if e["label"] in ("LOC", "ORG") and e["text"].endswith(fac_sfx):
                        e["label"] = "FAC?"
                        n_fac += 1
            print(f"{src}: {n_fac} LOC/ORG spans with facility suffixes marked missing", flush=True)
        up = int(tcfg.get("upsample", {}).get(src, 1))
        if up > 1:
            extra = extra + [r for r in recs if r["entities"]] * (up - 1)
        src_stats = {"gold": 0, "misaligned": 0}
        # annotation-style flag: this source's TAG strings get a prefix, so the model can tell
        # its conventions apart; inference mixes the plain and flagged tags (meta "style")
        style = tcfg.get("style_sources", {}).get(src, "")
        for r in recs + extra:
            arr = builder.arrays(r["text"])
            if not arr[0]:
                continue
            if style:
                style_tags.update(arr[1])
            arr = flag_style(arr, style)
            tags = biluo(arr[3], r["entities"], labels, tcfg["other_labels"], src_stats)
            pred = make_doc(nlp.vocab, arr)
            ref = Doc(nlp.vocab, words=arr[0], spaces=[False] * len(arr[0]), tags=[t if t != "-" else "" for t in tags])
            if args.soft_targets and r.get("id"):
                ref.user_data["id"] = r["id"]
                ref.user_data["offs"] = arr[3]
            train_examples.append(Example(pred, ref))
        print(
            f"{src}: {len(recs)} sentences (+{len(extra)} augmented), gold {src_stats['gold']}, "
            f"misaligned {src_stats['misaligned']} ({src_stats['misaligned'] / max(1, src_stats['gold']):.2%})",
            flush=True,
        )
        for k in stats:
            stats[k] += src_stats[k]
    if args.soft_targets:
        soft = load_soft_targets(args.soft_targets)
        n_soft = n_raw = 0
        for eg in train_examples:
            rec_id = eg.reference.user_data.get("id")
            if rec_id in soft.index:
                eg.reference.user_data["teacher"] = soft.rows(rec_id, eg.reference.user_data["offs"])
                n_soft += 1
        # unlabelled texts of the file (no gold record): teacher-only targets
        for rec_id, text in soft.unlabelled():
            arr = builder.arrays(text)
            if not arr[0]:
                continue
            ref = Doc(nlp.vocab, words=arr[0], spaces=[False] * len(arr[0]))
            ref.user_data["teacher"] = soft.rows(rec_id, arr[3])
            train_examples.append(Example(make_doc(nlp.vocab, arr), ref))
            n_raw += 1
        print(f"soft targets: {n_soft} labelled and {n_raw} unlabelled examples from {args.soft_targets} "
              f"(teacher weight {args.distill_weight})", flush=True)
    print(f"train examples {len(train_examples)} (augmented {n_aug}); alignment rate "
          f"{1 - stats['misaligned'] / max(1, stats['gold']):.4f}; built in {time.time() - t0:.0f}s", flush=True)

    dev_sets = []
    for name in tcfg["dev"]:
        recs = load_records(args.data, name, args.limit, tcfg)
        arrs = [builder.arrays(r["text"]) for r in recs]
        gold = [gold_tuples(r) for r in recs]
        dev_sets.append((name, arrs, gold))

    def evaluate():
        out = {}
        scorer = None
        style = nlp.meta["shinbun"].get("style")
        if style and style["alpha"]:
            # the dev scores (and so the checkpoint choice) at the style mix the model will ship with
            fast = NumpyTagger.from_model(tagger.model)
            if fast is None:
                raise SystemExit("style_alpha needs the numpy tagger, which does not support this architecture")
            mix_tag_style(fast, nlp, style)
            scorer = fast.scores_rows
        for name, arrs, gold in dev_sets:
            nchars = sum((a[3][-1][1] - a[3][0][0]) for a in arrs if a[3])
            t = time.time()
            preds = predict_entities(nlp, arrs, scorer=scorer)
            dt = time.time() - t
            res = score(gold, preds, labels=labels)
            out[name] = (res, nchars / max(dt, 1e-9))
        return out

    use_fast_gemm(nlp)
    tagger = nlp.get_pipe("ner_tagger")
    if not args.resume:
        for lab in ["O"] + [f"{p}-{lab}" for lab in sorted(labels) for p in "BILU"]:
            tagger.add_label(lab)
    if not args.resume:
        nlp.initialize(lambda: train_examples[:2000])
    report_vector_coverage(nlp, dev_sets)
    if args.soft_targets:
        distill_loss(tagger, load_soft_targets(args.soft_targets).tags, args.distill_weight)
    optimizer = Adam(
        learn_rate=tcfg.get("learn_rate", 0.001),
        L2=tcfg.get("l2", 0.01),
        L2_is_weight_decay=True,
        grad_clip=1.0,
        use_averages=True,
    )
    nlp.meta["shinbun"] = {
        "lang": args.lang,
        "labels": sorted(labels),
        "scheme": "BILUO tagger + constrained Viterbi",
        "features": builder.features,
        "train_sources": tcfg["sources"],
    }
    flags = sorted(set(tcfg.get("style_sources", {}).values()) - {""})
    if len(flags) > 1:
        raise SystemExit(f"style_sources: one flag at most, got {flags}")
    if flags:
        # inference embeds TAG as a mix of the plain and the flagged strings (NumpyTagger.mix_style);
        # 0 = the unflagged corpora's convention; ``style_alpha`` is also what the dev scores use
        # "tags": the TAG strings whose flagged forms the model has seen (the ja TAG is the
        # dictionary's part of speech, an open set; zh models without it use features.WORD_TAGS)
        nlp.meta["shinbun"]["style"] = {
            "flag": flags[0], "alpha": float(tcfg.get("style_alpha", 0.0)), "tags": sorted(style_tags)
        }
    if args.soft_targets:
        nlp.meta["shinbun"]["soft_targets"] = {"file": args.soft_targets.name, "weight": args.distill_weight}
    print("tags:", tagger.labels, flush=True)

    best, bad_evals, step = -1.0, 0, 0
    start = time.time()

    def checkpoint(epoch: int, losses: dict) -> bool:
        """Evaluate the averaged parameters (Adam keeps a moving average); save them when the dev
        mean is the best so far. True when it is not (one more evaluation without improvement)."""
        nonlocal best
        with nlp.use_params(optimizer.averages):
            res = evaluate()
        f1s = [r["micro"]["f1"] for r, _ in res.values()]
        mean = sum(f1s) / len(f1s)
        msg = " ".join(f"{n}={r['micro']['f1']:.4f}({cps / 1000:.0f}kc/s)" for n, (r, cps) in res.items())
        el = (time.time() - start) / 60
        print(f"epoch {epoch} step {step} {el:.1f}min loss {sum(losses.values()):.1f} {msg} mean={mean:.4f}",
              flush=True)
        if mean <= best:
            return True
        best = mean
        nlp.meta["performance"] = {n: r["micro"]["f1"] for n, (r, _) in res.items()}
        with nlp.use_params(optimizer.averages):
            nlp.to_disk(args.out)
        with open(args.out / "dev_scores.json", "w", encoding="utf-8") as fh:
            json.dump({n: r for n, (r, _) in res.items()}, fh, ensure_ascii=False, indent=1)
        print(f"  saved best {best:.4f} -> {args.out}", flush=True)
        return False

    stop = False
    epoch, losses = 0, {}
    for epoch in range(tcfg["max_epochs"]):
        rng.shuffle(train_examples)
        losses = {}
        for batch in minibatch_by_words(train_examples, size=tcfg["batch_words"]):
            nlp.update(batch, drop=tcfg["dropout"], sgd=optimizer, losses=losses)
            step += 1
            if step % tcfg["eval_every"] == 0:
                bad_evals = bad_evals + 1 if checkpoint(epoch, losses) else 0
                if bad_evals >= tcfg["patience"] or (time.time() - start) / 60 > args.max_minutes:
                    stop = True
                    break
        print(f"epoch {epoch} done, loss {sum(losses.values()):.1f}", flush=True)
        if stop:
            break
    if best < 0:
        # training ended before its first evaluation (small data, max_epochs): the final
        # parameters are the model, so a run always leaves one in --out
        checkpoint(epoch, losses)
    print(f"finished: best mean dev micro F1 {best:.4f}", flush=True)


if __name__ == "__main__":
    main()
