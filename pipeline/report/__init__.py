"""Inspect extracted records without writing code: an HTML report, entity tables, overview numbers.

- :mod:`pipeline.report.records`: read records files (.jsonl, .gz, .zst, ...) defensively.
- :mod:`pipeline.report.stats`: overview numbers (``shinbun stats``, the report's overview).
- :mod:`pipeline.report.tables`: mentions and per-entity tables (``shinbun entities``).
- :mod:`pipeline.report.html`: the self-contained HTML report (``shinbun view``), with the corpus
  views of :mod:`pipeline.report.corpus_html`.
- :mod:`pipeline.report.corpus`: entities over time, co-occurrence, keyword in context, aliases
  (``shinbun entities --by``, ``cooccur``, ``kwic``); :mod:`pipeline.report.db`: the same from a
  DuckDB file (``shinbun db``). See docs/corpus.md.
"""

from pipeline.report.records import Entity, Record, iter_records
from pipeline.report.stats import Stats, compute_stats
from pipeline.report.tables import write_aggregate, write_mentions


def write_report(*args, **kwargs):
    """See :func:`pipeline.report.html.write_report`."""
    from pipeline.report.html import write_report as _write_report

    return _write_report(*args, **kwargs)


__all__ = ["Entity", "Record", "Stats", "compute_stats", "iter_records", "write_aggregate", "write_mentions", "write_report"]
