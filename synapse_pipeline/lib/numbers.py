"""Numbers as both databases return them: one value for one figure, whichever warehouse summed it."""


def real(value: object) -> float:
    """A decimal or float from either database as a float of six decimals: PostgreSQL sums NUMERIC exactly, SQLite
    in floating point (125.755 against 125.75500000000001), and a figure must read, round and chart the same."""
    return round(float(value), 6)  # type: ignore[arg-type]
