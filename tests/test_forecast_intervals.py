"""The 80% interval and the nested choice, on errors and series worked out by hand; the interval's columns through
Dagster on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import date, datetime
from statistics import NormalDist

import dagster as dg
import numpy as np
import pytest
from sqlalchemy import Engine, text

from synapse_pipeline.forecast.assets import (
    COVERAGE_KEY,
    avaliacao_previsao,
    demanda_mensal,
    previsao_demanda,
    recomendacao_estoque,
)
from synapse_pipeline.forecast.backtest import Score, score
from synapse_pipeline.forecast.checks import COBERTURA_DO_INTERVALO, coverage_verdict, forecast_checks
from synapse_pipeline.forecast.intervals import (
    TOTAL,
    Errors,
    backtest_errors,
    conformal_bounds,
    coverage,
    quantiles,
)
from synapse_pipeline.forecast.resources import ForecastSettings
from synapse_pipeline.forecast.selection import FORECASTERS, NESTED, NESTED_CANDIDATES, nested_choice
from synapse_pipeline.kpis.assets import faturamento_diario
from synapse_pipeline.lib.dates import add_months
from synapse_pipeline.warehouse.models import Estoque
from synapse_pipeline.warehouse.resource import Warehouse
from tests.support import stock_line
from tests.test_forecast import billed_engine


def test_conformal_bounds_worked_by_hand() -> None:
    # n = 19: the floor(20 x 0.1) = 2nd and ceil(20 x 0.9) = 18th smallest
    assert conformal_bounds(np.arange(19, 0, -1.0)) == (2.0, 18.0)
    # n = 5: (n + 1) x 0.9 = 5.4 -> past the last: the largest; (n + 1) x 0.1 = 0.6 -> the smallest
    assert conformal_bounds(np.array([5.0, -1.0, 0.0, 2.0, -3.0])) == (-3.0, 5.0)


def errors(rows: list[tuple[int, int, str, float, float, float]]) -> Errors:
    """Errors from (origin, horizon, class, forecast, actual, scale) rows."""
    origin, horizon, demand_class, forecast, actual, scale = zip(*rows, strict=True)
    return Errors(
        np.array(origin),
        np.array(horizon),
        np.array(demand_class, dtype=object),
        *map(np.array, (forecast, actual, scale)),
    )


def test_backtest_errors_scaled_by_the_skus_year_and_the_total_relative() -> None:
    demand = np.array([[2, 2, 2, 2], [0, 0, 0, 0]], dtype=float)
    got = backtest_errors(demand, {1: np.array([[3.0, 3, 3], [1, 1, 1]])})
    # SKU 0: scale = mean(2, 2) = 2; h1 and h2 inside the 4 months, each (2 - 3) / 2. SKU 1 sold nothing: not judged.
    # The total: forecast 3 + 1 = 4 against 2 -> 2 / 4 - 1.
    assert list(zip(got.horizon.tolist(), got.demand_class.tolist(), got.error.tolist(), strict=True)) == [
        (1, "suave", -0.5),
        (1, TOTAL, -0.5),
        (2, "suave", -0.5),
        (2, TOTAL, -0.5),
    ]


def test_quantiles_per_class_and_horizon_with_a_small_class_pooled() -> None:
    steady = [(0, 1, "suave", 10.0, 10.0 + k, 1.0) for k in range(20)]  # errors 0..19
    rare = [(0, 1, "irregular", 0.0, 100.0, 1.0)] * 3  # too few alone: pooled with every SKU class
    learned = quantiles(errors(steady + rare))
    assert learned[("suave", 1)] == (1.0, 18.0)  # n 20: the 2nd and 19th smallest
    assert learned[("irregular", 1)] == (1.0, 100.0)  # n 23: the 2nd and 22nd of 0..19, 100, 100, 100
    assert ("suave", 2) not in learned


def test_coverage_learns_on_earlier_targets_and_judges_later_origins() -> None:
    learn = [(0, 1, "suave", 10.0, 10.0 + k, 1.0) for k in range(20)]  # target 1: the interval of 10 is [11, 28]
    judge = [(1, 1, "suave", 10.0, actual, 1.0) for actual in (10.0, 11.0, 20.0, 28.0, 29.0)]
    held = coverage(errors(learn + judge))
    # origin 0 has no earlier target to learn from: not judged; origin 1: 11, 20 and 28 inside, 10 and 29 outside
    assert (held.skus, held.sku_pairs) == (pytest.approx(0.6), 5)
    assert np.isnan(held.total) and held.total_pairs == 0


def test_the_coverage_verdict() -> None:
    def at_one(covered: float | None) -> Score:
        return Score("m", 1, 6, 10, 0.5, 1.0, 0.0, covered)

    assert coverage_verdict(at_one(0.8))[0] is True
    assert coverage_verdict(at_one(0.65))[:2] == (False, dg.AssetCheckSeverity.WARN)
    assert coverage_verdict(at_one(0.95))[0] is False and coverage_verdict(at_one(None))[0] is False


def test_the_nested_choice_never_sees_the_months_it_is_scored_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every candidate call made while the backtest scores escolha_aninhada ends at or before the origin being
    scored, and the choice at an origin is the candidate with the lowest loss on the origins before it."""
    rng = np.random.default_rng(3)
    demand = rng.poisson(3.0, (25, 19)).astype(float)
    seen: list[tuple[int, int]] = []  # (origin columns the scored call saw, columns a candidate saw)
    scored: list[int] = []
    for name in NESTED_CANDIDATES:
        candidate = FORECASTERS[name]

        def spy(history: np.ndarray, horizons: int, candidate=candidate) -> np.ndarray:
            seen.append((scored[-1], history.shape[1]))
            return candidate(history, horizons)

        monkeypatch.setitem(FORECASTERS, name, spy)
    nested = FORECASTERS[NESTED]

    def scoring(history: np.ndarray, horizons: int) -> np.ndarray:
        scored.append(history.shape[1])
        return nested(history, horizons)

    score(NESTED, demand, scoring)
    assert scored == [13, 14, 15, 16, 17, 18]
    assert all(columns <= origin for origin, columns in seen)
    # inner origins 8..11 (columns 9..12) are judged on targets up to column 12, then the choice forecasts from 13
    assert {columns for origin, columns in seen if origin == 13} == {9, 10, 11, 12, 13}
    wild = demand.copy()
    wild[:, 14:] *= 50  # the months after origin 13 changed beyond recognition: the same choice there
    assert nested_choice(demand[:, :14]) == nested_choice(wild[:, :14])


