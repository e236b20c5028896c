"""The KPI tables' SQL: one Jinja template per table in `sql/`, rendered for the warehouse's dialect.

Every time window is anchored on the data, never on today's date: stock-side figures on each snapshot date,
sales-side figures on the latest billing date. Net figures include returns (negative weights); gross shipments
and returns are shown apart where sales are summed. Product groups go through `grupo_produto`, which gives
estoque's `Zincado` and faturamento's `ZINCADO` one name. Only what the two databases spell differently goes
through `Dialect` (`d` in the templates); the rules' numbers are passed in from here.
"""

import hashlib
from functools import cache
from pathlib import Path

import jinja2
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

from synapse_pipeline.warehouse.dialect import Dialect

SQL_DIR = Path(__file__).parent / "sql"
DIALECTS = ("postgresql", "sqlite")

WEEKS_OF_DEMAND = 52
OBSOLETE_DAYS = 180
ABC_A, ABC_B = 0.80, 0.95
EPSILON = 1e-9  # cumulative shares are float sums: 0.8 may come out as 0.8000000000000002
AGING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("91-180", 180),
    (">180", None),
)
RULES = {
    "weeks_of_demand": WEEKS_OF_DEMAND,
    "days_of_demand": 7 * WEEKS_OF_DEMAND,
    "obsolete_days": OBSOLETE_DAYS,
    "abc_a": ABC_A + EPSILON,
    "abc_b": ABC_B + EPSILON,
    "buckets": AGING_BUCKETS,
}


@cache
def _templates(directory: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined)


def render(name: str, dialect: str, directory: Path = SQL_DIR) -> str:
    """`<directory>/<name>.sql` (the KPI tables' by default) for `dialect` ("postgresql" or "sqlite")."""
    return _templates(directory).get_template(f"{name}.sql").render(d=Dialect(dialect), **RULES)


def version(table: Table, directory: Path = SQL_DIR) -> str:
    """A hash of the table's query and declaration on both databases: a changed one marks it stale in the UI, and
    makes the next refresh a rebuild (rows from the old query are never kept beside the new one's)."""
    engines = {"postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}
    text = "\n".join(
        render(table.name, name, directory) + str(CreateTable(table).compile(dialect=engines[name]))
        for name in DIALECTS
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
