"""The code location loads as Dagster would load it, with everything a data engineer looks for in the UI."""

import shutil
from pathlib import Path

import dagster as dg

from synapse_pipeline.definitions import defs
from synapse_pipeline.forecast import assets as forecast_assets
from synapse_pipeline.forecast.assets import forecast_version
from synapse_pipeline.forecast.tables import FORECAST_TABLES
from synapse_pipeline.ingest.partitions import monthly_partitions
from synapse_pipeline.ingest.schemas import EstoqueExport, FaturamentoExport
from synapse_pipeline.kpis.catalog import KPIS
from synapse_pipeline.kpis.queries import SQL_DIR, version


def test_definitions_load_with_assets_jobs_and_checks() -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == {
        "estoque_raw",
        "faturamento_raw",
        "clientes",
        "estoque",
        "faturamento",
        "grupo_produto",
        *(kpi.name for kpi in KPIS),
        *FORECAST_TABLES,
        "relatorio_mensal",
        "backup",
    }
    assert {job.name for job in defs.resolve_all_job_defs()} >= {"ingest_job", "faturamento_job"}
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert ("faturamento_raw", "schema") in checks and ("faturamento_raw", "returns_and_zero_weights") in checks
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key} has no description"


def test_column_schema_comes_from_the_pandera_models() -> None:
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    for asset, model in (("estoque_raw", EstoqueExport), ("faturamento_raw", FaturamentoExport)):
        schema: dg.TableSchema = specs[asset].metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == list(model.to_schema().columns)
        assert all(c.description for c in schema.columns)


def test_faturamento_and_the_reports_are_the_months_the_exports_hold_and_load_a_range_in_one_run() -> None:
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert specs["faturamento"].partitions_def == specs["relatorio_mensal"].partitions_def == monthly_partitions
    assert isinstance(monthly_partitions, dg.DynamicPartitionsDefinition)  # added by faturamento_raw, not a calendar
    assets = defs.resolve_assets_def("faturamento")
    assert assets.backfill_policy == dg.BackfillPolicy.single_run()


def test_the_code_location_holds_the_same_definitions_as_before_the_new_layout() -> None:
    """The folders' definitions, merged, are exactly those of the flat layout they replaced (names as of d6a121b),
    plus the forecast stage (issue 17), its bias check, split from the naive one (issue 18), and the daily billing
    aggregate the rolling KPI windows and the demand read, and the groups billed per month (issue 26)."""
    graph = defs.resolve_asset_graph()
    assert sorted(key.to_user_string() for key in graph.get_all_asset_keys()) == [
        "avaliacao_previsao", "backup", "clientes", "cobertura_cliente", "concentracao_clientes", "demanda_mensal",
        "estoque", "estoque_aging", "estoque_raw", "faturamento", "faturamento_diario", "faturamento_raw",
        "frequencia_compra", "giro_sku", "grupo_produto", "grupo_produto_mes", "mix_produto", "obsolescencia",
        "previsao_demanda", "recomendacao_estoque", "relatorio_mensal", "vendas_regiao",
    ]  # fmt: skip
    assert sorted(key.to_user_string() for key in graph.asset_check_keys) == sorted([
        "estoque_raw:duplicate_lines", "estoque_raw:schema", "faturamento_raw:duplicate_lines",
        "faturamento_raw:returns_and_zero_weights", "faturamento_raw:schema", "previsao_demanda:cobertura_do_intervalo",
        "previsao_demanda:previsao_supera_naive",
        "previsao_demanda:vies_da_previsao",
        "cobertura_cliente:bate_com_a_origem", "concentracao_clientes:bate_com_a_origem",
        "estoque_aging:bate_com_a_origem", "giro_sku:bate_com_a_origem", "mix_produto:bate_com_a_origem",
        "obsolescencia:bate_com_a_origem", "vendas_regiao:bate_com_a_origem",
    ])  # fmt: skip
    assert sorted(job.name for job in defs.resolve_all_job_defs()) == [
        "__ASSET_JOB", "backup_job", "deliver_reports_job", "faturamento_job", "forecast_job", "ingest_job",
        "kpi_job", "kpi_job_celery", "relatorio_job",
    ]  # fmt: skip
    assert sorted(schedule.name for schedule in defs.schedules or ()) == [
        "daily_load_schedule",
        "monthly_report_schedule",
    ]
    # The layout changed none of these; the autopilot (issue 16) added the automation, report and alert sensors.
    assert sorted(sensor.name for sensor in defs.sensors or ()) == [
        "default_automation_condition_sensor", "export_file_sensor", "faturamento_months_sensor",
        "overdue_alert_sensor", "report_delivery_sensor", "run_failure_alert_sensor", "stale_reports_sensor",
    ]  # fmt: skip
    assert sorted(defs.resources or {}) == [
        "backup_settings", "export_files", "forecast_settings", "io_manager", "mailer", "warehouse",
    ]  # fmt: skip


