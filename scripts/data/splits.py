"""Dev splits carved deterministically out of a training file that has no dev split of its own.

    python -m scripts.data.splits --data ../shared/data/zh --out out/msra_dev.jsonl   # then shinbun eval --gold it

MSRA (``zh/msra_train.jsonl``) ships without a dev file. ``msra_dev`` is the records of
``msra_train`` whose id hashes (CRC32) to 0 modulo 19: about 2,000 of its 37,907 sentences,
the same ones on every machine and in every version of the data that keeps the ids. The training
script reads ``msra_train`` without them (:func:`load_split`), so a model trained by the recipe
never sees ``msra_dev``. Models trained before the split existed saw it: their ``msra_dev``
scores are not estimates of unseen text.
"""

from __future__ import annotations

import argparse
import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson

from pipeline.scoring import read_gold

# derived dev set -> (the training file it is carved from, modulus of the id hash)
CARVED = {"msra_dev": ("msra_train", 19)}


def in_carved_dev(record_id: str, modulus: int) -> bool:
    return zlib.crc32(record_id.encode("utf-8")) % modulus == 0


def load_split(data: Path, name: str) -> Iterator[dict]:
    """The records of split ``name`` of the folder ``data``: a file of its own, a carved dev
    split, or a training file without the dev records carved out of it."""
    if name in CARVED:
        source, modulus = CARVED[name]
        return (r for r in read_gold(data / f"{source}.jsonl") if in_carved_dev(r["id"], modulus))
    for source, modulus in CARVED.values():
        if name == source:
            return (r for r in read_gold(data / f"{name}.jsonl") if not in_carved_dev(r["id"], modulus))
    return read_gold(data / f"{name}.jsonl")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the folder of the source file, e.g. ../shared/data/zh")
    ap.add_argument("--split", default="msra_dev", choices=sorted(CARVED))
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(args.out, "wb") as fh:
        for rec in load_split(args.data, args.split):
            fh.write(orjson.dumps(rec) + b"\n")
            n += 1
    print(f"{args.split}: {n} records -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
