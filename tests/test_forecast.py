"""The forecast stage against series and a warehouse fixture whose figures are worked out by hand.

Models, classes and metrics are numpy; the tables are built through Dagster on SQLite and PostgreSQL.
"""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from statistics import NormalDist

import dagster as dg
import numpy as np
import pytest
from sqlalchemy import Engine, text

from synapse_pipeline.forecast.assets import avaliacao_previsao, demanda_mensal, previsao_demanda, recomendacao_estoque
from synapse_pipeline.forecast.backtest import Score, score
from synapse_pipeline.forecast.checks import (
    COBERTURA_DO_INTERVALO,
    PREVISAO_SUPERA_NAIVE,
    VIES_DA_PREVISAO,
    beats_naive,
    bias_verdict,
    forecast_checks,
)
from synapse_pipeline.forecast.classes import demand_classes
from synapse_pipeline.forecast.demand import is_complete
from synapse_pipeline.forecast.global_model import at_horizon, gradient_boosting, total_forecast
from synapse_pipeline.forecast.models import SIMPLE_MODELS
from synapse_pipeline.forecast.resources import ForecastSettings
from synapse_pipeline.forecast.selection import DEFAULT, FORECASTERS, GRADIENT_BOOSTING, NAME
from synapse_pipeline.forecast.stock import abc_classes, xyz_class
from synapse_pipeline.kpis.assets import faturamento_diario
from synapse_pipeline.lib.dates import add_months
from synapse_pipeline.reports.forecast_section import forecast_section
from synapse_pipeline.reports.stock_advice import advice_snapshot
from synapse_pipeline.warehouse.models import Estoque, Faturamento
from synapse_pipeline.warehouse.resource import Warehouse
from tests.support import billing_line, one_client_warehouse, stock_line

FORECAST_ASSETS = [demanda_mensal, avaliacao_previsao, previsao_demanda, recomendacao_estoque]


def forecast(model: str, series: list[float], horizons: int = 3) -> list[float]:
    return FORECASTERS[model](np.array([series], dtype=float), horizons)[0].round(6).tolist()


def test_each_simple_model_on_a_series_worked_by_hand() -> None:
    series = [10, 20, 30, 20, 10, 40]
    assert forecast("naive", series) == [40, 40, 40]
    assert forecast("ma3", series) == [pytest.approx(70 / 3)] * 3
    assert forecast("ma6", series) == [pytest.approx(130 / 6)] * 3
    # SES, alpha 0.3, level from 10: 13, 18.1, 18.67, 16.069, 23.2483
    assert forecast("ses", series) == [pytest.approx(23.2483)] * 3
    # A year back from each target (months 1..14: targets 15, 16, 17 are months 3, 4, 5); naive without a year.
    assert forecast("seasonal_naive", list(range(1, 15))) == [3, 4, 5]
    assert forecast("seasonal_naive", series) == [40, 40, 40]
    # TSB (0.3, 0.2) on 0,5,0,0,10,0: size 5 then 6.5; probability .2, .16, .128, .3024, .24192
    assert forecast("tsb", [0, 5, 0, 0, 10, 0]) == [pytest.approx(0.24192 * 6.5)] * 3
    assert forecast("tsb", [0, 0, 0]) == [0, 0, 0]


def test_the_global_model_fits_once_and_tells_the_horizons_apart() -> None:
    """60 SKUs sell x in even months and 2x in odd ones; the last month (17) is odd: the one fit must forecast x at
    one and three months and 2x at two, from the horizon and the target's calendar month it is given."""
    assert at_horizon(np.array([[7.0], [8.0]]), origin=10, horizon=3).tolist() == [[7, 3, 1], [8, 3, 1]]
    x = np.arange(1.0, 61.0)[:, None]
    history = x * (1 + np.arange(18) % 2)
    assert gradient_boosting(history, 3) / x == pytest.approx(np.tile([1.0, 2.0, 1.0], (60, 1)), rel=0.05)


def test_the_default_averages_the_global_model_and_the_class_selection_reconciled_to_the_total() -> None:
    rng = np.random.default_rng(5)
    history = rng.poisson(3.0, (40, 18)) * rng.random((40, 1)) * 10
    got = FORECASTERS[DEFAULT](history, 3)
    members = FORECASTERS[GRADIENT_BOOSTING](history, 3) + FORECASTERS[NAME](history, 3)
    assert got.sum(axis=0) == pytest.approx(total_forecast(history.sum(axis=0), 3))
    assert got == pytest.approx(members * got.sum(axis=0) / members.sum(axis=0))  # the members' mean, rescaled
    assert ForecastSettings().forecaster_name() == DEFAULT == "combinacao"