def test_every_asset_sensor_and_schedule_says_what_it_is_in_the_ui() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:dados"] and node.kinds, key
    tables = {
        key.to_user_string(): graph.get(key).metadata.get("dagster/table_name") for key in graph.get_all_asset_keys()
    }
    for table in ("clientes", "estoque", "faturamento", "grupo_produto", *(k.name for k in KPIS), *FORECAST_TABLES):
        assert tables[table] == table
    assert tables["relatorio_mensal"] == "report"
    assert all(sensor.description for sensor in defs.sensors or ())
    assert all(schedule.description for schedule in defs.schedules or ())


def test_a_kpi_table_is_versioned_by_its_sql(tmp_path: Path) -> None:
    """A changed query (its .sql file) changes the code version, which marks the table stale in the UI."""
    graph = defs.resolve_asset_graph()
    versions = {kpi.name: graph.get(dg.AssetKey(kpi.name)).code_version for kpi in KPIS}
    assert all(versions.values()) and len(set(versions.values())) == len(KPIS)
    giro = next(kpi.table for kpi in KPIS if kpi.name == "giro_sku")
    copy = shutil.copytree(SQL_DIR, tmp_path / "sql")
    assert version(giro, copy) == versions["giro_sku"]
    (copy / "giro_sku.sql").write_text((copy / "giro_sku.sql").read_text() + " ")
    assert version(giro, copy) != versions["giro_sku"]


def test_forecast_tables_are_versioned_by_their_code(tmp_path: Path) -> None:
    """The four forecast tables carry a hash of the forecast stage's sources: a changed model marks them stale."""
    graph = defs.resolve_asset_graph()
    versions = {graph.get(dg.AssetKey(name)).code_version for name in FORECAST_TABLES}
    assert versions == {forecast_version()} and len(forecast_version()) == 16
    copy = shutil.copytree(Path(forecast_assets.__file__).parent, tmp_path / "forecast")
    assert forecast_version(copy) == forecast_version()
    (copy / "models.py").write_text((copy / "models.py").read_text().replace("alpha", "smoothing"))
    assert forecast_version(copy) != forecast_version()


def test_loaded_tables_show_the_warehouse_types() -> None:
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    types = {c.name: c.type for c in specs["faturamento"].metadata["dagster/column_schema"].columns}
    assert types["data"] == "datetime" and types["zs_peso_liquido"] == "numeric"
    assert types["cod_cliente"] == "integer" and types["SKU"] == "varchar(50)"
    stock = {c.name: c.type for c in specs["estoque"].metadata["dagster/column_schema"].columns}
    assert stock["es_totalestoque"] == "numeric" and stock["dias_em_estoque"] == "integer"


def test_kpi_columns_show_their_warehouse_types() -> None:
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    for kpi in KPIS:
        types = {c.name: c.type for c in specs[kpi.name].metadata["dagster/column_schema"].columns}
        assert types == {c.name: str(c.type).lower() for c in kpi.table.columns}, kpi.name
    giro = {c.name: c.type for c in specs["giro_sku"].metadata["dagster/column_schema"].columns}
    assert (giro["mes"], giro["linhas"], giro["toneladas_liquidas"], giro["sku"]) == (
        "date",
        "integer",
        "numeric",
        "varchar(50)",
    )
