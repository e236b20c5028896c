"""Incremental KPI refreshes: only the months loaded since a table's watermark are taken in again, and the result is
the same, row for row, as a rebuild from scratch, on SQLite and PostgreSQL."""

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import Engine, inspect, text

from synapse_pipeline.forecast.assets import demanda_mensal
from synapse_pipeline.forecast.tables import DEMANDA_MENSAL
from synapse_pipeline.kpis.assets import grupo_produto, kpi_assets
from synapse_pipeline.kpis.catalog import KPI_TABLES, KPIS
from synapse_pipeline.kpis.changes import FATURAMENTO_KEY, forget
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.fingerprint import warehouse_checksums
from synapse_pipeline.warehouse.models import Clientes, Faturamento
from synapse_pipeline.warehouse.resource import Warehouse
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import UNPARTITIONED, Pipeline

TABLES = (*KPI_TABLES, DEMANDA_MENSAL.name)
ASSETS = [grupo_produto, *kpi_assets, demanda_mensal]
BY_MONTH = [kpi.name for kpi in KPIS if kpi.month_column]


def _line(day: str, client: int, sku: str, tonnes: float, group: str = "ZINCADO") -> dict[str, object]:
    return dict(data=datetime.fromisoformat(day), cod_cliente=client, SKU=sku, zs_gr_mercad=group, produto="Rolo",
                cod_produto="RZN", zs_cidade="CURITIBA", zs_uf="PR", zs_peso_liquido=tonnes, giro_sku_cliente=2,
                lote="L", origem="PRG", zs_centro="1101")  # fmt: skip


def _replace_month(engine: Engine, instance: dg.DagsterInstance, month: str, lines: list[dict[str, object]]) -> None:
    """What a load of one month does to the warehouse and the instance: its lines replaced, then recorded."""
    start = datetime.fromisoformat(month)
    end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    with engine.begin() as conn:
        conn.execute(Faturamento.__table__.delete().where(Faturamento.data >= start, Faturamento.data < end))
        if lines:
            conn.execute(Faturamento.__table__.insert(), lines)
    instance.report_runless_asset_event(dg.AssetMaterialization(FATURAMENTO_KEY, partition=month))


def _refresh(url: str, instance: dg.DagsterInstance) -> dict[str, str]:
    """Every KPI table and the demand made current; what each month-grained table's refresh did."""
    result = dg.materialize(ASSETS, resources={"warehouse": Warehouse(url=url)}, instance=instance)
    assert result.success
    return {
        name: result.asset_materializations_for_node(name)[0].metadata["refresh"].value
        + " / "
        + result.asset_materializations_for_node(name)[0].metadata["months_refreshed"].value
        for name in BY_MONTH
    }


def _checksums(engine: Engine) -> dict[str, tuple[int, str]]:
    with engine.connect() as conn:
        every = warehouse_checksums(conn, TABLES)
    return {name: every[name] for name in TABLES}


def _drop_derived(engine: Engine) -> None:
    with engine.begin() as conn:
        forget(conn, TABLES)


def _rebuilt(engine: Engine, url: str) -> dict[str, tuple[int, str]]:
    """The checksums after every KPI table and watermark is dropped and made again from scratch, by a new instance."""
    _drop_derived(engine)
    with dg.instance_for_test() as fresh:
        refreshed = _refresh(url, fresh)
    assert all(how.startswith("rebuild: first build") for how in refreshed.values()), refreshed
    return _checksums(engine)


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
    _drop_derived(engine)  # the session's PostgreSQL database keeps them from test to test
    with engine.begin() as conn:
        conn.execute(Clientes.__table__.insert(), [{"cod_cliente": c, "nome": f"Cliente {c}"} for c in (10, 20, 30)])
    yield engine
    engine.dispose()


