"""Atomic file writes: a file under its final name is always whole."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` to write; renamed to `target` only if the block ends without error.

    A crash or an error never leaves half a file under the final name, and the temporary file is removed.
    """
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