Z90, Z95 = NormalDist().inv_cdf(0.90), NormalDist().inv_cdf(0.95)

# 24 SKUs: SKU_i sells x = i tonnes in even months and 2x in odd ones, Jan 2023 .. Dec 2024; one line on 1 Jan 2025.
FIRST = date(2023, 1, 1)
SKUS = 24


@pytest.fixture
def alternating_engine(warehouse_url: str) -> Iterator[Engine]:
    lines = [
        (datetime.combine(add_months(FIRST, m), datetime.min.time()), f"SKU_{i:02d}", float(i * (1 + m % 2)))
        for i in range(1, SKUS + 1)
        for m in range(24)
    ] + [(datetime(2025, 1, 1), "SKU_01", 1.0)]
    engine = billed_engine(warehouse_url, lines)
    yield engine
    engine.dispose()


def test_interval_columns_worked_by_hand(alternating_engine: Engine, warehouse_url: str) -> None:
    """Naive's errors over the 12 origins are +-x against a scale of 1.5x: +-2/3 at one and three months, 0 at two
    (the same phase); the total's are +1 and -1/2. December sold 2x, so naive forecasts 2x every month."""
    result = dg.materialize(
        [faturamento_diario, demanda_mensal, avaliacao_previsao, previsao_demanda, forecast_checks],
        resources={"warehouse": Warehouse(url=warehouse_url), "forecast_settings": ForecastSettings(modelo="naive")},
        raise_on_error=False,
    )
    with alternating_engine.connect() as conn:
        got = conn.execute(
            text(
                'SELECT "SKU", horizonte, toneladas_previstas, limite_inferior, limite_superior, total_previsto, '
                'total_limite_inferior, total_limite_superior FROM previsao_demanda ORDER BY "SKU", horizonte'
            )
        ).all()
        covered = conn.execute(
            text("SELECT horizonte, cobertura_80 FROM avaliacao_previsao WHERE modelo = 'naive' ORDER BY horizonte")
        ).all()
    total = sum(2.0 * i for i in range(1, SKUS + 1))
    expected = [
        (f"SKU_{i:02d}", h, 2.0 * i, *((2.0 * i,) * 2 if h == 2 else (i, 3.0 * i)), total,
         *((total, total) if h == 2 else (total / 2, total * 2)))
        for i in range(1, SKUS + 1)
        for h in (1, 2, 3)
    ]  # fmt: skip
    assert [tuple(row) for row in got] == [pytest.approx(row) for row in expected]
    # Origins 11..22. At one month, origin 12 is judged on what origin 11's error taught (-2/3 only) and misses its
    # +2/3; origins 13..22 know both signs: 10 of 11. At three months, origin 14 knows only -2/3 (origin 11's) and
    # misses, 15..20 hold: 6 of 7. At two months every error is 0: all 10 held.
    assert [tuple(row) for row in covered] == [(1, pytest.approx(10 / 11)), (2, 1.0), (3, pytest.approx(6 / 7))]
    for asset in ("avaliacao_previsao", "previsao_demanda"):  # the UI shows the one-month coverage on both
        metadata = result.asset_materializations_for_node(asset)[0].metadata
        assert metadata[COVERAGE_KEY].value == pytest.approx(round(10 / 11, 4))
    evaluation = {e.check_name: e for e in result.get_asset_check_evaluations()}[COBERTURA_DO_INTERVALO]
    assert not evaluation.passed and "90.9%" in str(evaluation.description)  # above 90%: wider than it needs


