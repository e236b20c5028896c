"""Helpers shared by the tests: running the ingest assets the way Dagster does, and reading the results."""

import json
import os
import pty
import signal
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from select import select as wait_for_output

import dagster as dg
import pytest
from sqlalchemy import Engine, inspect, make_url, select, text
from sqlalchemy.engine import URL

from synapse_pipeline.definitions import defs
from synapse_pipeline.delivery.alerts import step_failure_text
from synapse_pipeline.forecast.resources import ForecastSettings
from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from synapse_pipeline.ingest.raw import billed_months
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.maintenance.backup import BackupSettings
from synapse_pipeline.settings import PROJECT_ROOT, SQL_DIR
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.fingerprint import warehouse_checksums
from synapse_pipeline.warehouse.models import Base, Clientes, User
from synapse_pipeline.warehouse.resource import Warehouse
from synapse_pipeline.warehouse.schema import upgrade_schema

ASSETS = list(defs.assets or ())  # every asset of the code location, as Dagster loads it
UNPARTITIONED = ["estoque_raw", "faturamento_raw", "clientes", "estoque"]


def libpq(url: URL | str) -> str:
    """A SQLAlchemy PostgreSQL URL as the plain libpq URL psycopg and the command-line tools take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


PASSWORD = "secret123"  # a valid password for the users the tests add


def stored_hash(engine: Engine, email: str) -> str:
    """The bcrypt hash in the `user` row (no domain function returns it)."""
    with engine.connect() as conn:
        return conn.execute(select(User.password).where(User.email == email)).scalar_one()


def ddl_statements() -> list[str]:
    """The statements of every `sql/*.sql` file, in file order."""
    statements = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        lines = [line.split("--", 1)[0] for line in path.read_text().splitlines()]
        statements += [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    return statements


def describe_schema(engine: Engine, schema: str | None = None) -> dict[str, object]:
    """Everything that matters of a schema, normalised so two creations of it can be compared."""
    inspector = inspect(engine)
    described: dict[str, object] = {}
    for table in sorted(inspector.get_table_names(schema=schema)):
        columns = {
            c["name"]: (
                type(c["type"]).__name__,
                getattr(c["type"], "length", None),
                c["nullable"],
                "nextval" in str(c.get("default") or ""),
                c.get("default") is not None,
            )
            for c in inspector.get_columns(table, schema=schema)
        }
        foreign_keys = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in inspector.get_foreign_keys(table, schema=schema)
        )
        uniques = sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table, schema=schema))
        indexes = sorted(
            (
                i["name"],
                tuple(i["column_names"]),
                bool(i["unique"]),
                str({k: str(v) for k, v in i.get("dialect_options", {}).items()}),
            )
            for i in inspector.get_indexes(table, schema=schema)
        )
        described[table] = {
            "columns": columns,
            "primary_key": inspector.get_pk_constraint(table, schema=schema)["constrained_columns"],
            "foreign_keys": foreign_keys,
            "unique": uniques,
            "indexes": indexes,
        }
    return described


def empty_tables(engine: Engine) -> None:
    tables = ", ".join(engine.dialect.identifier_preparer.quote(t) for t in Base.metadata.tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@dataclass
class Pipeline:
    """Materializes the ingest assets the way Dagster runs them, against one warehouse and data folder."""

    warehouse_url: str
    data_dir: Path
    storage: Path
    instance: dg.DagsterInstance

    def resources(self) -> dict[str, object]:
        return {
            "warehouse": Warehouse(url=self.warehouse_url),
            "export_files": ExportFiles(data_dir=str(self.data_dir)),
            "io_manager": dg.FilesystemIOManager(base_dir=str(self.storage)),
            "backup_settings": BackupSettings(directory=str(self.storage / "backups")),
            "forecast_settings": ForecastSettings(),
        }

    def materialize(
        self, selection: list[str], *, partition: str | None = None, months: tuple[str, str] | None = None
    ) -> dg.ExecuteInProcessResult:
        tags = {PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[1]} if months else None
        return dg.materialize(
            ASSETS,
            selection=selection,
            resources=self.resources(),
            instance=self.instance,
            partition_key=partition,
            tags=tags,
            raise_on_error=False,
        )

    def load_all(self, months: tuple[str, str] | None = None) -> None:
        """Validate both exports and load clientes and estoque, then the billing months (default: all the file's)."""
        assert self.materialize(UNPARTITIONED).success
        every = billed_months(self.instance)
        assert self.materialize(["faturamento"], months=months or (every[0], every[-1])).success

    def load_all_and_kpis(self) -> None:
        self.load_all()
        assert self.materialize(list(DERIVED_TABLES)).success

    def engine(self) -> Engine:
        return make_engine(self.warehouse_url)

    def checksums(self) -> dict[str, tuple[int, str]]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return warehouse_checksums(conn)
        finally:
            engine.dispose()

    def rows(self, sql: str, **params: object) -> list[tuple]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def scalar(self, sql: str, **params: object) -> object:
        return self.rows(sql, **params)[0][0]


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The description of the run's failed step as the UI shows it, else the chain of error messages."""
    for event in result.all_events:
        if event.is_step_failure:
            return step_failure_text(event)
    raise AssertionError("the run did not fail")


def at_terminal(argv: list[str], env: dict[str, str], answers: list[str], seconds: float) -> tuple[int, str]:
    """Run `argv` from the project's root in a child whose controlling terminal is a pseudo-terminal, typing each
    answer when a prompt (`: `) waits; its exit code and everything it wrote, as the terminal received it."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        try:
            os.chdir(PROJECT_ROOT)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    output = b""
    answered_at = 0  # length of the output when the last answer was typed
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if answers and len(output) > answered_at and output.endswith(b": "):
                os.write(fd, answers.pop(0).encode() + b"\n")
                answered_at = len(output)
            ready, _, _ = wait_for_output([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # EIO: the child has exited
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode()


def kill_processes_mentioning(text: str) -> None:
    """Stop every process whose command line names `text` (the daemon's code server runs in its own session)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass


def exports_moved(source: Path, target: Path, last_day: date, first_day: date = date(2000, 1, 1)) -> int:
    """The exports of `source` written to `target` with every date moved by the days that bring the last billing
    day to `last_day` (the stock snapshot moves alike), billing lines dated before `first_day` left out: the
    sample's shape in another year. The billing lines written."""
    billing = (source / "faturamento 1.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    shift = last_day - max(date.fromisoformat(line[:10]) for line in billing[1:])
    target.mkdir(parents=True, exist_ok=True)
    written = 0
    for name in ("estoque 1.csv", "faturamento 1.csv"):
        header, *lines = (source / name).read_text(encoding="utf-8").splitlines(keepends=True)
        moved = [(date.fromisoformat(line[:10]) + shift, line[10:]) for line in lines]
        kept = [f"{day.isoformat()}{rest}" for day, rest in moved if name.startswith("estoque") or day >= first_day]
        (target / name).write_text(header + "".join(kept), encoding="utf-8")
        written = len(kept)
    return written


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll `condition` every 2 s; returns the seconds it took, fails with `what` after `seconds`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds:.0f} s: {what}")
        time.sleep(2)
    return time.monotonic() - started


def graphql(port: int, query: str, **variables: object) -> dict:
    """A query to the webserver's GraphQL endpoint, as the UI sends it."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def answers(port: int) -> bool:
    try:
        return bool(graphql(port, "{ version }"))
    except OSError:
        return False


def stock_line(when: datetime, sku: str, tonnes: float, tipo: str = "Produto Acabado", days: int = 30) -> dict:
    """An `estoque` row of client 10 at centre 1101; the columns the forecast stage does not read filled alike."""
    return dict(data=when, es_centro="1101", cod_cliente=10, grupo_mercadoria="Zincado", SKU=sku,
                dias_em_estoque=days, es_totalestoque=tonnes, tipo_material=tipo, origem="S_PRG_REF",
                cod_produto="RZN", lote="L", produto="Rolo")  # fmt: skip


def billing_line(when: date, sku: str, tonnes: float) -> dict:
    """A `faturamento` row of client 10 in Curitiba on the day `when` (a date or a datetime)."""
    day = when if isinstance(when, datetime) else datetime.combine(when, datetime.min.time())
    return dict(data=day, cod_cliente=10, SKU=sku, zs_gr_mercad="ZINCADO", produto="Rolo", cod_produto="RZN",
                zs_cidade="CURITIBA", zs_uf="PR", zs_peso_liquido=tonnes, giro_sku_cliente=1, lote="L",
                origem="PRG", zs_centro="1101")  # fmt: skip


def one_client_warehouse(url: str) -> Engine:
    """A warehouse at head holding client 10, whom `stock_line` and `billing_line` name."""
    engine = make_engine(url)
    upgrade_schema(engine)
    with engine.begin() as conn:
        conn.execute(Clientes.__table__.insert(), [{"cod_cliente": 10, "nome": "Cliente 1"}])
    return engine
