"""The months are the data's: an export of any history loads whole, with a partition and a report per month it holds.

Partitions are made by `faturamento_raw` from the file's first month to its last, in calendar order, so nothing
before the first billed month or after the last shows as missing, and a range of months is a range of keys.
"""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg

from synapse_pipeline.definitions import defs
from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.ingest.partitions import (
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    add_month_partitions,
    described,
    monthly_partitions,
    months_spanned,
)
from synapse_pipeline.ingest.raw import MONTHS_ADDED_KEY, billed_months
from synapse_pipeline.reports.sensors import stale_reports_sensor
from synapse_pipeline.warehouse.resource import Warehouse
from tests.support import Pipeline, exports_moved


def _keys(instance: dg.DagsterInstance) -> list[str]:
    return list(instance.get_dynamic_partitions(monthly_partitions.name))


def test_an_export_spans_every_month_from_its_first_to_its_last() -> None:
    assert months_spanned(["2020-02-01", "2019-11-01", "2019-11-01"]) == [
        "2019-11-01", "2019-12-01", "2020-01-01", "2020-02-01",
    ]  # fmt: skip
    assert months_spanned([]) == []
    assert described(["2019-11-01", "2019-12-01", "2020-01-01", "2020-03-01"]) == (
        "2019-11 .. 2020-01, 2020-03 (4 months)"
    )
    assert described(["2024-02-01"]) == "2024-02 (1 month)" and described([]) == "none"


def test_earlier_months_are_added_in_calendar_order_and_keep_their_history() -> None:
    """A range of months must be a range of keys: an export reaching further back re-orders the keys."""
    faturamento = dg.AssetKey("faturamento")
    with dg.instance_for_test() as instance:
        assert add_month_partitions(instance, months_spanned(["2024-01-01", "2024-03-01"])) == [
            "2024-01-01", "2024-02-01", "2024-03-01",
        ]  # fmt: skip
        instance.report_runless_asset_event(dg.AssetMaterialization(faturamento, partition="2024-02-01"))

        added = add_month_partitions(instance, months_spanned(["2023-11-01", "2024-02-01"]))

        assert added == ["2023-11-01", "2023-12-01"]
        assert _keys(instance) == ["2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"]
        assert instance.get_materialized_partitions(faturamento) == {"2024-02-01"}
        assert add_month_partitions(instance, ["2024-01-01"]) == []  # nothing new: nothing re-added
        assert _keys(instance)[-1] == "2024-03-01"


def test_an_export_from_2019_to_a_leap_day_loads_every_line_with_a_report_per_month(
    pipeline: Pipeline, sample_dir: Path
) -> None:
    """The sample moved to end on 29 February 2020, its lines before 2019 left out: 14 months, every one loaded."""
    lines = exports_moved(sample_dir, pipeline.data_dir, last_day=date(2020, 2, 29), first_day=date(2019, 1, 1))
    raw = pipeline.materialize(["estoque_raw", "faturamento_raw", "clientes", "estoque"])
    assert raw.success
    months = [f"{year}-{month:02d}-01" for year, month in [(2019, m) for m in range(1, 13)] + [(2020, 1), (2020, 2)]]
    metadata = raw.asset_materializations_for_node("faturamento_raw")[0].metadata
    assert metadata[MONTHS_ADDED_KEY].value == "2019-01 .. 2020-02 (14 months)"
    assert _keys(pipeline.instance) == billed_months(pipeline.instance) == months  # none before, none after

    loaded = pipeline.materialize(["faturamento"], months=(months[0], months[-1]))
    assert loaded.success
    assert pipeline.materialize(list(DERIVED_TABLES)).success
    assert pipeline.materialize(["relatorio_mensal"], months=(months[0], months[-1])).success

    file_tonnes = sum(
        float(line.split("|")[10])
        for line in (pipeline.data_dir / "faturamento 1.csv").read_text(encoding="utf-8").splitlines()[1:]
    )
    count, tonnes, first, last = pipeline.rows(
        "SELECT count(*), sum(zs_peso_liquido), min(data), max(data) FROM faturamento"
    )[0]
    assert count == lines > 10_000
    assert abs(float(tonnes) - file_tonnes) < 1e-6
    assert str(first)[:10] >= "2019-01-01" and str(last)[:10] == "2020-02-29"
    assert [name for (name,) in pipeline.rows("SELECT name FROM report ORDER BY name")] == [
        f"relatorio-mensal-{month[:7]}" for month in months
    ]
    march = pipeline.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2019-03'")
    assert "março de 2019" in str(march)
    per_month = {
        m.partition: m.metadata["dagster/partition_row_count"].value
        for m in loaded.asset_materializations_for_node("faturamento")
    }
    assert sum(per_month.values()) == lines and set(per_month) == set(months)