def test_stock_advice_from_the_forecast_and_its_interval(alternating_engine: Engine, warehouse_url: str) -> None:
    """SKU_01 (x = 1) with 0.5 t and SKU_24 (x = 24) with 1,000 t on 2 Jan 2025. Naive forecasts 2x a month with
    the interval's high end 3x in January, 2x in February: a January error deviation of x / z(0.90), none in February.
    L = 4 weeks is 4 / (52/12) of January; L + R = 5 weeks is January and 5 / (52/12) - 1 of February."""
    with alternating_engine.begin() as conn:
        conn.execute(
            Estoque.__table__.insert(),
            [stock_line(datetime(2025, 1, 2), sku, tonnes) for sku, tonnes in (("SKU_01", 0.5), ("SKU_24", 1000.0))],
        )
    assert dg.materialize(
        [faturamento_diario, demanda_mensal, avaliacao_previsao, previsao_demanda, recomendacao_estoque],
        resources={"warehouse": Warehouse(url=warehouse_url), "forecast_settings": ForecastSettings(modelo="naive")},
    ).success
    with alternating_engine.connect() as conn:
        got = {
            row[0]: row[1:]
            for row in conn.execute(
                text(
                    'SELECT "SKU", demanda_lead_time_t, demanda_protecao_t, estoque_seguranca_t, ponto_pedido_t, '
                    "estoque_maximo_t, acao, compra_sugerida_t, fonte_demanda FROM recomendacao_estoque"
                )
            )
        }
    months_l, months_p = 4 / (52 / 12), 5 / (52 / 12)
    maximum = {}
    for sku, x in (("SKU_01", 1), ("SKU_24", 24)):
        lead, protection = 2 * x * months_l, 2 * x * months_p
        safety = Z95 * ((x / Z90) ** 2 + (protection / 5) ** 2) ** 0.5
        maximum[sku] = protection + safety
        assert got[sku][:5] == pytest.approx((lead, protection, safety, lead + safety, protection + safety))
        assert got[sku][7] == "previsao"
    assert got["SKU_01"][5:7] == ("repor", pytest.approx(maximum["SKU_01"] - 0.5))  # 0.5 t under its reorder point
    assert got["SKU_24"][5:7] == ("excesso", 0.0)  # 1,000 t: over 26 weeks of its 52 weeks' demand
    assert got["SKU_24"][1] > 2 * 24  # the purchase covers more than a month: L + R is 5 weeks