def test_only_the_months_loaded_since_are_refreshed_and_equal_a_rebuild(engine: Engine, warehouse_url: str) -> None:
    with dg.instance_for_test() as instance:
        _replace_month(
            engine, instance, "2025-06-01", [_line("2025-06-03", 10, "A", 1.25), _line("2025-06-30", 20, "B", 2)]
        )
        _replace_month(
            engine, instance, "2025-07-01", [_line("2025-07-15", 10, "A", 5), _line("2025-07-15", 10, "A", -1)]
        )
        first = _refresh(warehouse_url, instance)
        assert first["giro_sku"] == "rebuild: first build / 2025-06 .. 2025-07 (2 months)"

        assert set(_refresh(warehouse_url, instance).values()) == {"by month: 0 month(s) loaded since / none"}

        # July corrected (a line's weight changed, a line added), August loaded: only those two months taken in.
        _replace_month(
            engine, instance, "2025-07-01", [_line("2025-07-15", 10, "A", 4.5), _line("2025-07-16", 30, "C", 3)]
        )
        _replace_month(engine, instance, "2025-08-01", [_line("2025-08-01", 20, "B", 0.75)])
        assert set(_refresh(warehouse_url, instance).values()) == {
            "by month: 2 month(s) loaded since / 2025-07 .. 2025-08 (2 months)"
        }
        # June re-exported empty: its rows leave every table.
        _replace_month(engine, instance, "2025-06-01", [])
        assert set(_refresh(warehouse_url, instance).values()) == {
            "by month: 1 month(s) loaded since / 2025-06 (1 month)"
        }
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM giro_sku WHERE mes < '2025-07-01'")).scalar_one() == 0
            months = conn.execute(text("SELECT mes, SUM(toneladas_liquidas) FROM giro_sku GROUP BY mes ORDER BY mes"))
            assert [(str(m)[:10], float(t)) for m, t in months] == [("2025-07-01", 7.5), ("2025-08-01", 0.75)]
        incremental = _checksums(engine)
    assert _rebuilt(engine, warehouse_url) == incremental


def test_a_refresh_it_cannot_vouch_for_is_a_rebuild(engine: Engine, warehouse_url: str) -> None:
    """Another instance, or a product group renamed by a new spelling, rebuilds: no row kept from before."""
    with dg.instance_for_test() as instance:
        _replace_month(engine, instance, "2025-07-01", [_line("2025-07-15", 10, "A", 5)])
        _refresh(warehouse_url, instance)
    with dg.instance_for_test() as other:  # its storage ids mean nothing of the warehouse's watermark
        _replace_month(engine, other, "2025-08-01", [_line("2025-08-02", 10, "A", 1)])
        reasons = _refresh(warehouse_url, other)
        assert reasons["giro_sku"].startswith("rebuild: this Dagster instance does not hold the load")
        # A new spelling with an accent renames the group everywhere: mix_produto is rebuilt, giro_sku is not.
        _replace_month(engine, other, "2025-08-01", [_line("2025-08-02", 10, "A", 1, group="Zíncado")])
        reasons = _refresh(warehouse_url, other)
        assert reasons["mix_produto"].startswith("rebuild: its query, declaration or product groups changed")
        assert reasons["giro_sku"] == "by month: 1 month(s) loaded since / 2025-08 (1 month)"
        with engine.connect() as conn:
            assert {g for (g,) in conn.execute(text("SELECT DISTINCT grupo FROM mix_produto"))} == {"ZÍNCADO"}
        incremental = _checksums(engine)
    assert _rebuilt(engine, warehouse_url) == incremental


def test_the_tables_are_declared_with_their_types_on_both_databases(engine: Engine, warehouse_url: str) -> None:
    with dg.instance_for_test() as instance:
        _replace_month(engine, instance, "2025-07-01", [_line("2025-07-15", 10, "A", 5)])
        _refresh(warehouse_url, instance)
    inspector = inspect(engine)
    for kpi in KPIS:
        found = {c["name"]: type(c["type"]).__name__.upper() for c in inspector.get_columns(kpi.name)}
        declared = {c.name: type(c.type).__name__.upper() for c in kpi.table.columns}
        assert found.keys() == declared.keys(), kpi.name
        for name, kind in declared.items():  # each database's own spelling of the declared type
            assert found[name] in SPELLINGS[kind], (kpi.name, name, found[name])


