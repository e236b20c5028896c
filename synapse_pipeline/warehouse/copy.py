"""COPY payloads: typed frames made into the binary rows PostgreSQL's `COPY` reads (psycopg 3), or rows for SQLite.

Batches are made in the read-ahead thread; `copy_batch` writes one inside the caller's transaction.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pgpq import ArrowToPostgresBinaryEncoder
from sqlalchemy import Connection, DateTime, Integer, Numeric, String, Table
from sqlalchemy.types import TypeEngine

PREPARE = "prepare COPY rows"  # the stage that turns typed chunks into COPY's input
# Numbers go at three decimal places whatever a batch holds (the exports' weights are tonnes to the kilogram): a value
# is stored alike in a full load and in a month loaded again, and sums of it keep one scale. A finer value goes through
# its text; a decimal's digits must be an integer a double holds exactly.
DECIMAL_PLACES = 3
EXACT_INTEGERS = 2.0**53
DECIMAL_DIGITS = 38  # Arrow's decimal128
PIECE_ROWS = 25_000  # rows encoded at a time: a batch's binary rows are sent in pieces, never copied whole


@dataclass(frozen=True)
class Batch:
    """Rows on their way into a table, with the binary rows that COPY reads on PostgreSQL already made.

    Batches are made in the read-ahead thread, so the loading thread only sends while PostgreSQL stores.
    """

    frame: pd.DataFrame
    payload: tuple[bytes, ...] | None = None


def batches(
    frames: Iterable[pd.DataFrame],
    table: Table,
    dialect: str,
    seconds: Counter[str],
    keep: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> Iterator[Batch]:
    """The frames' rows (those `keep` selects) as batches of `table` for `dialect`; the time taken goes to
    `seconds[PREPARE]`."""
    for frame in frames:
        started = time.perf_counter()
        if keep is not None:
            frame = frame[keep(frame)]
        batch = Batch(frame, copy_binary(frame, table) if dialect == "postgresql" and not frame.empty else None)
        seconds[PREPARE] += time.perf_counter() - started
        yield batch


def copy_binary(frame: pd.DataFrame, table: Table) -> tuple[bytes, ...]:
    """`frame` in COPY's binary format, encoded from Arrow by pgpq (Rust): PostgreSQL stores it about a third faster
    than the same rows as CSV, having no text to parse into numbers and dates.

    Binary values must be of their column's own type, so each column is cast to it first: integers to the column's
    width (one too large fails, as CSV would), timestamps to microseconds, numbers to the exact decimals CSV's text
    would have stored (at three places: 47.350 where CSV stored 47.35).
    """
    rows = pa.Table.from_pandas(frame, preserve_index=False)
    columns = [_as_column_type(rows[name], table.c[name].type) for name in rows.column_names]
    typed = pa.table(columns, names=rows.column_names)
    encoder = ArrowToPostgresBinaryEncoder(typed.schema)
    pieces = (encoder.write_batch(b) for b in typed.to_batches(max_chunksize=PIECE_ROWS))
    return (encoder.write_header(), *pieces, encoder.finish())


# The Arrow type each column type of the loaded tables goes as; their decimals are `_exact_decimal`'s.
_BINARY_TYPES: dict[type[TypeEngine], pa.DataType] = {
    Integer: pa.int32(),
    DateTime: pa.timestamp("us"),
    String: pa.large_string(),
}


def _as_column_type(values: pa.ChunkedArray, type_: TypeEngine) -> pa.Array | pa.ChunkedArray:
    """The values as their column's own binary type; a column type no loaded table has is refused, by name."""
    if type(type_) is Numeric:
        return _exact_decimal(values)
    if type(type_) not in _BINARY_TYPES:
        raise TypeError(f"no binary COPY for a {type_!r} column")
    return values.cast(_BINARY_TYPES[type(type_)])


def _exact_decimal(values: pa.ChunkedArray) -> pa.Array:
    """Numbers as decimals at DECIMAL_PLACES, each the value CSV's shortest text would have sent; vectorised, since
    Arrow's own cast from text is two orders of magnitude slower."""
    doubles = values.combine_chunks().cast(pa.float64())
    present = doubles.is_valid()
    numbers = doubles.fill_null(0.0).to_numpy()
    units = np.rint(numbers * 10.0**DECIMAL_PLACES)
    if not (np.all(np.abs(units) < EXACT_INTEGERS) and np.array_equal(units / 10.0**DECIMAL_PLACES, numbers)):
        return _decimal_from_text(doubles)
    whole = units.astype(np.int64)
    limbs = np.column_stack([whole, whole >> 63])  # each value as 128 bits, little-endian two's complement
    decimals = pa.Array.from_buffers(
        pa.decimal128(DECIMAL_DIGITS, DECIMAL_PLACES), len(whole), [None, pa.py_buffer(limbs)]
    )
    return pc.if_else(present, decimals, pa.scalar(None, decimals.type))


def _decimal_from_text(doubles: pa.Array) -> pa.Array:
    """Doubles finer than DECIMAL_PLACES, through their shortest text, at the fewest places that hold them exactly."""
    text = pc.cast(doubles, pa.string())
    for scale in range(DECIMAL_PLACES, DECIMAL_DIGITS):
        try:
            return pc.cast(text, pa.decimal128(DECIMAL_DIGITS, scale))  # refuses a value it would have to round
        except pa.ArrowInvalid:
            continue
    raise ValueError(f"a number does not fit {DECIMAL_DIGITS} digits: {doubles.slice(0, 3)}")


def copy_batch(conn: Connection, table: Table, batch: Batch) -> int:
    """Append the batch (columns named as the table's) to `table`; returns the rows written."""
    frame = batch.frame
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(c) for c in frame.columns)
        sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN WITH (FORMAT binary)"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(sql) as copy:
            for piece in batch.payload if batch.payload is not None else copy_binary(frame, table):
                copy.write(piece)
    else:
        conn.execute(table.insert(), frame.to_dict("records"))
    return len(frame)
