"""The embedded default gives production's figures: SQLite and PostgreSQL agree on every derived table and on
every month's report figures.

Month ends are where the two could part: SQLite's `date(x, '-12 months')` rolls 29 February over to 1 March where
PostgreSQL stops at 28 February. The dialect's expressions are compared on every day of three years; the whole
chain (loads, KPI and forecast tables, reports) on the sample moved to end on a leap day and on two 31sts.
"""

import math
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import Column, DateTime, Engine, MetaData, Table, insert
from sqlalchemy.engine import URL

from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.lib.dates import add_months, as_date
from synapse_pipeline.reports.queries import monthly_report
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.dialect import Dialect
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import Pipeline, empty_tables, exports_moved, failure_message

TOLERANCE = 1e-6
MONTHS_BEFORE = (1, 3, 12, 13)
DAYS = [date(2023, 1, 1) + timedelta(days=n) for n in range((date(2026, 1, 1) - date(2023, 1, 1)).days)]


# ---- the dialect's expressions, on every day of 2023 to 2025 ----


@pytest.fixture
def engines(pg_database: URL, tmp_path: Path) -> Iterator[dict[str, Engine]]:
    """An SQLite file and the session's PostgreSQL database."""
    found = {"sqlite": make_engine(f"sqlite:///{tmp_path / 'dias.db'}"), "postgresql": make_engine(pg_database)}
    yield found
    for engine in found.values():
        engine.dispose()


def _evaluated(engine: Engine) -> list[tuple[str, ...]]:
    """Each expression of the dialect on every day (at midnight and just before the next), as ISO text."""
    d = Dialect(engine.dialect.name)
    dias = Table("dias", MetaData(), Column("data", DateTime), prefixes=["TEMPORARY"])
    expressions = [
        d.day("data"),
        d.month("data"),
        d.days_before("data", 7 * 52),
        d.days_between(d.month("data"), "data"),
        *(d.months_before("data", n) for n in MONTHS_BEFORE),
        d.days_between(d.months_before("data", 12), "data"),
    ]
    with engine.connect() as conn:
        dias.create(conn)
        conn.execute(
            insert(dias), [{"data": datetime.combine(day, at)} for day in DAYS for at in (time(0), time(23, 59, 59))]
        )
        rows = conn.exec_driver_sql(f"SELECT {', '.join(expressions)} FROM dias ORDER BY data").all()
    return [tuple(str(as_date(v)) if not isinstance(v, int) else str(v) for v in row) for row in rows]


def test_date_arithmetic_is_postgresql_s_on_both(engines: dict[str, Engine]) -> None:
    sqlite, postgresql = (_evaluated(engines[name]) for name in ("sqlite", "postgresql"))

    assert [row for row in zip(sqlite, postgresql, strict=True) if row[0] != row[1]] == []
    by_day = dict(zip((day.isoformat() for day in DAYS for _ in range(2)), sqlite, strict=True))
    # the day, then 1, 3, 12 and 13 months before: a month end goes to the shorter month's last day
    assert by_day["2024-02-29"][4:8] == ("2024-01-29", "2023-11-29", "2023-02-28", "2023-01-29")
    assert by_day["2025-05-31"][4:8] == ("2025-04-30", "2025-02-28", "2024-05-31", "2024-04-30")
    assert by_day["2024-03-31"][4:8] == ("2024-02-29", "2023-12-31", "2023-03-31", "2023-02-28")
    assert by_day["2025-03-29"][4:8] == ("2025-02-28", "2024-12-29", "2024-03-29", "2024-02-29")


# ---- the whole chain on both warehouses ----

# The last billing day of each case, the sample's dates (19 months of billing) moved to end there: the leap day's
# 12-month window starts after 28 February 2023 (after 1 March by SQLite's own `date(x, '-12 months')`).
ENDINGS = {"leap-day": date(2024, 2, 29), "31-may": date(2025, 5, 31), "31-august": date(2025, 8, 31)}


