"""Atomic file writes (a file under its final name is always whole), and files only their owner can read."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(path: Path) -> Path:
    """`path`, created if missing, that only its owner can read or enter whatever the umask (an existing one is
    tightened): the warehouse, its backups and the mail hold every billing line, email and password hash."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    path.chmod(PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """`path`, created empty if missing, that only its owner can read or write (an existing one is tightened)."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    path.chmod(PRIVATE_FILE)
    return path


@contextmanager
def written_atomically(target: Path, *, private: bool = False) -> Iterator[Path]:
    """A temporary path beside `target` to write; renamed to `target` only if the block ends without error.

    A crash or an error never leaves half a file under the final name, and the temporary file is removed. A
    `private` file is readable by its owner only from the moment it has its name.
    """
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        if private:
            partial.chmod(PRIVATE_FILE)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
