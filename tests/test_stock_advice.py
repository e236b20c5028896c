"""The stock advice in the monthly report, on an export the sample does not resemble: billing ending on 31 July
2024 (a 31st), the stock snapshot dated by the export four days later, in August, a month with no billing."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import Engine, text

from synapse_pipeline.forecast.assets import avaliacao_previsao, demanda_mensal, previsao_demanda, recomendacao_estoque
from synapse_pipeline.forecast.resources import ForecastSettings
from synapse_pipeline.forecast.stock import ACTION_ORDER
from synapse_pipeline.kpis.assets import grupo_produto, kpi_assets
from synapse_pipeline.reports.forecast_text import purchase_reason
from synapse_pipeline.reports.formatting import number
from synapse_pipeline.reports.queries import monthly_report
from synapse_pipeline.warehouse.models import Estoque, Faturamento
from synapse_pipeline.warehouse.resource import Warehouse
from tests.support import billing_line, one_client_warehouse, stock_line

LAST_BILLING = date(2024, 7, 31)
SNAPSHOT = datetime(2024, 8, 4)
# SKU: (tipo_material, tonnes on the snapshot, tonnes sold every week of the 52 up to LAST_BILLING)
SKUS = {
    "SKU_RUP": ("Produto Acabado", None, 3.0),  # sold, no stock line: ruptura
    "SKU_REP": ("Produto Acabado", 1.0, 3.0),  # 1 t against 3 t a week: repor
    "SKU_EXC": ("Produto Acabado", 300.0, 1.0),  # 300 weeks of cover: excesso
    "SKU_SEM": ("Produto Acabado", 5.0, 0.0),  # never sold: sem_demanda
    "SKU_MP": ("Materia Prima", 50.0, 2.0),  # raw material, whatever its cover: materia_prima
    "SKU_OK": ("Produto Acabado", 40.0, 2.0),  # 20 weeks of cover, above its reorder point: ok
}
SPORADIC_WEEKS = (2, 21, 40)  # SKU_ESP sells 6 t in three weeks of the 52, months apart: sporadic, no stock


@pytest.fixture
def advised(warehouse_url: str) -> Iterator[Engine]:
    engine = one_client_warehouse(warehouse_url)
    with engine.begin() as conn:
        conn.execute(
            Estoque.__table__.insert(),
            [stock_line(SNAPSHOT, sku, stock, tipo) for sku, (tipo, stock, _) in SKUS.items() if stock is not None],
        )
        conn.execute(
            Faturamento.__table__.insert(),
            [
                billing_line(LAST_BILLING - timedelta(days=7 * week), sku, weekly)
                for sku, (_, _, weekly) in SKUS.items()
                if weekly
                for week in range(52)
            ]
            + [billing_line(LAST_BILLING - timedelta(days=7 * week), "SKU_ESP", 6.0) for week in SPORADIC_WEEKS],
        )
    result = dg.materialize(
        [grupo_produto, *kpi_assets, demanda_mensal, avaliacao_previsao, previsao_demanda, recomendacao_estoque],
        resources={"warehouse": Warehouse(url=warehouse_url), "forecast_settings": ForecastSettings()},
    )
    assert result.success
    yield engine
    engine.dispose()


def test_the_latest_month_reports_the_snapshot_dated_after_it_with_one_verdict_per_sku(advised: Engine) -> None:
    with advised.connect() as conn:
        stored = dict(conn.execute(text('SELECT "SKU", acao FROM recomendacao_estoque')).all())
        july = monthly_report(conn, date(2024, 7, 1))
        june = monthly_report(conn, date(2024, 6, 1))
    assert stored == {
        "SKU_ESP": "ruptura",
        "SKU_RUP": "ruptura",
        "SKU_REP": "repor",
        "SKU_EXC": "excesso",
        "SKU_SEM": "sem_demanda",
        "SKU_MP": "materia_prima",
        "SKU_OK": "ok",
    }
    # July is the latest billed month: its report has the snapshot of 4 August and the advice made from it.
    assert july is not None and july.stock is not None and july.stock.snapshot == SNAPSHOT.date()
    advice = july.stock.advice
    assert advice is not None and advice.snapshot == SNAPSHOT.date() and advice.excess_weeks == 26
    assert [(s.action, s.skus) for s in advice.situations] == [("ruptura", 2)] + [(a, 1) for a in ACTION_ORDER[1:]]
    assert {s.action: s.stock_tonnes for s in advice.situations} == {
        "ruptura": 0.0, "repor": 1.0, "excesso": 300.0, "sem_demanda": 5.0, "materia_prima": 50.0, "ok": 40.0
    }  # fmt: skip
    assert july.forecast is not None and july.forecast.reorder_snapshot == SNAPSHOT.date()
    assert sorted(line.sku for line in july.forecast.reorder) == ["SKU_ESP", "SKU_REP", "SKU_RUP"]
    # The sporadic SKU's purchase is mostly safety stock, and the report says so with its own figures.
    with advised.connect() as conn:
        kind, purchase, cover = conn.execute(
            text(
                "SELECT MIN(p.classe_demanda), MIN(r.compra_sugerida_t), MIN(r.demanda_protecao_t) FROM "
                'recomendacao_estoque r JOIN previsao_demanda p ON p."SKU" = r."SKU" WHERE r."SKU" = \'SKU_ESP\''
            )
        ).one()
    assert kind in ("intermitente", "irregular") and purchase > cover > 0
    fc = july.forecast
    assert (fc.sporadic_count, fc.sporadic_tonnes, fc.sporadic_cover) == (
        1,
        pytest.approx(purchase),
        pytest.approx(cover),
    )
    assert f"1 vendem em poucos meses (demanda esporádica): {number(purchase)} t da compra" in purchase_reason(fc)
    # June ended before any snapshot, and the advice saw July's billing: neither is in its report.
    assert june is not None and june.stock is None
    assert june.forecast is None or june.forecast.reorder_snapshot is None
