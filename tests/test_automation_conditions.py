"""The automation conditions, evaluated with Dagster's own evaluator on a real instance (fast lane): the KPI and
forecast tables after the loads, the backup once they are rebuilt; a rebuild that overlapped a load made again, a
failed one retried after a wait."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from synapse_pipeline.definitions import defs
from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.ingest.partitions import add_month_partitions, monthly_partitions
from synapse_pipeline.kpis.automation import REBUILD_AUTOMATION
from synapse_pipeline.settings import RETRY_SECONDS_ENV

MONTHS = ["2019-11-01", "2019-12-01", "2020-01-01"]
FACTS = ("clientes", "estoque")


class Ticks:
    """Successive evaluations of every automation condition, as the daemon's sensor makes them."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance, self.cursor = instance, None

    def requested(self) -> set[str]:
        result = dg.evaluate_automation_conditions(defs=defs, instance=self.instance, cursor=self.cursor)
        self.cursor = result.cursor
        return {
            key.to_user_string()
            for key in defs.resolve_asset_graph().get_all_asset_keys()
            if result.get_num_requested(key)
        }


def _materialized(instance: dg.DagsterInstance, *names: str, months: list[str] | None = None) -> None:
    """Record materializations as runs would (the conditions read only the instance's records)."""
    for name in names:
        for partition in months or [None]:
            instance.report_runless_asset_event(dg.AssetMaterialization(name, partition=partition))


def test_the_tables_wait_for_every_month_of_the_export_then_the_backup_waits_for_them() -> None:
    with dg.instance_for_test() as instance:
        ticks = Ticks(instance)
        assert ticks.requested() == set()  # nothing loaded: nothing to build on

        _materialized(instance, "estoque_raw", "faturamento_raw", *FACTS)
        add_month_partitions(instance, MONTHS)  # as faturamento_raw does
        assert ticks.requested() == set()  # months still to load hold the tables back

        _materialized(instance, "faturamento", months=MONTHS)
        assert ticks.requested() == set(DERIVED_TABLES)  # the backup waits for them: not in the same tick

        _materialized(instance, *DERIVED_TABLES)
        assert ticks.requested() == set()  # no report yet: the backup waits for the reports' months
        _materialized(instance, "relatorio_mensal", months=MONTHS)
        assert ticks.requested() == {"backup"}

        _materialized(instance, "backup")
        assert ticks.requested() == set()  # nothing changed since

        _materialized(instance, "faturamento", months=MONTHS[-1:])  # a correction of one month
        assert ticks.requested() == set(DERIVED_TABLES)
        _materialized(instance, *DERIVED_TABLES)
        assert ticks.requested() == {"backup"}
        assert instance.get_dynamic_partitions(monthly_partitions.name) == MONTHS


carga = dg.AssetSpec("carga")


@dg.asset(deps=[carga], automation_condition=REBUILD_AUTOMATION)
def reconstruida(context: dg.AssetExecutionContext) -> None:
    """A table rebuilt while a load lands: it read the load before it."""
    context.instance.report_runless_asset_event(dg.AssetMaterialization("carga"))


@dg.asset(deps=[carga], automation_condition=dg.AutomationCondition.eager())
def ansiosa(context: dg.AssetExecutionContext) -> None:
    """The same under Dagster's eager(), for contrast."""
    context.instance.report_runless_asset_event(dg.AssetMaterialization("carga"))


@dg.asset
def origem() -> None:
    """An input made in the same run as the table built on it."""


@dg.asset(deps=[origem], automation_condition=REBUILD_AUTOMATION)
def derivada() -> None:
    """Built after `origem` in their run: it read the input once made."""


FAILING = {"on": True}


@dg.asset(deps=[carga], automation_condition=REBUILD_AUTOMATION)
def instavel() -> None:
    """A table whose rebuild fails while its cause lasts (the database down, say)."""
    if FAILING["on"]:
        raise RuntimeError("the database is down")


def _requested(instance: dg.DagsterInstance, ticks: list, at: datetime | None = None) -> set[str]:
    result = dg.evaluate_automation_conditions(
        defs=[carga, reconstruida, ansiosa, instavel, origem, derivada],
        instance=instance,
        cursor=ticks[-1] if ticks else None,
        evaluation_time=at,
    )
    ticks.append(result.cursor)
    names = ("reconstruida", "ansiosa", "instavel", "derivada")
    return {name for name in names if result.get_num_requested(dg.AssetKey(name))}


def test_a_rebuild_that_overlapped_a_load_is_made_again_where_eager_counts_it_as_done() -> None:
    with dg.instance_for_test() as instance:
        ticks: list = []
        _requested(instance, ticks)
        instance.report_runless_asset_event(dg.AssetMaterialization("carga"))
        assert _requested(instance, ticks) >= {"reconstruida", "ansiosa"}

        # Each rebuild starts, then a load lands, then the rebuild ends: it holds the data before the load.
        assert dg.materialize([carga, reconstruida, ansiosa], instance=instance, selection=["reconstruida"]).success
        assert dg.materialize([carga, reconstruida, ansiosa], instance=instance, selection=["ansiosa"]).success
        again = _requested(instance, ticks)
        assert "reconstruida" in again
        assert "ansiosa" not in again  # eager() counts the overlapping rebuild as having handled the load

        # A table made in the same run as its input, after it, read it: nothing to redo.
        assert dg.materialize([origem, derivada], instance=instance).success
        assert "derivada" not in _requested(instance, ticks)


def test_a_failed_rebuild_is_retried_after_a_wait_that_doubles_and_stops_once_it_succeeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(RETRY_SECONDS_ENV, "60")
    assets = [carga, reconstruida, ansiosa, instavel]
    FAILING["on"] = True
    with dg.instance_for_test() as instance:
        ticks: list = []
        _requested(instance, ticks)
        instance.report_runless_asset_event(dg.AssetMaterialization("carga"))
        assert "instavel" in _requested(instance, ticks)

        for wait in (60, 120, 240):  # the first wait, then doubled after each failure in a row
            failed = dg.materialize(assets, instance=instance, selection=["instavel"], raise_on_error=False)
            assert not failed.success
            ended = datetime.fromtimestamp(instance.get_run_record_by_id(failed.run_id).end_time, UTC)
            assert "instavel" not in _requested(instance, ticks, at=ended + timedelta(seconds=wait - 5))
            assert "instavel" in _requested(instance, ticks, at=ended + timedelta(seconds=wait + 1))

        FAILING["on"] = False  # the cause is gone: the next attempt succeeds and nothing more is asked
        assert dg.materialize(assets, instance=instance, selection=["instavel"]).success
        assert "instavel" not in _requested(instance, ticks, at=datetime.now(UTC) + timedelta(hours=7))
