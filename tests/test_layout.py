"""The package's structure: no import cycles, pipeline steps apart from model code, no
training code in the runtime path, scripts reachable as modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package modules that ``path`` imports, anywhere in the file (a cycle through an import
    inside a function is still a cycle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            # the longest package module the name starts with
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != me:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(f) for f in files}
    # importing a.b.c runs a/__init__ and a/b/__init__ too, but those parents are not edges of
    # the module's own design: only what a file names counts
    return {module_name(f): imports_of(f, modules) - {"pipeline"} for f in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_relative_imports_resolve(tmp_path):
    assert "pipeline.numeric.dates" in imports_of(PACKAGE / "numeric" / "__init__.py", set(import_graph()))


def test_no_import_cycle_in_the_package():
    assert find_cycle(import_graph()) is None


def test_pipeline_steps_do_not_reach_into_training_code():
    graph = import_graph()
    runtime = [m for m in graph if not m.startswith("pipeline.training")]
    for module in runtime:
        if module == "pipeline.ner.architectures":
            continue  # builds the static-vector table when a model is initialised for training
        assert not any(dep.startswith("pipeline.training") for dep in graph[module]), module


def test_stages_know_no_recogniser_internals():
    """Steps name recognisers only through the registry factories in stages/entities.py."""
    graph = import_graph()
    for module, deps in graph.items():
        if module.startswith("pipeline.stages.") and module != "pipeline.stages.entities":
            assert not any(d.startswith("pipeline.ner") for d in deps), module


# every script whose imports the default install (plus the dev extra) provides; train_lac_teacher
# and finetune_ner need torch (the transformers extra) and are imported by their own tests
SCRIPTS = [
    "scripts.train.train_ner", "scripts.train.ensemble_soft_targets", "scripts.train.package_model",
    "scripts.train.build_zh_bigrams", "scripts.eval.eval_ner", "scripts.eval.sweep_cascade",
    "scripts.eval.sweep_style", "scripts.bench.bench", "scripts.bench.bench_numeric",
    "scripts.bench.bench_ray", "scripts.data.check_identical", "scripts.data.splits",
]


@pytest.mark.parametrize("module", SCRIPTS)
def test_scripts_run_as_modules(module):
    out = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "usage:" in out.stdout