SPELLINGS = {
    "DATE": {"DATE"},
    "INTEGER": {"INTEGER"},
    "NUMERIC": {"NUMERIC"},
    "FLOAT": {"FLOAT", "DOUBLE_PRECISION", "REAL"},
    "STRING": {"VARCHAR"},
}


def _edited(data_dir: Path, edit: "dict[str, str | None]") -> None:
    """The billing export with the lines of each month in `edit` changed: None drops them, a string replaces
    their weight."""
    path = data_dir / "faturamento 1.csv"
    header, *lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = []
    for line in lines:
        month = line[:7]
        if month not in edit:
            kept.append(line)
        elif edit[month] is not None:
            fields = line.split("|")
            fields[10] = str(edit[month])
            kept.append("|".join(fields))
    path.write_text(header + "".join(kept), encoding="utf-8")


def test_real_loads_corrections_and_reloads_end_where_a_rebuild_starts(pipeline: Pipeline) -> None:
    """Through the real loads: the sample, then one month corrected, one re-loaded unchanged, one emptied."""
    every = ["grupo_produto", *(kpi.name for kpi in KPIS), DEMANDA_MENSAL.name]
    _drop_derived(pipeline.engine())
    pipeline.load_all()
    assert pipeline.materialize(every).success
    _edited(pipeline.data_dir, {"2025-03": "1.500"})
    assert pipeline.materialize(UNPARTITIONED).success
    assert pipeline.materialize(["faturamento"], partition="2025-03-01").success
    assert pipeline.materialize(["faturamento"], partition="2024-06-01").success
    refreshed = pipeline.materialize(every)
    assert refreshed.success
    metadata = refreshed.asset_materializations_for_node("giro_sku")[0].metadata
    assert metadata["months_refreshed"].value == "2024-06, 2025-03 (2 months)"
    _edited(pipeline.data_dir, {"2024-09": None})
    assert pipeline.materialize(UNPARTITIONED).success
    assert pipeline.materialize(["faturamento"], months=("2024-08-01", "2024-10-01")).success
    assert pipeline.materialize(every).success
    engine = pipeline.engine()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM giro_sku WHERE mes = '2024-09-01'")).scalar_one() == 0
        incremental = _checksums(engine)
        assert _rebuilt(engine, pipeline.warehouse_url) == incremental
    finally:
        engine.dispose()


def test_a_restored_backup_brings_back_its_watermark(tmp_path: Path) -> None:
    """A backup made after a load but before the refresh: once restored, the next refresh takes that month in,
    though the instance saw the tables refreshed after the load (a watermark kept in the instance would skip it)."""
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    backup = tmp_path / "backup.db"
    engine = make_engine(url)
    upgrade_schema(engine)
    with engine.begin() as conn:
        conn.execute(Clientes.__table__.insert(), [{"cod_cliente": 10, "nome": "Cliente 10"}])
    with dg.instance_for_test() as instance:
        _replace_month(engine, instance, "2025-06-01", [_line("2025-06-03", 10, "A", 1.25)])
        _refresh(url, instance)
        _replace_month(engine, instance, "2025-07-01", [_line("2025-07-15", 10, "A", 5)])
        engine.dispose()
        shutil.copy(tmp_path / "warehouse.db", backup)
        _refresh(url, instance)
        shutil.copy(backup, tmp_path / "warehouse.db")
        assert set(_refresh(url, instance).values()) == {"by month: 1 month(s) loaded since / 2025-07 (1 month)"}
        incremental = _checksums(engine)
    assert incremental["giro_sku"][0] == 2
    assert _rebuilt(engine, url) == incremental
    engine.dispose()
