"""Whole-file outputs that appear only when complete."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced_on_success(path: str | Path) -> Iterator[Path]:
    """A path to write a whole file to that becomes ``path`` only when the block ends without an
    exception. A report or a table cut short (a truncated input, Ctrl-C, a full disk) leaves no
    partial file, and a file that was there before stays until its replacement is complete. Used
    by the record tools, whose outputs are whole files (``shinbun run`` writes line by line, for
    ``--resume``).

    The file is written under a temporary name beside the target (unique, so a run killed before
    it could clean up never hands its leftovers to the next one) and renamed over it; a symlink is
    followed (the file it points to is replaced, the link stays) and the mode of a file replaced is
    kept. A target that is not a regular file (``/dev/stdout``, a pipe) is written in place."""
    try:
        st = os.stat(path)  # through symlinks: /dev/stdout is a pipe or a terminal
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        yield Path(path)
        return
    final = Path(os.path.realpath(path))
    if not final.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no such folder {final.parent}", str(path))
    tmp = final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