def test_forecasts_are_never_negative() -> None:
    history = np.array([[-5.0, 0.0, -1.0]]).clip(0) - 1e-9
    for name, model in FORECASTERS.items():
        assert (model(history, 3) >= 0).all(), name


def test_demand_classes_by_adi_and_cv2() -> None:
    history = np.array(
        [
            [5, 5, 6, 5, 5, 5],  # ADI 1, CV² ~0.006
            [1, 10, 1, 10, 1, 10],  # ADI 1, CV² 20.25 / 30.25 = 0.67
            [0, 5, 0, 5, 0, 6],  # from the first sale: 5 months, 3 sales, ADI 1.67, CV² ~0.006
            [0, 1, 0, 0, 10, 0],  # ADI 2.5, CV² 0.67
            [0, 0, 0, 0, 0, 0],
        ],
        dtype=float,
    )
    assert demand_classes(history).tolist() == ["suave", "erratica", "intermitente", "irregular", "sem_venda"]


def test_backtest_metrics_worked_by_hand() -> None:
    """SKU A sells 1, 2, ..., 8 tonnes; SKU B nothing. Origins are months 2..7 (M-6..M-1, M = month 8)."""
    demand = np.array([list(range(1, 9)), [0] * 8], dtype=float)
    naive = {s.horizonte: s for s in score("naive", demand, SIMPLE_MODELS["naive"])}
    # h=1: six origins, each 1 t short of 3..8 t; h=2: five, 2 t short of 4..8; h=3: four, 3 t short of 5..8.
    assert [(s.origens, s.skus) for s in naive.values()] == [(6, 2), (5, 2), (4, 2)]
    assert naive[1].wape == pytest.approx(6 / 33) and naive[1].vies == pytest.approx(-6 / 33)
    assert naive[2].wape == pytest.approx(10 / 30) and naive[3].wape == pytest.approx(12 / 26)
    # MASE: the in-sample one-step naive error of A is 1 t; its mean errors 1, 2, 3 t; B has no tonnes to weigh.
    assert [s.mase for s in naive.values()] == pytest.approx([1.0, 2.0, 3.0])
    ma3 = score("ma3", demand, SIMPLE_MODELS["ma3"])[0]
    # From origin 2 (1, 2 seen): 1.5 for 3 t; then 2, 3, 4, 5, 6 for 4..8 t: errors 1.5 + 5 x 2.
    assert ma3.wape == pytest.approx(11.5 / 33) and ma3.mase == pytest.approx(11.5 / 6)


def test_a_sku_with_no_sale_yet_is_forecast_zero_and_still_counts() -> None:
    demand = np.array([[4, 4, 4, 4, 4, 4, 4, 4], [0, 0, 0, 0, 0, 0, 0, 6]], dtype=float)
    naive = score("naive", demand, SIMPLE_MODELS["naive"])[0]
    assert naive.wape == pytest.approx(6 / (6 * 4 + 6))


def test_no_forecaster_sees_past_its_origin() -> None:
    """Every call the backtest makes, and every call selecao_por_classe makes inside it, ends at the origin."""
    rng = np.random.default_rng(1)
    demand = rng.poisson(2.0, (30, 19)).astype(float)
    seen: list[int] = []

    def spy(history: np.ndarray, horizons: int) -> np.ndarray:
        seen.append(history.shape[1])
        return SIMPLE_MODELS["naive"](history, horizons)

    score("spy", demand, spy)
    assert seen == [13, 14, 15, 16, 17, 18]  # origins M-6 .. M-1 of 19 months, each seen up to itself
    future_changed = demand.copy()
    future_changed[:, 14:] = rng.poisson(9.0, (30, 5))
    for name, model in FORECASTERS.items():
        assert np.array_equal(model(demand[:, :14], 3), model(future_changed[:, :14], 3)), name


