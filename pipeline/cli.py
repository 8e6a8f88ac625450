"""The `shinbun` command. Thin: every command delegates to the Python API."""

from __future__ import annotations

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


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="JSONL / .txt files, directories, .gz/.bz2/.xz/.zst, Parquet/CSV/Arrow, or a datasets save_to_disk folder.", show_default=False)],
    output: Annotated[str, typer.Option("-o", "--output", help="Output JSONL path (.gz/.zst to compress), or - for stdout.")] = "-",
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Config TOML (default: the packaged configs/default.toml).")] = None,
    errors: Annotated[Optional[Path], typer.Option("--errors", help="Also write error records to this JSONL file.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Process articles and write one JSON record per input article (errors included, in order)."""
    from pipeline.config import ConfigError
    from pipeline.core import load
    from pipeline.io.readers import InputPathError, check_inputs
    from pipeline.runners.local import run as run_local

    try:
        check_inputs(inputs)
        nlp = load(config)
    except (ConfigError, InputPathError) as exc:
        _fail(str(exc))
    try:
        summary = run_local(nlp, inputs, output, errors=errors)
    except InputPathError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write output: {exc}")
    if not quiet:
        for line in summary.lines():
            typer.echo(line, err=True)


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
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N gold records.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Strict span+label precision/recall/F1 of the configured pipeline on a gold file."""
    import orjson

    from pipeline.config import ConfigError
    from pipeline.evaluation import evaluate_pipeline, parse_label_map

    label_list = [x for item in (labels or []) for x in item.split(",") if x] or None
    try:
        label_map = parse_label_map(map_)
        result = evaluate_pipeline(gold, config=config, labels=label_list, label_map=label_map, limit=limit)
    except (ConfigError, ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    if as_json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        from pipeline.evaluate import format_table

        typer.echo(format_table(result))


@app.command()
def version() -> None:
    """Print the shinbun version."""
    from pipeline import __version__

    typer.echo(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
