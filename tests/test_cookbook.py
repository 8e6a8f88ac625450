"""docs/cookbook.md runs: every ```bash and ```python block, in order, in one fresh folder holding a
copy of corpora/; a ```text block right after a code block is that block's exact standard output."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
COOKBOOK = ROOT / "docs" / "cookbook.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks() -> list[tuple[str, str, str | None]]:
    """(language, code, expected output or None) for each runnable block, in document order."""
    found = [(m.group(1), m.group(2), m.end()) for m in FENCE.finditer(COOKBOOK.read_text(encoding="utf-8"))]
    out = []
    for k, (lang, code, _end) in enumerate(found):
        if lang not in ("bash", "python"):
            continue
        nxt = found[k + 1] if k + 1 < len(found) else None
        expected = nxt[1] if nxt is not None and nxt[0] == "text" and _between_is_blank(_end, nxt) else None
        out.append((lang, code, expected))
    return out


def _between_is_blank(end: int, nxt) -> bool:
    text = COOKBOOK.read_text(encoding="utf-8")
    start = text.index("```text\n" + nxt[1], end)
    return text[end:start].strip() == ""


def test_the_cookbook_has_recipes():
    langs = [lang for lang, _, _ in blocks()]
    assert langs.count("bash") >= 3 and langs.count("python") >= 2
    assert sum(1 for _, _, expected in blocks() if expected is not None) >= 4


def test_every_recipe_runs(tmp_path):
    shutil.copytree(ROOT / "corpora", tmp_path / "corpora")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "shinbun"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pipeline.cli "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    for k, (lang, code, expected) in enumerate(blocks()):
        cmd = ["bash", "-euo", "pipefail", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
        r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"block {k} ({lang}) failed:\n{code}\n--- stderr:\n{r.stderr}"
        if expected is not None:
            assert r.stdout == expected, f"block {k} ({lang}) printed something else:\n{code}"