def _run_chain(pipeline: Pipeline) -> tuple[str, str]:
    """Every load, the KPI and forecast tables, and the reports of the last two months (rendering takes 1.5 s a
    month; every month's figures are compared, read as the report asset reads them); the first and last months."""
    pipeline.load_all_and_kpis()
    first, last = (
        as_date(day).replace(day=1) for day in pipeline.rows("SELECT MIN(data), MAX(data) FROM faturamento")[0]
    )
    result = pipeline.materialize(["relatorio_mensal"], months=(add_months(last, -1).isoformat(), last.isoformat()))
    assert result.success, failure_message(result)
    return first.isoformat(), last.isoformat()


def _plain(value: object) -> object:
    """Dates as ISO text, numbers as floats, text as it is: what both databases return, compared alike."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()[:10]
    return float(value)  # type: ignore[arg-type]


def _order(row: tuple[object, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, f"{v:.4f}" if isinstance(v, float) else str(v)) for v in row)


def _contents(pipeline: Pipeline, months: tuple[str, str]) -> dict[str, list[tuple[object, ...]]]:
    """Every derived table's rows, the reports stored (their HTML), and each month's report figures, in one order."""
    contents = {
        table: sorted((tuple(_plain(v) for v in row) for row in pipeline.rows(f"SELECT * FROM {table}")), key=_order)
        for table in DERIVED_TABLES
    }
    contents["report"] = pipeline.rows("SELECT name, content FROM report ORDER BY name")  # the HTML, charts too
    engine = pipeline.engine()
    month, last = date.fromisoformat(months[0]), date.fromisoformat(months[1])
    try:
        with engine.connect() as conn:
            while month <= last:
                report = monthly_report(conn, month)
                assert report is not None
                contents[f"figures {month:%Y-%m}"] = _flattened(asdict(report))
                month = add_months(month, 1)
    finally:
        engine.dispose()
    return contents


def _flattened(value: object, path: str = "") -> list[tuple[object, ...]]:
    """(path, value) for every scalar inside the report's figures."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flattened(item, f"{path}.{key}")]
    if isinstance(value, list | tuple):
        return [pair for i, item in enumerate(value) for pair in _flattened(item, f"{path}[{i}]")]
    return [(path, _plain(value))]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE)
    return a == b


def _differences(sqlite: dict[str, list[tuple]], postgresql: dict[str, list[tuple]]) -> list[str]:
    """Each table (or report) whose rows differ: its row counts and the first differing values."""
    found = []
    for name in sorted(sqlite.keys() | postgresql.keys()):
        left, right = sqlite.get(name, []), postgresql.get(name, [])
        values = [
            (a, b) for x, y in zip(left, right, strict=False) for a, b in zip(x, y, strict=True) if not _same(a, b)
        ]
        if len(left) != len(right) or values:
            shown = "; ".join(_difference(a, b) for a, b in values[:3])
            found.append(f"{name}: {len(left)} rows on sqlite, {len(right)} on postgresql; {shown}")
    return found


def _difference(sqlite: object, postgresql: object) -> str:
    """Two values that differ; of two documents, only the first lines that differ."""
    if isinstance(sqlite, str) and isinstance(postgresql, str) and "\n" in sqlite:
        pairs = zip(sqlite.splitlines(), postgresql.splitlines(), strict=False)
        sqlite, postgresql = next(((a, b) for a, b in pairs if a != b), (sqlite[-80:], postgresql[-80:]))
    return f"sqlite {sqlite!r} != postgresql {postgresql!r}"


@pytest.fixture
def postgresql_url(pg_database: URL) -> str:
    """The session's PostgreSQL database with its schema, every table emptied."""
    engine = make_engine(pg_database)
    upgrade_schema(engine)
    empty_tables(engine)
    engine.dispose()
    return pg_database.render_as_string(hide_password=False)


@pytest.mark.slow
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_sqlite_and_postgresql_give_the_same_tables_and_reports(
    ending: str, postgresql_url: str, sample_dir: Path, tmp_path: Path
) -> None:
    exports_moved(sample_dir, tmp_path / "data", last_day=ENDINGS[ending])
    contents = {}
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'warehouse.db'}"), ("postgresql", postgresql_url)):
        with dg.instance_for_test() as instance:
            pipeline = Pipeline(url, tmp_path / "data", tmp_path / name, instance)
            contents[name] = _contents(pipeline, _run_chain(pipeline))

    assert contents["sqlite"]["report"], "no report was stored"
    differences = _differences(contents["sqlite"], contents["postgresql"])
    assert not differences, "\n".join(differences)
