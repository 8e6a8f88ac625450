"""The project's scripts, run from the repository root as modules: ``python -m scripts.<group>.<name>``.

- ``scripts.train``: the training recipe of the shipped models (``train_*_distilled.sh`` run it).
- ``scripts.bench``: throughput benchmarks (pipeline vs GiNZA, the numeric grammar, Ray).
- ``scripts.eval``: dev-set evaluation of models and of their inference settings.
- ``scripts.data``: building the sample corpus, and checking that two revisions give the same records.
"""

from pathlib import Path

# the repository root, and the public corpora beside it (never committed; see ../shared/data/*/README.md)
ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