def test_the_check_verdicts() -> None:
    def at_one(model: str, wape: float, bias: float = 0.0) -> Score:
        return Score(model, 1, 6, 10, wape, 1.0, bias)

    naive = at_one("naive", 1.0)
    assert beats_naive(at_one("m", 1.0), naive)[:2] == (False, dg.AssetCheckSeverity.ERROR)
    assert beats_naive(at_one("m", 0.97), naive)[:2] == (False, dg.AssetCheckSeverity.WARN)
    assert beats_naive(at_one("m", 0.8, -0.2), naive)[0] is True  # beats naive: its bias is the other check's
    assert beats_naive(None, naive)[:2] == (False, dg.AssetCheckSeverity.ERROR)
    assert bias_verdict(at_one("m", 0.8, -0.2)) == (
        False,
        dg.AssetCheckSeverity.WARN,
        "bias -20.0% (runs low; warns beyond ±10%)",
    )
    assert bias_verdict(at_one("m", 0.8, 0.05))[0] is True and bias_verdict(at_one("m", 0.8, 0.11))[0] is False


def test_abc_and_xyz_classes() -> None:
    # cumulative shares: a .70 (A), b .90 (B), c .96 (C), d 1.0 (C)
    assert abc_classes({"a": 70, "b": 20, "c": 6, "d": 4}) == {"a": "A", "b": "B", "c": "C", "d": "C"}
    # 5.7 / 6 comes out as 0.9500000000000001 in floats: exactly 95% is still B
    assert abc_classes({"a": 5, "b": 0.7, "c": 0.3}) == {"a": "B", "b": "B", "c": "C"}
    assert [xyz_class(1, 0.5), xyz_class(1, 0.9), xyz_class(1, 2), xyz_class(0, 0)] == ["X", "Y", "Z", "Z"]


# The warehouse fixture: billing up to 2025-08-01 (July complete, August partial), a snapshot on 2025-08-04.
LATEST = date(2025, 8, 1)
SNAPSHOT = datetime(2025, 8, 4)
Z95 = NormalDist().inv_cdf(0.95)


def one_week_sale(sku: str, tonnes: float, days_before: int = 10) -> list[tuple[date, str, float]]:
    """A single sale: over 52 weeks, d = x / 52 and the sample deviation sd = x / sqrt(52)."""
    return [(LATEST - timedelta(days=days_before), sku, tonnes)]


SALES: list[tuple[date, str, float]] = [
    *[(LATEST - timedelta(days=7 * k), "SKU_OK", 2.0) for k in range(52)],  # d = 2, sd = 0
    *one_week_sale("SKU_REP", 52.0),  # d = 1
    *one_week_sale("SKU_EXC", 52.0),
    *one_week_sale("SKU_MP", 52.0),
    *one_week_sale("SKU_RUP", 5.2, days_before=0),  # only in the partial month: no forecast
    (LATEST - timedelta(days=400), "SKU_SEM", 7.0),  # outside the 52 weeks and the last 12 months
    (LATEST - timedelta(days=10), "SKU_SEM", -1.0),  # a return: a week of net -1 counts as 0
]
# SKU: (tipo_material, tonnes in the latest snapshot)
STOCK = {
    "SKU_OK": ("Produto Acabado", 20.0),
    "SKU_REP": ("Produto Acabado", 10.0),
    "SKU_EXC": ("Produto Acabado", 100.0),
    "SKU_MP": ("Materia Prima", 50.0),
    "SKU_SEM": ("Produto Acabado", 3.0),
}


@pytest.fixture
def forecast_engine(warehouse_url: str) -> Iterator[Engine]:
    engine = one_client_warehouse(warehouse_url)
    with engine.begin() as conn:
        conn.execute(
            Estoque.__table__.insert(),
            [
                stock_line(SNAPSHOT, sku, tonnes / 2, tipo)
                for sku, (tipo, tonnes) in STOCK.items()
                for _ in range(2)  # two lots of half the tonnes each
            ]
            + [stock_line(datetime(2025, 7, 1), "SKU_RUP", 9.0, days=3)],  # an older snapshot
        )
        conn.execute(Faturamento.__table__.insert(), [billing_line(day, sku, tonnes) for day, sku, tonnes in SALES])
    yield engine
    engine.dispose()


def materialize(url: str, model: str = NAME, *, check: bool = False) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [faturamento_diario, *FORECAST_ASSETS, *([forecast_checks] if check else [])],
        resources={"warehouse": Warehouse(url=url), "forecast_settings": ForecastSettings(modelo=model)},
        raise_on_error=False,
    )


def rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(str(v)[:10] if hasattr(v, "isoformat") else v for v in row) for row in conn.execute(text(sql))]


