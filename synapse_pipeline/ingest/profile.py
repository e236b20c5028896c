"""What the bytes of an export say about it (size, hash, lines, encoding, line endings), read in one streaming pass.

Byte-level problems (empty file, NUL bytes, a last line without its line end, mixed encodings) are refused here,
before any parsing.
"""

import codecs
import hashlib
import itertools
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synapse_pipeline.ingest.kinds import QUOTE, ExportError, split_fields

BLOCK_BYTES = 1 << 23
LINE_END = ord("\n")
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass(frozen=True)
class FileProfile:
    """What the bytes of an export say about it, read in one streaming pass."""

    path: Path
    size: int
    sha256: str
    data_lines: int
    encoding: str
    line_ending: str
    has_quotes: bool = False
    longest_line: int = 0  # bytes, its line end included: the parser's blocks must hold it


def _position_of(offset: int, path: Path) -> str:
    """`line N, column C` of a byte offset (the column read off the header; none on the header line itself)."""
    with path.open("rb") as f:
        before = f.read(offset)
    line = before.count(b"\n") + 1
    if line == 1:
        return "line 1"
    header = split_fields(before[: before.index(b"\n")].decode("utf-8", errors="replace").lstrip("\ufeff"))
    field_number = len(split_fields(before[before.rindex(b"\n") + 1 :].decode("utf-8", errors="replace"))) - 1
    if field_number >= len(header):
        return f"line {line}"
    return f"line {line}, column {header[field_number].strip()}"


def file_sha256(path: Path) -> str:
    """The file's sha256 (read into one reused buffer: no block is allocated per read)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether `data` reads as `encoding`: the test that picks cp1252 or Latin-1 once UTF-8 fails."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _blocks(path: Path) -> Iterator[bytearray]:
    """The file's bytes in blocks, read into two buffers in turn: a block stays intact while the next is read, no
    longer (the last, shorter one is a copy)."""
    buffers = (bytearray(BLOCK_BYTES), bytearray(BLOCK_BYTES))
    with path.open("rb", buffering=0) as f:
        for turn in itertools.count():
            buffer = buffers[turn % 2]
            count = f.readinto(buffer)
            if not count:
                return
            yield buffer if count == len(buffer) else buffer[:count]


def profile_file(path: Path) -> FileProfile:
    """Hash, count lines and detect the encoding (UTF-8 with or without BOM, else cp1252 or Latin-1).

    The hash is taken in a thread (hashlib leaves Python's lock) while the block is scanned; each scan runs only
    where its answer is not already known from a cheaper one (an ASCII block has no multibyte sequence, no '\r').
    """
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    size = newlines = crlf = longest_line = open_line = 0  # open_line: the bytes of the line a block ends inside
    first = b""
    last = b""
    utf8_error_at: int | None = None
    nul_at: int | None = None
    cp1252_ok = True
    has_multibyte = has_quotes = False
    hashed: Future[None] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="profile-sha256") as hasher:
        for block in _blocks(path):
            if hashed is not None:
                hashed.result()  # the block before is hashed: its buffer is the next one read into
            hashed = hasher.submit(digest.update, block)
            if not first:
                first = bytes(block[:3])
            ends = np.flatnonzero(np.frombuffer(block, np.uint8) == LINE_END)
            if ends.size:
                longest_line = max(longest_line, open_line + int(ends[0]) + 1, int(np.diff(ends).max(initial=0)))
                open_line = len(block) - int(ends[-1]) - 1
            else:
                open_line += len(block)
            newlines += ends.size
            crlf += (block.count(b"\r\n") if b"\r" in block else 0) + (last == b"\r" and block[:1] == b"\n")
            ascii_block = block.isascii()
            unfinished, _ = utf8.getstate()  # the end of the block before, if it stopped inside a sequence
            if utf8_error_at is None and not (ascii_block and not unfinished):
                try:
                    text = utf8.decode(block)
                    has_multibyte = has_multibyte or not text.isascii()
                except UnicodeDecodeError as error:
                    utf8_error_at = size + error.start
                    cp1252_ok = _decodes(unfinished, "cp1252")
            # Past the first byte UTF-8 refuses, a multibyte sequence elsewhere means a mixed file, not a Latin one.
            if utf8_error_at is not None and not has_multibyte and not ascii_block:
                has_multibyte = UTF8_MULTIBYTE.search(block) is not None
            if nul_at is None and (at := block.find(b"\0")) >= 0:
                nul_at = size + at
            has_quotes = has_quotes or QUOTE.encode() in block
            # cp1252 reads from where UTF-8 fails (`unfinished` included): the bytes before were ASCII, which it
            # reads, or the file is refused as mixed.
            if cp1252_ok and utf8_error_at is not None and not ascii_block:
                cp1252_ok = _decodes(block, "cp1252")
            size += len(block)
            last = bytes(block[-1:])
    if size == 0:
        raise ExportError(f"{path.name}: empty file (no header line)")
    if nul_at is not None:  # UTF-16, or a copy cut short and padded with zeros: no text export holds one
        raise ExportError(
            f"{path.name}, {_position_of(nul_at, path)}: NUL byte (0x00), not text "
            "(a UTF-16 file, or a copy cut short); the exports are UTF-8 or Latin-1 text"
        )
    # A file still being written, or cut short, ends inside its last line (perhaps inside a UTF-8 sequence).
    if last != b"\n":
        raise ExportError(
            f"{path.name}, line {newlines + 1}: the last line has no line end "
            "(the file may still be being written, or was cut short)"
        )
    if utf8_error_at is None:
        encoding = "utf-8-sig" if first == codecs.BOM_UTF8 else "utf-8"
    elif has_multibyte:
        raise ExportError(
            f"{path.name}, {_position_of(utf8_error_at, path)}: mixed encodings "
            "(UTF-8 elsewhere in the file, but these bytes are not UTF-8)"
        )
    else:
        encoding = "cp1252" if cp1252_ok else "latin-1"
    return FileProfile(
        path=path,
        size=size,
        sha256=digest.hexdigest(),
        data_lines=newlines - 1,
        encoding=encoding,
        line_ending="CRLF" if crlf and crlf == newlines else ("mixed" if crlf else "LF"),
        has_quotes=has_quotes,
        longest_line=longest_line,
    )
