"""Whole-file outputs that appear only when complete."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced_on_success(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write a whole file to; it becomes ``path`` (an atomic
    rename) only when the block ends without an exception, and is removed otherwise. A report or a
    table cut short (a truncated input, Ctrl-C, a full disk) leaves no partial file, and a file
    that was there before stays until its replacement is complete. Used by the record tools, whose
    outputs are whole files (``shinbun run`` writes line by line, for ``--resume``)."""
    final = Path(path)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
