"""`previsao_supera_naive`: the forecast is used only if, on months it did not see, it beats "same as last month".

ERROR (blocking what reads the forecast) when the configured forecaster's WAPE at one month is not below naive's;
WARN when it is above WARN_RATIO of it, or when its bias is beyond MAX_BIAS either way.
"""

import dagster as dg
import pandas as pd
from sqlalchemy import select

from synapse_pipeline.forecast.assets import backtest_table, previsao_demanda
from synapse_pipeline.forecast.backtest import Score
from synapse_pipeline.forecast.tables import AVALIACAO_PREVISAO, PREVISAO_DEMANDA
from synapse_pipeline.warehouse.resource import Warehouse

PREVISAO_SUPERA_NAIVE = "previsao_supera_naive"
WARN_RATIO = 0.95
MAX_BIAS = 0.10


def verdict(configured: Score | None, naive: Score | None) -> tuple[bool, dg.AssetCheckSeverity, str]:
    """(passed, severity, why) for the configured forecaster's and naive's scores at one month."""
    if configured is None or naive is None or not naive.wape > 0:
        return False, dg.AssetCheckSeverity.ERROR, "no backtest at one month: too few complete months to judge"
    ratio = configured.wape / naive.wape
    words = f"WAPE {configured.wape:.3f} = {ratio:.3f} x naive's {naive.wape:.3f}, bias {configured.vies:+.1%}"
    if not ratio < 1:
        return False, dg.AssetCheckSeverity.ERROR, f"does not beat naive: {words}"
    if ratio > WARN_RATIO:
        return False, dg.AssetCheckSeverity.WARN, f"barely beats naive (over {WARN_RATIO}): {words}"
    if abs(configured.vies) > MAX_BIAS:
        return False, dg.AssetCheckSeverity.WARN, f"bias beyond {MAX_BIAS:.0%}: {words}"
    return True, dg.AssetCheckSeverity.WARN, words


@dg.asset_check(
    asset=previsao_demanda,
    name=PREVISAO_SUPERA_NAIVE,
    additional_deps=["avaliacao_previsao"],
    blocking=True,
    description="The forecaster's one-month WAPE beats naive's (ERROR), by 5% and with |bias| <= 10% (WARN).",
)
def previsao_supera_naive(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.engine.connect() as conn:
        model = conn.execute(select(PREVISAO_DEMANDA.c.modelo).limit(1)).scalar()
        scores = [Score(**row) for row in pd.read_sql_query(select(AVALIACAO_PREVISAO), conn).to_dict("records")]
    at_one = {s.modelo: s for s in scores if s.horizonte == 1}
    passed, severity, why = verdict(at_one.get(str(model)), at_one.get("naive"))
    return dg.AssetCheckResult(
        passed=passed,
        severity=severity,
        description=why,
        metadata={"modelo": str(model), "resultado": why, "backtest": backtest_table(scores)},
    )
