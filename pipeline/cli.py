"""The `shinbun` command. Thin: every command delegates to the Python API."""

from __future__ import annotations

import errno
import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="shinbun: Japanese and Chinese news articles -> one JSON record of entities per article.",
)


def _fail(message: str) -> None:
    typer.echo(f"shinbun: error: {message}", err=True)
    raise typer.Exit(code=2)


def _stops_on_signals(command):
    """SIGINT (Ctrl-C) or SIGTERM during ``command``: no traceback, one line (from the runner that
    was stopped: how many records were written, how to continue), the summary unless --quiet,
    exit status 130 / 143. The runners stop as pipeline.runners.local.stop_on_signals describes."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from pipeline.report.records import RecordsFormatError
        from pipeline.runners.local import Interrupted, stop_on_signals

        with stop_on_signals():
            try:
                return command(*args, **kwargs)
            except RecordsFormatError as exc:
                # a records file found truncated or corrupt part-way: no output is left behind
                # (the record tools write whole files, pipeline.io.atomic)
                _fail(str(exc))
            except Interrupted as exc:
                typer.echo(f"shinbun: {exc.line or 'interrupted'}", err=True)
                if exc.summary is not None and not kwargs.get("quiet"):
                    for line in exc.summary.lines():
                        typer.echo(line, err=True)
                raise typer.Exit(code=exc.exit_code) from None

    return wrapper


def _progress_printer(quiet: bool):
    """A progress callback: a live rich bar on a terminal, plain log lines every 10 s otherwise."""
    if quiet:
        return None, None
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        bar = Progress(
            TextColumn("[bold]shinbun"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )
        task = bar.add_task("run", total=None, rate="")

        def show(summary, total):
            done = summary.articles + summary.errors
            secs = max(summary.seconds, 1e-9)
            bar.update(task, completed=done, total=total,
                       rate=f"{done / secs:,.1f} art/s {summary.characters / secs:,.0f} chars/s, {summary.errors} errors")

        return show, bar
    last = [0.0]

    def log(summary, total):
        if summary.seconds - last[0] < 10:
            return
        last[0] = summary.seconds
        done = summary.articles + summary.errors
        eta = ""
        if total and done:
            eta = f", ETA {summary.seconds / done * (total - done):,.0f}s"
        typer.echo(f"shinbun: {done:,}{'/' + format(total, ',') if total else ''} articles, "
                   f"{summary.characters / max(summary.seconds, 1e-9):,.0f} chars/s, {summary.errors} errors{eta}", err=True)

    return log, None


def _load_config(path: Optional[Path], sets: Optional[list[str]], no_tokens: bool = False, extra: Optional[dict] = None):
    """The packaged default + ``-c`` file + ``--set`` items (+ ``extra`` dotted settings from other options)."""
    from pipeline.config import load_config, parse_override

    overrides = dict(parse_override(item) for item in sets or ())
    if no_tokens:
        overrides["pipeline.emit_tokens"] = False
    overrides.update(extra or {})
    return load_config(path, overrides)


@app.command()
@_stops_on_signals
def run(
    inputs: Annotated[list[str], typer.Argument(help="JSONL / .txt / .html / .warc(.gz) files, directories, .gz/.bz2/.xz/.zst, Parquet/CSV/Arrow, a datasets save_to_disk folder, or - for JSONL on stdin (with --engine ray also globs and s3:// gs:// hdfs:// file:// URIs).", show_default=False)],
    output: Annotated[Optional[str], typer.Option("-o", "--output", help="Output path: .jsonl (.gz/.zst to compress), .parquet, or - for stdout (default: stdout when it is not a terminal).", show_default=False)] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Config TOML layered on the packaged pipeline/default.toml: it sets only what it changes (a [[recognizers]] list replaces the default list whole).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override one setting, KEY=VALUE with a dotted key and a TOML value, e.g. pipeline.emit_tokens=false or recognizers.2.style_alpha=0.5 (repeatable).")] = None,
    no_tokens: Annotated[bool, typer.Option("--no-tokens", help="Leave tokens out of the records (same as --set pipeline.emit_tokens=false).")] = False,
    text_field: Annotated[Optional[str], typer.Option("--text-field", help="The input field (JSONL key, CSV/Parquet column) holding the article text (default: text).", show_default=False)] = None,
    id_field: Annotated[Optional[str], typer.Option("--id-field", help="The input field holding the id (default: id).", show_default=False)] = None,
    date_field: Annotated[Optional[str], typer.Option("--date-field", help="The input field holding the publication date (default: published).", show_default=False)] = None,
    title_field: Annotated[Optional[str], typer.Option("--title-field", help="The input field holding the title (default: title).", show_default=False)] = None,
    lang_field: Annotated[Optional[str], typer.Option("--lang-field", help="The input field holding the language code (default: lang).", show_default=False)] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language of the records that give none (ja, zh, zh-Hans, zh-Hant); by default it is detected.", show_default=False)] = None,
    langs: Annotated[Optional[str], typer.Option("--langs", help="Analyse only these languages, e.g. ja,zh (sets [pipeline] langs); other articles become SkippedLanguage error records.")] = None,
    errors: Annotated[Optional[Path], typer.Option("--errors", help="Also write error records to this JSONL file.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", "-w", min=1, help=f"Worker processes (default: the number of CPU cores, {os.cpu_count() or 1} here).", show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run: keep the records already in OUTPUT and process the rest.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary on stderr.")] = False,
    summary_json: Annotated[Optional[Path], typer.Option("--summary-json", help="Also write the end-of-run summary as JSON to this file.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (processes on this machine) or ray (Ray Data; OUTPUT is then a directory of partitions + manifest.json).")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="Ray cluster address (with --engine ray); default: RAY_ADDRESS or a local instance.")] = None,
    ray_format: Annotated[str, typer.Option("--ray-format", help="Output format with --engine ray: jsonl or parquet (sharded layout also jsonl.gz, jsonl.zst).")] = "jsonl",
    max_error_rate: Annotated[Optional[float], typer.Option("--max-error-rate", min=0.0, max=1.0, help="Exit with status 3 when more than this share of the records are error records (e.g. 0.05). Status 3 also when every record is one.", show_default=False)] = None,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="An input without any record is not a failure (exit 0 instead of 3), e.g. a day without news in a scheduled job.")] = False,
    shards: Annotated[Optional[bool], typer.Option("--shards/--no-shards", help="With --engine ray: one output shard per input file, read and written by the workers (default: when there are several input files, a glob or a URI); see docs/ray.md.")] = None,
) -> None:
    """Process articles and write one JSON record per input article (errors included, in input order)."""
    if output is None:
        if sys.stdout.isatty():
            _fail("give the output file with -o FILE (.jsonl, .jsonl.gz, .parquet), or -o - to print the records here")
        output = "-"

    from pipeline.config import ConfigError
    from pipeline.io.readers import InputPathError, check_inputs
    from pipeline.runners.local import run as run_local

    mapping = {"text_field": text_field, "id_field": id_field, "date_field": date_field, "title_field": title_field,
               "lang_field": lang_field, "lang": lang}
    try:
        if engine == "ray":  # globs and URIs are listed by the Ray runner
            from pipeline.runners.ray_shards import is_pattern_or_uri

            check_inputs([p for p in inputs if not is_pattern_or_uri(p)])
        else:
            check_inputs(inputs)
        extra = {f"input.{k}": v for k, v in mapping.items() if v is not None}
        if langs:
            extra["pipeline.langs"] = [x.strip() for x in langs.split(",") if x.strip()]
        cfg = _load_config(config, set_, no_tokens, extra)
        from pipeline.core import KNOWN_LANGS, Pipeline
        from pipeline.runners.local import input_fields

        default_lang = input_fields(cfg).default_lang
        if default_lang is not None and default_lang.strip().lower() not in KNOWN_LANGS:
            raise ConfigError(f"unknown language {default_lang!r} (known: ja, zh, zh-Hans, zh-Hant, und)")
        Pipeline(cfg)  # build once here so a bad config fails fast, before any worker starts
        if engine != "ray":
            _check_named_fields(inputs, input_fields(cfg))
        if summary_json is not None:
            from pipeline.io.readers import refuse_overwriting_inputs

            refuse_overwriting_inputs(inputs, [output, errors, summary_json])
    except (ConfigError, InputPathError) as exc:
        _fail(str(exc))
    if engine not in ("local", "ray"):
        _fail(f"--engine must be local or ray, got {engine!r}")
    if engine == "ray":
        if output == "-":
            _fail("--engine ray writes a directory of partitions: give -o OUTDIR")
        if cfg.section("input") or any(str(p) == "-" for p in inputs):
            _fail("--engine ray reads input files with the default field names: no stdin, --*-field, --lang or [input]")
        from pipeline.runners.ray_runner import run_ray

        try:
            manifest = run_ray(cfg, list(inputs), output, address=address, fmt=ray_format,
                               num_actors=workers, progress=not quiet, shards=shards, resume=resume)
        except (ConfigError, InputPathError) as exc:
            _fail(str(exc))
        if summary_json is not None:
            _write_summary(summary_json, manifest)
        if not quiet:
            typer.echo(f"ray: {manifest.get('articles', 0)} articles, {manifest.get('errors', 0)} errors -> {output}", err=True)
        _check_errors(manifest.get("articles", 0), manifest.get("errors", 0), max_error_rate, allow_empty=allow_empty)
        return
    n_workers = workers or os.cpu_count() or 1
    show, bar = _progress_printer(quiet)
    try:
        if bar is not None:
            bar.start()
        summary = run_local(cfg, inputs, output, errors=errors, workers=n_workers, resume=resume, progress=show)
    except (InputPathError, ConfigError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write output: {exc}")
    finally:
        if bar is not None:
            bar.stop()
    if summary_json is not None:
        _write_summary(summary_json, summary.as_dict())
    if not quiet:
        for line in summary.lines():
            typer.echo(line, err=True)
    _check_errors(summary.articles, summary.errors, max_error_rate, summary.skipped, allow_empty)


def _check_named_fields(inputs: list[str], fields, sample: int = 100) -> None:
    """Exit 2 when a field named with --id-field, --date-field, --title-field, --lang-field (or
    [input] in the config) is in none of the first ``sample`` records: a typo there would give
    every record a made-up id, no date or no title, with no error and status 0. (--text-field is
    not checked here: a wrong one makes every record an error record, status 3.) Inputs that can
    be read only once (standard input, a pipe) are not checked."""
    import itertools

    from pipeline.io.readers import DEFAULT_FIELDS, InputFields, read_articles
    from pipeline.record import Article

    named = {opt: getattr(fields, f) for f, opt in (("id", "--id-field"), ("date", "--date-field"),
                                                    ("title", "--title-field"), ("lang", "--lang-field"))
             if getattr(fields, f) != getattr(DEFAULT_FIELDS, f)}
    if not named or any(str(p) == "-" or not (Path(p).is_file() or Path(p).is_dir()) for p in inputs):
        return  # standard input, a pipe, /dev/stdin: they can be read only once
    # Every field but the text lands in Article.meta when the others are named so that none matches.
    probe = InputFields(text=fields.text, id="\0id", date="\0date", title="\0title", lang="\0lang", url="\0url")
    articles = [a for a in itertools.islice(read_articles(inputs, probe), sample) if isinstance(a, Article)]
    keys = {k for a in articles for k in a.meta}
    if not keys:  # text files, web pages: no fields to name
        return
    keys.add(fields.text)
    for opt, name in named.items():
        if name not in keys:
            seen = sorted(keys)
            which = "the first record has" if len(articles) == 1 else f"the first {len(articles):,} records have"
            _fail(f"{opt} {name!r}: no record has such a field ({which} "
                  f"{', '.join(seen[:20])}{', ...' if len(seen) > 20 else ''})")


def _write_summary(path: Path, summary: dict) -> None:
    import orjson

    try:
        path.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    except OSError as exc:  # the records are written; only the summary file failed
        _fail(f"cannot write --summary-json {path}: {exc.strerror or exc}")


FAILED_RUN = 3  # the exit status of a run that wrote its output but whose records are (too many) errors


def _check_errors(articles: int, errors: int, max_rate: Optional[float], skipped: int = 0,
                  allow_empty: bool = False) -> None:
    """Exit with FAILED_RUN, one line on stderr, when the input held no record at all (unless
    ``allow_empty``), when every record is an error record, or when the share of error records is
    above ``max_rate``. (Written even with --quiet: it is the failure.) ``skipped``: records a
    resumed run found already written; a resumed run with nothing left to do is not a failure."""
    total = articles + errors
    if total == 0:
        if skipped or allow_empty:
            return
        typer.echo("shinbun: error: the input holds no record (0 articles read): nothing was processed "
                   "(--allow-empty if that can be right)", err=True)
        raise typer.Exit(code=FAILED_RUN)
    if errors == total:
        typer.echo(f"shinbun: error: all {total:,} records are error records (no article was processed)", err=True)
        raise typer.Exit(code=FAILED_RUN)
    if max_rate is not None and errors / total > max_rate:
        typer.echo(f"shinbun: error: {errors:,} of {total:,} records are error records ({errors / total:.1%}), "
                   f"above --max-error-rate {max_rate:g}", err=True)
        raise typer.Exit(code=FAILED_RUN)


@app.command()
def schema() -> None:
    """Print the JSON Schema of output records."""
    from pipeline.schema import schema_text

    sys.stdout.write(schema_text())


@app.command("eval")
def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="Gold JSONL in the ../shared/data format (text + entities).")],
    labels: Annotated[Optional[list[str]], typer.Option("--labels", help="Score only these labels (repeat or comma-separate).")] = None,
    map_: Annotated[Optional[str], typer.Option("--map", help="Label mapping applied to gold and predictions, e.g. GPE=LOC,FAC=LOC.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N gold records.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Also a 95% interval of the micro F1 from N resamples of the documents (e.g. 1000).")] = 0,
) -> None:
    """Strict span+label precision/recall/F1 of the configured pipeline on a gold file."""
    import orjson

    from pipeline.config import ConfigError
    from pipeline.evaluation import evaluate_pipeline, parse_label_map

    label_list = [x for item in (labels or []) for x in item.split(",") if x] or None
    try:
        label_map = parse_label_map(map_)
        result = evaluate_pipeline(
            gold, config=config, labels=label_list, label_map=label_map, limit=limit, bootstrap=bootstrap
        )
    except (ConfigError, ValueError, OSError) as exc:  # OSError: a gold path that is a folder, unreadable
        _fail(str(exc))
    unseen = [lab for lab in label_list or [] if not any(result["per_label"].get(lab, {}).get(k) for k in ("tp", "fp", "fn"))]
    if unseen:
        typer.echo(f"shinbun eval: warning: {', '.join(unseen)} occur{'s' if len(unseen) == 1 else ''} in neither the gold "
                   "entities nor the predictions (after --map): a typo, or a label this file does not use?", err=True)
    if result["errors"]:
        kinds = ", ".join(f"{k} {n}" for k, n in result["error_types"].items())
        typer.echo(f"shinbun eval: warning: {result['errors']} of {result['records']} records are error records "
                   f"({kinds}; first: {result['first_error']}); they count as texts with no entity", err=True)
    if as_json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        from pipeline.scoring import format_table

        typer.echo(format_table(result))


def _print_version(value: bool) -> None:
    if value:
        from pipeline import __version__

        typer.echo(f"shinbun {__version__}")
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """shinbun: Japanese and Chinese news articles -> one JSON record of entities per article."""


@app.command()
def version() -> None:
    """Print the shinbun version."""
    _print_version(True)


# --- Inspecting records: view, entities, stats (pipeline.report) ---

def _split_labels(labels: Optional[list[str]]) -> Optional[list[str]]:
    from pipeline.record import LABELS

    out = [x.strip().upper() for item in (labels or []) for x in item.split(",") if x.strip()]
    unknown = [x for x in out if x not in LABELS]
    if unknown:  # a typo would otherwise select nothing and exit 0
        _fail(f"unknown label{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: the labels are {', '.join(LABELS)}")
    return out or None


def _records(path: Path, limit: Optional[int]):
    """The records of ``path`` (JSONL, compressed or not, or Parquet; ``-``: stdin), or exit 2
    with one line when it is missing or not a records file."""
    from pipeline.report.records import RecordsFormatError, iter_records

    if str(path) != "-" and not path.is_file():
        _fail(f"no such records file: {path}")
    try:
        return iter_records(path, limit=limit)
    except (RecordsFormatError, OSError) as exc:
        _fail(str(exc))


RECORDS_HELP = "Records written by `shinbun run`: JSONL (.gz/.zst too; - for stdin) or Parquet."


@app.command()
@_stops_on_signals
def view(
    records: Annotated[Path, typer.Argument(help=RECORDS_HELP, show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write (- for standard output).")],
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N records.")] = None,
    label: Annotated[Optional[list[str]], typer.Option("--label", help="Keep only entities with this label, and articles that have one (repeat or comma-separate).")] = None,
    query: Annotated[Optional[str], typer.Option("--query", help="Keep only articles whose id, title, text or an entity contains TEXT.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Top entities per label in the overview.")] = 10,
    max_articles: Annotated[int, typer.Option("--max-articles", min=0, help="Embed the bodies of the first N records kept (0: all); the overview and corpus views count every record.")] = 1000,
    aliases: Annotated[Optional[Path], typer.Option("--aliases", help="TSV of form<TAB>key lines that merge entity keys in the corpus views.")] = None,
) -> None:
    """Write a self-contained HTML report: corpus overview, entity timeline, co-occurrence, KWIC, articles with highlighted entities, filters, search."""
    from pipeline.report.html import write_report

    al = _load_aliases(aliases)
    _not_an_input(output, [records, aliases])
    recs = _records(records, limit)
    try:
        summary = write_report(recs, output, labels=_split_labels(label), query=query, top=top,
                               title=f"shinbun: {records.name}", max_articles=max_articles or None, aliases=al)
    except OSError as exc:
        _fail(str(exc))
    s = summary.stats
    typer.echo(f"shinbun: wrote {output}: {summary.included:,} of {summary.read:,} records "
               f"({s.articles:,} articles, {s.errors:,} errors, {s.mentions:,} mentions"
               f"{'' if summary.embedded == summary.included else f'; {summary.embedded:,} article bodies embedded'})", err=True)


@app.command()
@_stops_on_signals
def entities(
    records: Annotated[Path, typer.Argument(help=RECORDS_HELP, show_default=False)],
    output: Annotated[str, typer.Option("-o", "--output", help="Output .parquet, .csv or .jsonl (- for CSV on stdout).")] = "-",
    aggregate: Annotated[bool, typer.Option("--aggregate", help="One row per (label, cross-script entity key) with article and mention counts.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N records.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Articles and mentions per entity key and day, week, month or auto (from the corpus's span); RECORDS may be a `shinbun db` file.")] = None,
    aliases: Annotated[Optional[Path], typer.Option("--aliases", help="With --by: TSV of form<TAB>key lines that merge entity keys.")] = None,
    label: Annotated[Optional[list[str]], typer.Option("--label", help="Keep only entities with this label (repeat or comma-separate).")] = None,
    lang: Annotated[Optional[list[str]], typer.Option("--lang", help="Keep only articles in this language: ja, zh-Hans, zh-Hant, or zh for both (repeat or comma-separate).")] = None,
    min_articles: Annotated[int, typer.Option("--min-articles", min=1, help="With --aggregate: only entities found in at least N articles.")] = 1,
    sort: Annotated[str, typer.Option("--sort", help="With --aggregate: order by articles (as `stats`) or mentions, descending.")] = "articles",
) -> None:
    """Write a table of entity mentions (one row each), or with --aggregate one row per entity."""
    from pipeline.report.tables import SORTS, OutputFormatError, output_format, select, write_aggregate, write_mentions

    if by is not None:
        if lang or label or aggregate or min_articles != 1 or sort != "articles":
            _fail("--by counts every entity of every article: --lang, --label, --aggregate, --min-articles "
                  "and --sort do not apply to it")
        return _entities_by(records, output, by, aliases, limit)
    try:
        output_format(output)
    except OutputFormatError as exc:
        _fail(str(exc))
    _not_an_input(output, [records])
    if sort not in SORTS:
        _fail(f"--sort must be one of {', '.join(SORTS)}, got {sort!r}")
    if not aggregate and (min_articles != 1 or sort != "articles"):
        _fail("--min-articles and --sort apply to --aggregate")
    if aliases is not None:
        _fail("--aliases applies to --by (and to view, db, cooccur and kwic)")
    langs = [x.strip() for item in (lang or []) for x in item.split(",") if x.strip()] or None
    from pipeline.record import LANGS

    known = ("zh", *LANGS)  # zh: both scripts (pipeline.report.tables.select)
    unknown = [x for x in langs or () if x not in known]
    if unknown:  # a typo or another spelling (zh-CN, ZH) would select nothing and exit 0
        _fail(f"unknown language {', '.join(unknown)}: the record languages are {', '.join(known)}")
    recs = select(_records(records, limit), _split_labels(label), langs)
    try:
        if aggregate:
            n = write_aggregate(recs, output, sort=sort, min_articles=min_articles)
        else:
            n = write_mentions(recs, output)
    except (OutputFormatError, OSError) as exc:
        _fail(str(exc))
    _said_rows(n, output)


@app.command()
@_stops_on_signals
def stats(
    records: Annotated[Path, typer.Argument(help=RECORDS_HELP, show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Top entities per label.")] = 10,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N records.")] = None,
) -> None:
    """Overview numbers of a records file: articles, characters, languages, errors, entities per label, top entities."""
    import orjson

    from pipeline.report.stats import compute_stats, stats_table

    recs = _records(records, limit)
    try:
        result = compute_stats(recs, top=top)
    except OSError as exc:
        _fail(str(exc))
    if as_json:
        sys.stdout.write(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    from rich.console import Console

    console = Console()
    for table in stats_table(result):
        console.print(table)


# --- Corpus questions: db, entities --by, cooccur, kwic (pipeline.report.corpus, pipeline.report.db) ---

_SOURCES_HELP = "Records JSONL files written by `shinbun run` (.gz/.zst too), or one DuckDB file written by `shinbun db`."


def _load_aliases(path: Optional[Path]):
    from pipeline.report.corpus import AliasError, Aliases

    try:
        return Aliases.load(path)
    except AliasError as exc:
        _fail(str(exc))


def _records_of(paths: list[Path], limit: Optional[int] = None):
    import itertools

    streams = [_records(p, None) for p in paths]  # each checked now: a bad file fails before any work
    return itertools.islice(itertools.chain.from_iterable(streams), limit)


def _corpus_source(paths: list[Path], aliases: Optional[Path]):
    """A read-only DuckDB connection when ``paths`` is one DuckDB file, else None (records)."""
    from pipeline.report.db import connect, is_duckdb

    if not any(is_duckdb(p) for p in paths):
        return None
    if len(paths) != 1:
        _fail("give one DuckDB file, or records files, not both")
    if aliases is not None:
        _fail("aliases are applied when the database is written: shinbun db --aliases FILE")
    return connect(paths[0])


def _said_rows(n: int, output: str) -> None:
    """One line on stderr after a table is written: its size, or for stdout an empty table."""
    if output != "-":
        typer.echo(f"shinbun: wrote {n:,} rows to {output}", err=True)
    elif n == 0:  # a header alone on a terminal is easily taken for a failure, or missed
        typer.echo("shinbun: no row: nothing in the records matches (the table is its header line)", err=True)


def _write_table(rows, columns, output: str, kinds: dict[str, str]) -> None:
    from pipeline.report.tables import OutputFormatError, write_rows

    try:
        n = write_rows(rows, columns, output, kinds)
    except (OutputFormatError, OSError) as exc:
        _fail(str(exc))
    _said_rows(n, output)


def _check_output(output: str, sources: list[Optional[Path]]) -> None:
    from pipeline.report.tables import OutputFormatError, output_format

    try:
        output_format(output)
    except OutputFormatError as exc:
        _fail(str(exc))
    _not_an_input(output, sources)


def _not_an_input(output, sources) -> None:
    """Exit 2 when ``output`` is one of the files read (it would be replaced by a table or a report)."""
    from pipeline.io.readers import InputPathError, refuse_overwriting_inputs

    try:
        refuse_overwriting_inputs([p for p in sources if p is not None], [output])
    except InputPathError as exc:
        _fail(str(exc))


def _corpus_rows(sources: list[Path], aliases: Optional[Path], output: str, from_db, from_records, limit: Optional[int] = None):
    """Rows of a corpus question: ``from_db(connection)`` when ``sources`` is a DuckDB file, else
    ``from_records(records, aliases)``; fails before reading anything when ``output`` is unusable."""
    _check_output(output, [*sources, aliases])
    con = _corpus_source(sources, aliases)
    if con is not None:
        if limit is not None:
            _fail("--limit applies to records files, not to a DuckDB file")
        return from_db(con)
    return from_records(_records_of(sources, limit), _load_aliases(aliases))


def _entities_by(records: Path, output: str, by: str, aliases: Optional[Path], limit: Optional[int]) -> None:
    from pipeline.report import corpus, db

    if by not in ("auto", *corpus.PERIODS):
        _fail(f"--by must be auto, day, week or month, got {by!r}")
    rows = _corpus_rows([records], aliases, output, lambda con: db.timeline_rows(con, by),
                        lambda recs, al: corpus.timeline_rows(corpus.build_index(recs, aliases=al, pairs=False), by), limit)
    _write_table(rows, corpus.TIMELINE_COLUMNS, output, {})


@app.command("db")
@_stops_on_signals
def db_command(
    records: Annotated[list[Path], typer.Argument(help="Records JSONL files written by `shinbun run` (.gz/.zst too; - for stdin).", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The DuckDB file to write (replaced if it exists).")],
    aliases: Annotated[Optional[Path], typer.Option("--aliases", help="TSV of form<TAB>key lines that merge entity keys.")] = None,
    sentences: Annotated[bool, typer.Option("--sentences", help="Also a table of sentence spans.")] = False,
    memory_limit: Annotated[str, typer.Option("--memory-limit", help="DuckDB's memory limit; beyond it DuckDB spills to disk.")] = "512MB",
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N records.")] = None,
) -> None:
    """Load records into a DuckDB file: articles, mentions, clusters, entities, views for time, co-occurrence, KWIC (docs/corpus.md)."""
    from pipeline.report.db import DatabaseError, load

    if str(output) == "-":
        _fail("-o -: a DuckDB database is a file, it cannot go to standard output; name a file such as corpus.duckdb")
    al = _load_aliases(aliases)
    _not_an_input(output, [*records, aliases])
    try:
        corpus = load(_records_of(records, limit), output, aliases=al, sentences=sentences, memory_limit=memory_limit)
    except (OSError, DatabaseError) as exc:
        _fail(str(exc))
    typer.echo(f"shinbun: wrote {output}: {corpus['articles']:,} articles ({corpus['dated_articles']:,} dated, "
               f"{corpus['first_date'] or '-'} to {corpus['last_date'] or '-'})", err=True)


@app.command()
@_stops_on_signals
def cooccur(
    sources: Annotated[list[Path], typer.Argument(help=_SOURCES_HELP, show_default=False)],
    output: Annotated[str, typer.Option("-o", "--output", help="Output .parquet, .csv or .jsonl (- for CSV on stdout).")] = "-",
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Only pairs that share at least N articles.")] = 2,
    label: Annotated[Optional[list[str]], typer.Option("--label", help="Only entities with this label (repeat or comma-separate; default: all but MONEY, PERCENT, DATE).")] = None,
    entity: Annotated[Optional[str], typer.Option("--entity", help="Only pairs with this entity (any script form of its key).")] = None,
    aliases: Annotated[Optional[Path], typer.Option("--aliases", help="TSV of form<TAB>key lines that merge entity keys (records only).")] = None,
) -> None:
    """Entity pairs by shared articles and sentences, with lift and PMI."""
    from pipeline.report import corpus, db

    opts = {"min_count": min_count, "labels": _split_labels(label), "entity": entity}
    rows = _corpus_rows(sources, aliases, output, lambda con: db.cooccur_rows(con, **opts),
                        lambda recs, al: corpus.cooccur_rows(corpus.build_index(recs, aliases=al), **opts))
    _write_table(rows, corpus.COOCCUR_COLUMNS, output,
                 {"sentences": "int", "articles_a": "int", "articles_b": "int", "lift": "float", "pmi": "float"})


@app.command()
@_stops_on_signals
def kwic(
    key: Annotated[str, typer.Argument(help="The entity: its key or any script form of it (騰訊 finds 腾讯).", show_default=False)],
    sources: Annotated[list[Path], typer.Argument(help=_SOURCES_HELP, show_default=False)],
    output: Annotated[str, typer.Option("-o", "--output", help="Output .parquet, .csv or .jsonl (- for CSV on stdout).")] = "-",
    width: Annotated[int, typer.Option("--width", min=0, help="Characters of context on each side.")] = 30,
    label: Annotated[Optional[list[str]], typer.Option("--label", help="Only mentions with this label.")] = None,
    aliases: Annotated[Optional[Path], typer.Option("--aliases", help="TSV of form<TAB>key lines that merge entity keys (records only).")] = None,
) -> None:
    """Keyword in context: every mention of an entity with its left and right context, article id and date."""
    from pipeline.report import corpus, db

    labels = _split_labels(label)
    rows = _corpus_rows(sources, aliases, output, lambda con: db.kwic_rows(con, key, width=width, labels=labels),
                        lambda recs, al: corpus.kwic_rows(recs, key, aliases=al, width=width, labels=labels))
    _write_table(rows, corpus.KWIC_COLUMNS, output, {})


def main() -> None:
    # shinbun parallelises with worker processes (one per core); BLAS threads on top of that
    # only oversubscribe the cores, and the models' small matrices run fastest on one thread.
    # Must be set before numpy is first imported. An explicit setting by the user wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        app()
    except OSError as exc:
        # A write the system refused (a full disk, an I/O error, a quota, a file too large), most
        # often to standard output, which the commands do not guard one by one: a problem of the
        # place written to, not a bug, so one line and exit 2. Other OSErrors keep their traceback.
        if exc.errno not in _WRITE_REFUSED:
            raise
        typer.echo(f"shinbun: error: cannot write output: {exc}", err=True)
        # What is still buffered for stdout would fail again when Python flushes it at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(2)


_WRITE_REFUSED = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG})


if __name__ == "__main__":
    main()
