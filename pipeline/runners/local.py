"""The local runner: read inputs, process each article, write records in input order.

Single process for now; every input item yields exactly one output line (a record or an error
record), and error records are also copied to the errors file when one is given.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core import Pipeline
from pipeline.io.readers import read_articles
from pipeline.io.writers import JsonlWriter
from pipeline.serialize import is_error


@dataclass
class Summary:
    articles: int = 0
    characters: int = 0
    errors: int = 0
    seconds: float = 0.0
    languages: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    error_types: Counter = field(default_factory=Counter)

    def add(self, record: dict) -> None:
        if is_error(record):
            self.errors += 1
            self.error_types[f"{record['error']['stage']}:{record['error']['type']}"] += 1
            return
        self.articles += 1
        self.characters += len(record["text"])
        self.languages[record["lang"]] += 1
        self.labels.update(e["label"] for e in record["entities"])

    def lines(self) -> list[str]:
        rate = self.characters / self.seconds if self.seconds > 0 else 0.0
        out = [
            f"{self.articles} articles, {self.errors} errors, {self.characters:,} characters in {self.seconds:.1f}s ({rate:,.0f} chars/s)",
        ]
        if self.languages:
            out.append("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(self.languages.items())))
        if self.labels:
            out.append("entities: " + ", ".join(f"{k} {v}" for k, v in sorted(self.labels.items())))
        if self.error_types:
            out.append("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(self.error_types.items())))
        return out


def run(
    nlp: Pipeline,
    inputs: Iterable[str | Path],
    output: str | Path,
    errors: str | Path | None = None,
) -> Summary:
    summary = Summary()
    t0 = time.perf_counter()
    err_writer = JsonlWriter(errors) if errors else None
    try:
        with JsonlWriter(output) as writer:
            for record in nlp.process_all(read_articles(inputs)):
                writer.write(record)
                if err_writer is not None and is_error(record):
                    err_writer.write(record)
                summary.add(record)
    finally:
        if err_writer is not None:
            err_writer.close()
    summary.seconds = time.perf_counter() - t0
    return summary
