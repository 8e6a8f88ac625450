"""Run the pipeline of two git revisions on the same inputs and compare the records byte for byte.

    python -m scripts.data.check_identical                  # HEAD against the working tree
    python -m scripts.data.check_identical --base REV --head REV2

Inputs: ``corpora/sample.jsonl`` and every ``*_dev.jsonl`` under ``../shared/data/{ja,zh}``
(the dev sets are skipped, with a note, where ``../shared/data`` is absent). Each revision is
checked out into a temporary git worktree (the working tree itself for ``--head WORKTREE``) and
run as ``python -m pipeline.cli run`` with that tree first on ``PYTHONPATH``, with the packaged
default config. Outputs of a commit are cached under ``out/identical/<commit>/``, so a base is
processed once. Exit status 1 when any output differs: a restructuring that claims to change no
behaviour shows it with this script.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts import ROOT, SHARED_DATA

WORKTREE = "WORKTREE"


def default_inputs() -> list[Path]:
    inputs = [ROOT / "corpora" / "sample.jsonl"]
    if SHARED_DATA.is_dir():
        inputs += sorted(SHARED_DATA.glob("ja/*_dev.jsonl")) + sorted(SHARED_DATA.glob("zh/*_dev.jsonl"))
    else:
        print(f"note: {SHARED_DATA} not found; comparing corpora/sample.jsonl only", file=sys.stderr)
    return inputs


def commit_of(rev: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--verify", rev + "^{commit}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def run_tree(tree: Path, inputs: list[Path], out_dir: Path, workers: int) -> dict[str, str]:
    """sha256 of the records of each input, processed by the pipeline in ``tree``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(tree))
    digests = {}
    for inp in inputs:
        out = out_dir / (inp.stem + ".jsonl")
        if not out.exists():
            tmp = out.with_suffix(".partial")
            subprocess.run(
                [sys.executable, "-m", "pipeline.cli", "run", str(inp), "-o", str(tmp),
                 "--workers", str(workers), "--quiet"],
                cwd=tree, env=env, check=True,
            )
            tmp.rename(out)
        digests[inp.name] = hashlib.sha256(out.read_bytes()).hexdigest()
    return digests


def outputs_of(rev: str, inputs: list[Path], workers: int) -> dict[str, str]:
    if rev == WORKTREE:
        with tempfile.TemporaryDirectory() as tmp:
            return run_tree(ROOT, inputs, Path(tmp), workers)
    commit = commit_of(rev)
    cache = ROOT / "out" / "identical" / commit
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), commit], cwd=ROOT, check=True)
        try:
            return run_tree(tree, inputs, cache, workers)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="HEAD", help="git revision (default HEAD)")
    ap.add_argument("--head", default=WORKTREE, help=f"git revision, or {WORKTREE} (default) for the working tree")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("inputs", nargs="*", type=Path, help="JSONL inputs (default: the sample and the dev sets)")
    args = ap.parse_args(argv)
    inputs = [p.resolve() for p in args.inputs] or default_inputs()
    base = outputs_of(args.base, inputs, args.workers)
    head = outputs_of(args.head, inputs, args.workers)
    differ = [name for name in base if base[name] != head[name]]
    for name in base:
        print(f"{'same' if name not in differ else 'DIFFERENT':>9}  {name}  {head[name][:16]}")
    print(f"{len(base) - len(differ)} of {len(base)} outputs byte-identical ({args.base} vs {args.head})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