def _without(path: Path, drop: Callable[[str, int], bool]) -> None:
    """The export rewritten without the data lines for which `drop(line, index)` holds."""
    header, *lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(header + "".join(line for i, line in enumerate(lines) if not drop(line, i)), encoding="utf-8")


def _report_tick(pipeline: Pipeline) -> list[tuple[str, str]]:
    """The month ranges stale_reports_sensor asks to render."""
    with dg.build_sensor_context(
        instance=pipeline.instance,
        repository_def=defs.get_repository_def(),
        resources={"warehouse": Warehouse(url=pipeline.warehouse_url)},
    ) as context:
        requests = stale_reports_sensor.evaluate_tick(context).run_requests
    return [(r.tags[PARTITION_RANGE_START_TAG], r.tags[PARTITION_RANGE_END_TAG]) for r in requests]


def _corrected(pipeline: Pipeline) -> dg.ExecuteInProcessResult:
    """What the automation does with a corrected export: validate, load its span, rebuild, render what changed."""
    assert pipeline.materialize(["faturamento_raw"]).success
    months = billed_months(pipeline.instance)
    loaded = pipeline.materialize(["faturamento"], months=(months[0], months[-1]))
    assert loaded.success
    assert pipeline.materialize(list(DERIVED_TABLES)).success
    for first, last in _report_tick(pipeline):
        assert pipeline.materialize(["relatorio_mensal"], months=(first, last)).success
    assert _report_tick(pipeline) == []  # every stored report agrees with the warehouse
    return loaded


def test_a_correction_replaces_the_months_it_spans_and_keeps_the_others(pipeline: Pipeline) -> None:
    """A corrected export empties a middle month and withdraws its report; a first or last month it no longer holds
    stays as history; the run says which months it replaced and which it kept, and nothing is left failing."""
    pipeline.load_all_and_kpis()
    assert pipeline.materialize(["relatorio_mensal"], months=("2024-01-01", "2025-08-01")).success
    export = pipeline.data_dir / "faturamento 1.csv"
    sample = export.read_text(encoding="utf-8")

    # June 2024 gone, and a quarter of the lines of July 2025.
    _without(export, lambda line, i: line.startswith("2024-06") or (line.startswith("2025-07") and i % 4 == 0))
    corrected = _corrected(pipeline)
    metadata = corrected.asset_materializations_for_node("faturamento")[0].metadata
    assert metadata["months_replaced"].value == "2024-01 .. 2025-08 (20 months)"
    assert metadata["months_kept"].value == "none"
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE data >= '2024-06-01' AND data < '2024-07-01'") == 0
    names = [name for (name,) in pipeline.rows("SELECT name FROM report ORDER BY name")]
    assert len(names) == 19 and "relatorio-mensal-2024-06" not in names
    july = pipeline.scalar(
        "SELECT sum(zs_peso_liquido) FROM faturamento WHERE data >= '2025-07-01' AND data < '2025-08-01'"
    )
    shown = f"{float(july):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert shown in str(pipeline.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2025-07'"))

    # An export that no longer holds January 2024 (a rolling window) nor August 2025: both stay as they were.
    export.write_text(sample, encoding="utf-8")
    before = pipeline.rows(
        "SELECT count(*), sum(zs_peso_liquido) FROM faturamento WHERE data < '2024-02-01' OR data >= '2025-08-01'"
    )
    _without(export, lambda line, _: line.startswith(("2024-01", "2025-08")))
    rolled = _corrected(pipeline).asset_materializations_for_node("faturamento")[0].metadata
    assert rolled["months_replaced"].value == "2024-02 .. 2025-07 (18 months)"
    assert rolled["months_kept"].value == "2024-01, 2025-08 (2 months)"
    assert (
        pipeline.rows(
            "SELECT count(*), sum(zs_peso_liquido) FROM faturamento WHERE data < '2024-02-01' OR data >= '2025-08-01'"
        )
        == before
    )
    assert pipeline.scalar("SELECT count(*) FROM faturamento") == sample.count("\n") - 1  # June is back too
    assert len(pipeline.rows("SELECT name FROM report")) == 20
