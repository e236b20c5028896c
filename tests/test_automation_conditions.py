"""The automation conditions, evaluated with Dagster's own evaluator on a real instance (fast lane): the KPI and
forecast tables after the loads, the backup once they are rebuilt."""

import dagster as dg

from synapse_pipeline.definitions import defs
from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.ingest.partitions import add_month_partitions, monthly_partitions

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
