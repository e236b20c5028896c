"""The forecast's three checks, each named after what it judges, on months the forecaster did not see.

`previsao_supera_naive`: the forecast is used only if it beats "same as last month": ERROR (blocking what reads the
forecast) when the configured forecaster's one-month WAPE is not below naive's, WARN above WARN_RATIO of it.
`vies_da_previsao`: WARN when its one-month bias is beyond MAX_BIAS either way (it runs low or high).
`cobertura_do_intervalo`: WARN when its 80% interval held the actual outside COVERAGE_RANGE of the time.
"""

from collections.abc import Iterator

import dagster as dg
import pandas as pd
from sqlalchemy import select

from synapse_pipeline.forecast.assets import backtest_table, previsao_demanda
from synapse_pipeline.forecast.backtest import Score
from synapse_pipeline.forecast.tables import AVALIACAO_PREVISAO, PREVISAO_DEMANDA
from synapse_pipeline.warehouse.resource import Warehouse

PREVISAO_SUPERA_NAIVE = "previsao_supera_naive"
VIES_DA_PREVISAO = "vies_da_previsao"
COBERTURA_DO_INTERVALO = "cobertura_do_intervalo"
COVERAGE_RANGE = (0.70, 0.90)  # an 80% interval judged on a few hundred SKU-months: within 10 points of 80%
WARN_RATIO = 0.95
MAX_BIAS = 0.10
Verdict = tuple[bool, dg.AssetCheckSeverity, str]  # passed, severity, why
NO_BACKTEST = (False, dg.AssetCheckSeverity.ERROR, "no backtest at one month: too few complete months to judge")


def beats_naive(configured: Score | None, naive: Score | None) -> Verdict:
    """The configured forecaster's WAPE at one month against naive's."""
    if configured is None or naive is None or not naive.wape > 0:
        return NO_BACKTEST
    ratio = configured.wape / naive.wape
    words = f"WAPE {configured.wape:.3f} = {ratio:.3f} x naive's {naive.wape:.3f}"
    if not ratio < 1:
        return False, dg.AssetCheckSeverity.ERROR, f"does not beat naive: {words}"
    if ratio > WARN_RATIO:
        return False, dg.AssetCheckSeverity.WARN, f"barely beats naive (over {WARN_RATIO}): {words}"
    return True, dg.AssetCheckSeverity.ERROR, words


def bias_verdict(configured: Score | None) -> Verdict:
    """The configured forecaster's bias at one month: forecast minus actual tonnes, over the actual."""
    if configured is None:
        return NO_BACKTEST[0], dg.AssetCheckSeverity.WARN, NO_BACKTEST[2]
    direction = "runs low" if configured.vies < 0 else "runs high"
    words = f"bias {configured.vies:+.1%} ({direction}; warns beyond ±{MAX_BIAS:.0%})"
    return abs(configured.vies) <= MAX_BIAS, dg.AssetCheckSeverity.WARN, words


def coverage_verdict(configured: Score | None) -> Verdict:
    """How often the configured forecaster's 80% interval held the actual at one month, learned on earlier origins."""
    if configured is None or configured.cobertura_80 is None or not configured.cobertura_80 >= 0:
        return False, dg.AssetCheckSeverity.WARN, "no interval coverage at one month: too few origins to judge"
    low, high = COVERAGE_RANGE
    words = f"the 80% interval held {configured.cobertura_80:.1%} of the actuals (warns outside {low:.0%}-{high:.0%})"
    return low <= configured.cobertura_80 <= high, dg.AssetCheckSeverity.WARN, words


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            PREVISAO_SUPERA_NAIVE,
            asset=previsao_demanda,
            additional_deps=["avaliacao_previsao"],
            blocking=True,
            description=f"The forecaster's one-month WAPE beats naive's (ERROR), by {1 - WARN_RATIO:.0%} (WARN).",
        ),
        dg.AssetCheckSpec(
            VIES_DA_PREVISAO,
            asset=previsao_demanda,
            additional_deps=["avaliacao_previsao"],
            description=f"The forecaster's one-month bias stays within ±{MAX_BIAS:.0%} (WARN).",
        ),
        dg.AssetCheckSpec(
            COBERTURA_DO_INTERVALO,
            asset=previsao_demanda,
            additional_deps=["avaliacao_previsao"],
            description="The 80% interval held the actual 70% to 90% of the time on later origins (WARN).",
        ),
    ],
)
def forecast_checks(warehouse: Warehouse) -> Iterator[dg.AssetCheckResult]:
    with warehouse.engine.connect() as conn:
        model = conn.execute(select(PREVISAO_DEMANDA.c.modelo).limit(1)).scalar()
        scores = [Score(**row) for row in pd.read_sql_query(select(AVALIACAO_PREVISAO), conn).to_dict("records")]
    at_one = {s.modelo: s for s in scores if s.horizonte == 1}
    configured = at_one.get(str(model))
    verdicts = {
        PREVISAO_SUPERA_NAIVE: beats_naive(configured, at_one.get("naive")),
        VIES_DA_PREVISAO: bias_verdict(configured),
        COBERTURA_DO_INTERVALO: coverage_verdict(configured),
    }
    for name, (passed, severity, why) in verdicts.items():
        yield dg.AssetCheckResult(
            asset_key=previsao_demanda.key,
            check_name=name,
            passed=passed,
            severity=severity,
            description=why,
            metadata={"modelo": str(model), "resultado": why, "backtest": backtest_table(scores)},
        )