def test_recommendation_rules_worked_by_hand(forecast_engine: Engine, warehouse_url: str) -> None:
    assert materialize(warehouse_url).success
    got = {
        row[0]: row[1:]
        for row in rows(
            forecast_engine,
            'SELECT "SKU", data_estoque, tipo_material, estoque_t, demanda_semanal_t, desvio_semanal_t, '
            "estoque_seguranca_t, ponto_pedido_t, estoque_maximo_t, cobertura_semanas, classe_xyz, acao, "
            "compra_sugerida_t FROM recomendacao_estoque",
        )
    }
    assert set(got) == {"SKU_OK", "SKU_REP", "SKU_EXC", "SKU_MP", "SKU_SEM", "SKU_RUP"}
    assert {row[0] for row in got.values()} == {"2025-08-04"}

    def policy(d: float, sd: float) -> tuple[float, float, float]:
        """(safety, reorder, maximum) with L 4, sd_L 1, R 1, 95%."""
        safety = Z95 * (5 * sd**2 + d**2 * 1) ** 0.5
        return safety, 4 * d + safety, 5 * d + safety

    safety, reorder, maximum = policy(1.0, 52 / 52**0.5)
    assert got["SKU_REP"][1:] == pytest.approx(
        ("Produto Acabado", 10.0, 1.0, 52**0.5, safety, reorder, maximum, 10.0, "Z", "repor", maximum - 10.0)
    )
    assert reorder == pytest.approx(4 + Z95 * 261**0.5)
    assert got["SKU_EXC"][10:] == ("excesso", 0.0) and got["SKU_EXC"][8] == pytest.approx(100.0)
    assert got["SKU_MP"][10:] == ("materia_prima", 0.0)
    safety, reorder, maximum = policy(2.0, 0.0)
    assert got["SKU_OK"][3:10] == pytest.approx((2.0, 0.0, 2 * Z95, 8 + 2 * Z95, 10 + 2 * Z95, 10.0, "X"))
    assert got["SKU_OK"][10:] == ("ok", 0.0)
    assert got["SKU_SEM"][2:5] == (3.0, 0.0, 0.0) and got["SKU_SEM"][10:] == ("sem_demanda", 0.0)
    safety, reorder, maximum = policy(0.1, 5.2 / 52**0.5)
    assert got["SKU_RUP"][1:3] == (None, 0.0)  # no line in the latest snapshot (the older one is ignored)
    assert got["SKU_RUP"][10:] == pytest.approx(("ruptura", maximum))


def test_monthly_demand_forecast_and_backtest_tables(forecast_engine: Engine, warehouse_url: str) -> None:
    result = materialize(warehouse_url, model="naive", check=True)
    # The file's months: 2024-06 (SKU_SEM's sale 400 days before) to 2025-08; only 2025-08 is partial.
    months = rows(forecast_engine, "SELECT DISTINCT mes, completo FROM demanda_mensal ORDER BY mes")
    assert len(months) == 15 and months[0][0] == "2024-06-01" and months[-1][0] == "2025-08-01"
    assert [bool(c) for _, c in months] == [True] * 14 + [False]
    assert is_complete(date(2025, 7, 1), LATEST) and not is_complete(date(2025, 8, 1), LATEST)
    assert rows(forecast_engine, "SELECT COUNT(*) FROM demanda_mensal") == [(6 * 15,)]
    assert rows(
        forecast_engine, "SELECT toneladas FROM demanda_mensal WHERE \"SKU\" = 'SKU_SEM' AND mes = '2025-07-01'"
    ) == [(0.0,)]  # net -1 clipped at 0
    # SKU_OK sells 2 t a week: 4 or 5 sales a month; July 2025 holds days 4, 11, 18, 25 of July -> 8 t.
    assert rows(
        forecast_engine, "SELECT toneladas FROM demanda_mensal WHERE \"SKU\" = 'SKU_OK' AND mes = '2025-07-01'"
    ) == [(8.0,)]
    # Forecast: from July (mes_base), SKUs sold in Aug 2024..Jul 2025: not SKU_SEM (2024-06), not SKU_RUP (2025-08).
    forecast_rows = rows(
        forecast_engine,
        'SELECT "SKU", mes_base, mes_previsto, horizonte, modelo, toneladas_previstas FROM previsao_demanda '
        'ORDER BY "SKU", horizonte',
    )
    assert {r[0] for r in forecast_rows} == {"SKU_OK", "SKU_REP", "SKU_EXC", "SKU_MP"}
    assert [r[1:5] for r in forecast_rows if r[0] == "SKU_OK"] == [
        ("2025-07-01", "2025-08-01", 1, "naive"),
        ("2025-07-01", "2025-09-01", 2, "naive"),
        ("2025-07-01", "2025-10-01", 3, "naive"),
    ]
    assert [r[5] for r in forecast_rows if r[0] == "SKU_OK"] == [8.0, 8.0, 8.0]  # naive: July's 8 t
    models = rows(forecast_engine, "SELECT DISTINCT modelo FROM avaliacao_previsao ORDER BY modelo")
    assert [m for (m,) in models] == sorted(FORECASTERS)
    assert rows(forecast_engine, "SELECT COUNT(*) FROM avaliacao_previsao") == [(len(FORECASTERS) * 3,)]
    # naive configured: it cannot beat itself, so the check fails as an ERROR: the run fails, blocking what reads it
    assert not result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {PREVISAO_SUPERA_NAIVE, VIES_DA_PREVISAO, COBERTURA_DO_INTERVALO}
    evaluation = evaluations[PREVISAO_SUPERA_NAIVE]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR


