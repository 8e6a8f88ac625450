#!/usr/bin/env python
"""Fine-tune a Hugging Face token-classification model for shinbun's ``transformers`` recogniser.

Input: JSONL in the common format of ``../shared/data`` (``{"text", "lang"?, "entities":
[{"start", "end", "label"}]}``, code-point offsets). Output: a model directory
(``save_pretrained`` of model and tokenizer, ``id2label`` = ``O`` + ``B-``/``I-`` of our labels)
that ``configs/transformers.toml`` can point at, plus ``finetune.json`` (arguments, alignment
statistics, per-epoch and final dev scores).

Training examples are made with the backend's own functions (``encode_spans``,
``plan_windows`` from ``pipeline.ner.transformers_ner``): texts are cut into windows of the
model's length exactly as at inference, words are the tokenizer's words, and a word's BIO tag
goes on its first subword (the others are ignored, label -100) or, with
``--label-all-subwords``, on every subword (B- becomes I- after the first). Entities whose
boundaries are not word boundaries cannot be learned exactly; their count is reported.

Evaluation (each epoch and at the end) runs the backend recogniser itself
(``TransformersNER.from_objects``) over the dev texts split into sentences by the pipeline's
splitter, and scores the character spans with ``pipeline.scoring.score`` (strict span + label
micro P/R/F1): the dev score is the score the pipeline would get on those texts.

    python -m scripts.train.finetune_ner --model tohoku-nlp/bert-base-japanese-v3 \\
        --train ../shared/data/ja/stockmark_train.jsonl --dev ../shared/data/ja/stockmark_dev.jsonl \\
        --labels PERSON,ORG,LOC,FAC,PRODUCT,EVENT --out models/ner-ja-bert --epochs 3
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from pipeline.record import LABELS  # noqa: E402
from pipeline.scoring import format_table, score  # noqa: E402

LANG_ALIASES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="base model: a local directory or a Hugging Face model id")
    p.add_argument("--train", required=True, nargs="+", help="training JSONL file(s)")
    p.add_argument("--dev", nargs="*", default=[], help="dev JSONL file(s), scored each epoch")
    p.add_argument("--labels", required=True, help="comma-separated labels to learn, e.g. PERSON,ORG,LOC; other gold labels are ignored (treated as O)")
    p.add_argument("--out", required=True, help="output model directory")
    p.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--max-steps", type=int, default=-1, help="stop after this many optimiser steps (overrides --epochs)")
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--eval-batch-size", type=int, default=32)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--warmup", type=float, default=0.1, help="warm-up: a fraction of the steps (<1) or a step count")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--max-length", type=int, default=None, help="window length in tokens incl. specials (default: the model's, at most 512)")
    p.add_argument("--stride", type=int, default=64, help="overlap between windows of over-long texts")
    p.add_argument("--label-all-subwords", action="store_true", help="tag every subword, not only a word's first")
    p.add_argument("--aggregation", choices=("first", "average", "max"), default="first", help="decoding used for dev scoring")
    p.add_argument("--lang", default="ja", help="language of records without a 'lang' field (for sentence splitting)")
    p.add_argument("--max-train", type=int, default=None, help="use only the first N training records")
    p.add_argument("--max-dev", type=int, default=None, help="use only the first N dev records")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--fp16", action="store_true", help="mixed precision (CUDA only)")
    p.add_argument("--bf16", action="store_true", help="bfloat16 mixed precision (recent CUDA GPUs)")
    p.add_argument("--cpu", action="store_true", help="train on the CPU even if a GPU is there")
    p.add_argument("--local-files-only", action="store_true", help="never download the base model")
    p.add_argument("--logging-steps", type=int, default=50)
    args = p.parse_args(argv)
    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    bad = [x for x in labels if x not in LABELS]
    if not labels or bad:
        p.error(f"--labels must be a comma-separated subset of {', '.join(LABELS)} (bad: {bad})")
    args.labels = labels
    return args


def read_records(paths: list[str], labels: list[str], limit: int | None) -> list[dict]:
    out: list[dict] = []
    keep = set(labels)
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                rec = json.loads(line)
                text = rec["text"]
                ents = []
                for e in rec.get("entities", []):
                    s, t, lab = int(e["start"]), int(e["end"]), e["label"]
                    if not 0 <= s < t <= len(text):
                        raise ValueError(f"{path}:{n}: entity offsets {s}..{t} outside the text")
                    if lab in keep:
                        ents.append((s, t, lab))
                out.append({"id": rec.get("id", f"{path}:{n}"), "text": text, "lang": rec.get("lang"), "entities": sorted(ents)})
                if limit is not None and len(out) >= limit:
                    return out
    return out


def word_tags(enc: Any, ents: list[tuple[int, int, str]], n_chars: int) -> tuple[list[str | None], int]:
    """BIO tag of each token (None for a word's non-first subwords), and the number of
    entities whose boundaries are not word boundaries."""
    owner = [-1] * n_chars
    for k, (s, e, _lab) in enumerate(ents):
        for c in range(s, e):
            owner[c] = k
    tags: list[str | None] = []
    prev_owner = -1
    prev_word = None
    word_starts: set[int] = set()
    word_ends: set[int] = set()
    spans_of_word: dict[int, list[tuple[int, int]]] = {}
    for (a, b), w in zip(enc.spans, enc.words):
        if b > a:
            spans_of_word.setdefault(w, []).append((a, b))
    for ws in spans_of_word.values():
        word_starts.add(min(a for a, _ in ws))
        word_ends.add(max(b for _, b in ws))
    for (_a, _b), w in zip(enc.spans, enc.words):
        if w == prev_word:
            tags.append(None)
            continue
        prev_word = w
        ws = spans_of_word.get(w)
        if not ws:
            tags.append(None)
            continue
        start = min(a for a, _ in ws)
        k = owner[start] if start < n_chars else -1
        if k < 0:
            tags.append("O")
        else:
            tags.append(("I-" if k == prev_owner else "B-") + ents[k][2])
        prev_owner = k
    misaligned = sum(1 for s, e, _l in ents if s not in word_starts or e not in word_ends)
    return tags, misaligned


def build_features(tokenizer: Any, records: list[dict], label2id: dict[str, int], max_length: int | None,
                   stride: int, label_all: bool, model_config: Any) -> tuple[list[dict], dict]:
    from pipeline.ner.transformers_ner import (
        _model_limit,
        encode_spans,
        plan_windows,
        special_affixes,
    )

    prefix, suffix = special_affixes(tokenizer)
    limit = _model_limit(model_config, tokenizer) or 512
    total = min(max_length or limit, limit)
    window = total - len(prefix) - len(suffix)
    feats: list[dict] = []
    stats = {"records": len(records), "entities": 0, "misaligned_entities": 0, "windows": 0, "window_tokens": window}
    for rec in records:
        text = rec["text"]
        if not text.strip():
            continue
        enc = encode_spans(tokenizer, text, [(0, len(text))])[0]
        tags, mis = word_tags(enc, rec["entities"], len(text))
        stats["entities"] += len(rec["entities"])
        stats["misaligned_entities"] += mis
        labs: list[int] = []
        last: str | None = None
        for t in tags:
            if t is None:
                labs.append(label2id[last.replace("B-", "I-", 1)] if label_all and last is not None else -100)
            else:
                labs.append(label2id[t])
                last = t
        for win in plan_windows([len(enc)], window, stride):
            (_si, a, b), = win
            feats.append({
                "input_ids": prefix + enc.ids[a:b] + suffix,
                "attention_mask": [1] * (len(prefix) + b - a + len(suffix)),
                "labels": [-100] * len(prefix) + labs[a:b] + [-100] * len(suffix),
            })
    stats["windows"] = len(feats)
    return feats, stats


class Collator:
    """Pads input_ids (pad id), attention_mask (0) and labels (-100)."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: list[dict]) -> dict:
        import torch

        width = max(len(b["input_ids"]) for b in batch)
        out = {"input_ids": [], "attention_mask": [], "labels": []}
        for b in batch:
            n = width - len(b["input_ids"])
            out["input_ids"].append(list(b["input_ids"]) + [self.pad_id] * n)
            out["attention_mask"].append(list(b["attention_mask"]) + [0] * n)
            out["labels"].append(list(b["labels"]) + [-100] * n)
        return {k: torch.tensor(v, dtype=torch.long) for k, v in out.items()}


def span_eval(model: Any, tokenizer: Any, records: list[dict], labels: list[str], default_lang: str,
              aggregation: str, max_length: int | None, stride: int, batch_size: int) -> dict:
    """Strict span+label scores of the backend recogniser (this model) on ``records``."""
    from pipeline.ner.transformers_ner import TransformersNER
    from pipeline.stages.sentences import split_sentences

    ner = TransformersNER.from_objects(model, tokenizer, aggregation=aggregation, max_length=max_length,
                                       stride=stride, batch_size=batch_size)
    gold, pred = [], []
    for rec in records:
        text = rec["text"]
        lang = rec.get("lang") or default_lang
        lang = LANG_ALIASES.get(lang.lower(), lang)
        spans = split_sentences(text, 0, len(text), lang) if text.strip() else []
        pred.append([(s, e, lab) for s, e, lab, _sc in ner.predict(text, spans)])
        gold.append(rec["entities"])
    return score(gold, pred, labels=labels)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    try:
        import datasets
        import torch
        from transformers import (
            AutoModelForTokenClassification,
            AutoTokenizer,
            Trainer,
            TrainingArguments,
            set_seed,
        )
    except ImportError as exc:
        raise SystemExit(f"finetune_ner.py needs torch, transformers, accelerate and datasets ({exc}): "
                         "pip install torch transformers accelerate datasets")
    set_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    id2label = {0: "O"}
    for lab in args.labels:
        id2label[len(id2label)] = f"B-{lab}"
        id2label[len(id2label)] = f"I-{lab}"
    label2id = {v: k for k, v in id2label.items()}

    tokenizer = AutoTokenizer.from_pretrained(args.model, local_files_only=args.local_files_only)
    model = AutoModelForTokenClassification.from_pretrained(
        args.model, num_labels=len(id2label), id2label=id2label, label2id=label2id,
        ignore_mismatched_sizes=True, local_files_only=args.local_files_only,
    )
    train_recs = read_records(args.train, args.labels, args.max_train)
    dev_recs = read_records(args.dev, args.labels, args.max_dev) if args.dev else []
    feats, stats = build_features(tokenizer, train_recs, label2id, args.max_length, args.stride,
                                  args.label_all_subwords, model.config)
    if not feats:
        raise SystemExit("no training examples (empty --train files?)")
    print(f"train: {stats['records']} records -> {stats['windows']} windows of <= {stats['window_tokens']} tokens; "
          f"{stats['misaligned_entities']} of {stats['entities']} entities do not start/end on word boundaries",
          file=sys.stderr)

    use_cpu = args.cpu or not torch.cuda.is_available()
    if (args.fp16 or args.bf16) and use_cpu:
        raise SystemExit("--fp16/--bf16 need a CUDA GPU")
    work = out / "_trainer"
    # transformers 5 takes a warm-up fraction in warmup_steps; 4.x has warmup_ratio for that.
    if args.warmup < 1 and "warmup_ratio" in inspect.signature(TrainingArguments.__init__).parameters:
        warmup = {"warmup_ratio": args.warmup}
    else:
        warmup = {"warmup_steps": args.warmup if args.warmup < 1 else int(args.warmup)}
    targs = TrainingArguments(
        output_dir=str(work),
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.lr,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.eval_batch_size,
        gradient_accumulation_steps=args.grad_accum,
        **warmup,
        weight_decay=args.weight_decay,
        eval_strategy="epoch" if dev_recs else "no",
        save_strategy="no",
        logging_strategy="steps",
        logging_steps=args.logging_steps,
        report_to="none",
        use_cpu=use_cpu,
        fp16=args.fp16,
        bf16=args.bf16,
        seed=args.seed,
        disable_tqdm=True,
        remove_unused_columns=False,
    )
    eval_kw = dict(labels=args.labels, default_lang=args.lang, aggregation=args.aggregation,
                   max_length=args.max_length, stride=args.stride, batch_size=args.eval_batch_size)
    epochs: list[dict] = []

    class SpanTrainer(Trainer):
        # The dev score is the pipeline's: decode with the backend and score character spans.
        def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
            t0 = time.time()
            res = span_eval(self.model, tokenizer, dev_recs, **eval_kw)
            m = res["micro"]
            metrics = {f"{metric_key_prefix}_{k}": float(m[k]) for k in ("precision", "recall", "f1")}
            metrics[f"{metric_key_prefix}_runtime"] = round(time.time() - t0, 3)
            metrics["epoch"] = self.state.epoch
            self.log(metrics)
            epochs.append({"epoch": self.state.epoch, "step": self.state.global_step, **res})
            self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
            return metrics

    train_ds = datasets.Dataset.from_list(feats)
    trainer = SpanTrainer(
        model=model, args=targs, train_dataset=train_ds,
        eval_dataset=train_ds.select(range(1)) if dev_recs else None,  # unused: evaluate() reads dev_recs
        data_collator=Collator(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0),
    )
    t0 = time.time()
    train_out = trainer.train()
    train_seconds = time.time() - t0
    final = span_eval(trainer.model, tokenizer, dev_recs, **eval_kw) if dev_recs else None

    model = trainer.model
    model.config.id2label = id2label
    model.config.label2id = label2id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    shutil.rmtree(work, ignore_errors=True)
    summary = {
        "base_model": args.model,
        "labels": args.labels,
        "id2label": {str(k): v for k, v in id2label.items()},
        "args": {k: v for k, v in vars(args).items() if k != "labels"},
        "train_stats": stats,
        "train_seconds": round(train_seconds, 1),
        "train_loss": float(train_out.training_loss) if train_out.training_loss is not None and not math.isnan(train_out.training_loss) else None,
        "steps": trainer.state.global_step,
        "device": "cpu" if use_cpu else torch.cuda.get_device_name(0),
        "dev_per_epoch": epochs,
        "dev_final": final,
    }
    (out / "finetune.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    if final is not None:
        print(format_table(final), file=sys.stderr)
    print(f"model written to {out}", file=sys.stderr)
    return summary


if __name__ == "__main__":
    main()
