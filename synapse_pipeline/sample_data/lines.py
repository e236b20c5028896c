"""Building blocks both exports' lines are made of: text tables, exact duplicates, forced coverage, draws.

Lines are assembled column-wise from per-line text pieces in blocks of BLOCK_ROWS, so memory stays small.
"""

import itertools

import numpy as np

BLOCK_ROWS = 100_000


def text_table(values: list[str]) -> np.ndarray:
    """An object array of strings, to turn index arrays into text pieces by fancy indexing."""
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table


def milli_text(value: int) -> str:
    """Thousandths as a decimal with a point and 3 places: -1234 -> '-1.234'."""
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 1000}.{abs(value) % 1000:03d}"


def duplicate_count(rows: int, ratio: tuple[int, int]) -> int:
    """Duplicate lines among `rows` lines, at the real file's ratio."""
    return round(rows * ratio[0] / ratio[1])


def duplicate_positions(rng: np.random.Generator, unique: int, duplicates: int) -> np.ndarray:
    """Sorted, distinct line numbers (among the unique lines) that are written twice."""
    return np.sort(rng.choice(unique, duplicates, replace=False)) if duplicates else np.empty(0, np.int64)


def line_repeats(positions: np.ndarray, start: int, stop: int) -> np.ndarray:
    """1 for each line of [start, stop), 2 for those in `positions`."""
    repeats = np.ones(stop - start, dtype=np.int64)
    inside = positions[(positions >= start) & (positions < stop)]
    repeats[inside - start] = 2
    return repeats


def force(rng: np.random.Generator, values: np.ndarray, choices: np.ndarray) -> None:
    """Put each of `choices` at least once into `values` (as far as it is long), at random positions."""
    count = min(len(choices), len(values))
    values[rng.choice(len(values), count, replace=False)] = choices[:count]


def truncated_lognormal(
    rng: np.random.Generator, size: int, median: float, sigma: float, low: float, high: float
) -> np.ndarray:
    """Log-normal values redrawn until they fall in [low, high]."""
    values = rng.lognormal(np.log(median), sigma, size)
    outside = (values < low) | (values > high)
    while outside.any():
        values[outside] = rng.lognormal(np.log(median), sigma, int(outside.sum()))
        outside = (values < low) | (values > high)
    return values


def join_lines(pieces: list[np.ndarray], repeats: np.ndarray) -> str:
    """Lines from per-line text pieces (each already ending in '|' or the line end), duplicates repeated."""
    columns = [np.repeat(piece, repeats).tolist() for piece in pieces]
    return "".join(itertools.chain.from_iterable(zip(*columns, strict=True)))