def test_no_report_shows_a_forecast_or_advice_that_saw_after_its_month(
    forecast_engine: Engine, warehouse_url: str
) -> None:
    """The forecast saw up to mes_base (July); the advice, billing to 1 Aug and the snapshot of 4 Aug."""
    assert materialize(warehouse_url).success
    with forecast_engine.connect() as conn:
        sections = {
            month: forecast_section(conn, month, advice_snapshot(conn, month))
            for month in (date(2025, m, 1) for m in range(1, 10))
        }
    assert [m.month for m, s in sections.items() if s is not None] == [7, 8, 9]
    for month, section in sections.items():
        if section is not None:
            assert section.base <= month
            assert section.months == (date(2025, 8, 1), date(2025, 9, 1), date(2025, 10, 1))
            assert section.reorder_snapshot is None or section.reorder_snapshot < add_months(month, 1)
    july, august = sections[date(2025, 7, 1)], sections[date(2025, 8, 1)]
    assert july is not None and july.reorder_snapshot is None and july.reorder == []
    assert august is not None and august.reorder_snapshot == date(2025, 8, 4)
    assert [(line.sku, line.action) for line in august.reorder] == [("SKU_REP", "repor"), ("SKU_RUP", "ruptura")]
    assert august.reorder_count == 2 and august.totals == pytest.approx((sum(august.totals) / 3,) * 3)


@pytest.fixture
def linear_engine(warehouse_url: str) -> Iterator[Engine]:
    """SKU_A sells 1, 2, ..., 8 t in Jan..Aug 2024 (one line each), SKU_B 0 t (a sale and its return); a line on
    1 Sep 2024 makes September the partial month, so August is mes_base."""
    lines = [(datetime(2024, m, 15), "SKU_A", float(m)) for m in range(1, 9)]
    lines += [(datetime(2024, 3, 5), "SKU_B", 2.0), (datetime(2024, 3, 6), "SKU_B", -2.0)]
    lines += [(datetime(2024, 9, 1), "SKU_A", 1.0)]
    engine = billed_engine(warehouse_url, lines)
    yield engine
    engine.dispose()


def billed_engine(url: str, lines: list[tuple[datetime, str, float]]) -> Engine:
    """A warehouse at head holding one client and a billing line per (date, SKU, tonnes)."""
    engine = one_client_warehouse(url)
    with engine.begin() as conn:
        conn.execute(Faturamento.__table__.insert(), [billing_line(when, sku, tonnes) for when, sku, tonnes in lines])
    return engine


def test_backtest_table_worked_by_hand(linear_engine: Engine, warehouse_url: str) -> None:
    """The same hand-worked figures as the numpy test, through Dagster into either database."""
    assert dg.materialize(
        [faturamento_diario, demanda_mensal, avaliacao_previsao],
        resources={"warehouse": Warehouse(url=warehouse_url), "forecast_settings": ForecastSettings()},
    ).success
    got = {
        (model, h): (origins, skus, wape, mase, bias)
        for model, h, origins, skus, wape, mase, bias in rows(
            linear_engine, "SELECT modelo, horizonte, origens, skus, wape, mase, vies FROM avaliacao_previsao"
        )
    }
    assert got[("naive", 1)] == pytest.approx((6, 2, 6 / 33, 1.0, -6 / 33))
    assert got[("naive", 2)] == pytest.approx((5, 2, 10 / 30, 2.0, -10 / 30))
    assert got[("naive", 3)] == pytest.approx((4, 2, 12 / 26, 3.0, -12 / 26))
    assert got[("ma3", 1)][2:4] == pytest.approx((11.5 / 33, 11.5 / 6))
    assert {model for model, _ in got} == set(FORECASTERS)
