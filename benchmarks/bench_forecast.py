"""Forecast benchmark: every forecaster's WAPE against naive's and bias, and the 80% interval's coverage.

For the sample (`data/faturamento 1.csv`) and a generated export of each size and seed (`synapse generate-data`; a
second seed checks that what helps on one draw of the generator is not luck), the billing's net tonnes per day,
client and SKU go into an in-memory SQLite `faturamento_diario` (the KPI stage's aggregate), `monthly_demand` reads
them as the asset does (complete months only), and the backtest scores every forecaster at 1 to 3 months. The
reference is naive ("repeat last month") in the same run: each WAPE is printed as a ratio to naive's at its
horizon, beside the issue's targets (0.85x naive, |bias| <= 10%); the configured forecaster's interval coverage is
measured on origins after the ones its quantiles were learned on. All of it is written as JSON to benchmarks/out/.

Usage: .venv/bin/python benchmarks/bench_forecast.py [--rows 1000000] [--seed 7 --seed 2019]
Not part of the test suite.
"""

import json
import tempfile
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
from sqlalchemy import create_engine

from synapse_pipeline.forecast.assets import complete_history
from synapse_pipeline.forecast.backtest import HORIZONS, score
from synapse_pipeline.forecast.demand import monthly_demand
from synapse_pipeline.forecast.intervals import coverage, interval_errors
from synapse_pipeline.forecast.selection import DEFAULT, FORECASTERS
from synapse_pipeline.kpis.catalog import FATURAMENTO_DIARIO
from synapse_pipeline.sample_data.generator import FATURAMENTO_FILE, generate
from synapse_pipeline.settings import PROJECT_ROOT

OUT = PROJECT_ROOT / "benchmarks" / "out"
TARGET_RATIO, MAX_BIAS = 0.85, 0.10


def demand_of(billing: Path) -> np.ndarray:
    """The complete months' demand (SKUs x months) of a billing file, through the asset's own query."""
    lines = pd.read_csv(billing, sep="|", usecols=["data", "cod_cliente", "SKU", "zs_peso_liquido"], dtype={"SKU": str})
    daily = (
        lines.groupby(["data", "cod_cliente", "SKU"], as_index=False)["zs_peso_liquido"]
        .sum()
        .rename(columns={"data": "dia", "SKU": "sku", "zs_peso_liquido": "toneladas_liquidas"})
    )
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        daily.to_sql(FATURAMENTO_DIARIO.name, conn, index=False)
        return complete_history(monthly_demand(conn))


def figures(name: str, history: np.ndarray) -> dict[str, object]:
    """Every forecaster's scores (WAPE, ratio to naive, bias) and the configured one's coverage, on one export."""
    naive = {s.horizonte: s.wape for s in score("naive", history, FORECASTERS["naive"])}
    rows = []
    for model, forecaster in FORECASTERS.items():
        started = time.perf_counter()
        scores = score(model, history, forecaster)
        seconds = time.perf_counter() - started
        rows += [
            {
                "export": name,
                "modelo": model,
                "h": s.horizonte,
                "wape": round(s.wape, 4),
                "wape_vs_naive": round(s.wape / naive[s.horizonte], 4),
                "vies": round(s.vies, 4),
                "segundos": round(seconds, 1),
            }
            for s in scores
        ]
    errors = interval_errors(history, FORECASTERS[DEFAULT])
    held = {h: coverage(errors.at_horizon(h)) for h in range(1, HORIZONS + 1)}
    return {
        "export": name,
        "skus": int(history.shape[0]),
        "meses_completos": int(history.shape[1]),
        "scores": rows,
        "cobertura_80": {h: {"skus": c.skus, "pares": c.sku_pairs, "total": c.total} for h, c in held.items()},
        "cobertura_80_todas": vars(coverage(errors)),
    }


def show(result: dict[str, object]) -> None:
    """The figure table of one export, the configured forecaster's h=1 line against the targets."""
    frame = pd.DataFrame(result["scores"])  # type: ignore[arg-type]
    print(f"\n{result['export']}: {result['skus']} SKUs, {result['meses_completos']} complete months")
    print(frame.pivot_table(index="modelo", columns="h", values=["wape_vs_naive", "vies"]).round(3).to_string())
    first = frame[(frame.modelo == DEFAULT) & (frame.h == 1)].iloc[0]
    print(
        f"{DEFAULT} h=1: WAPE {first.wape_vs_naive:.3f}x naive (target <= {TARGET_RATIO}), bias {first.vies:+.1%} "
        f"(target within ±{MAX_BIAS:.0%}); 80% interval coverage "
        + ", ".join(
            f"h{h} {c['skus']:.1%} of {c['pares']}, total {c['total']:.0%}" for h, c in result["cobertura_80"].items()
        )  # type: ignore[attr-defined]
    )


@click.command()
@click.option("--rows", multiple=True, type=int, default=[1_000_000], show_default=True)
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    type=int,
    default=[7, 2019],
    show_default=True,
    help="Generator seeds: each size is generated once per seed, a second draw of SKUs, lifetimes and levels",
)
def main(rows: tuple[int, ...], seeds: tuple[int, ...]) -> None:
    results = [figures("sample", demand_of(PROJECT_ROOT / "data" / FATURAMENTO_FILE))]
    show(results[0])
    for count in rows:
        for seed in seeds:
            with tempfile.TemporaryDirectory() as folder:
                generated = generate(Path(folder), faturamento_rows=count, seed=seed)
                results.append(figures(f"generated {count:,} lines, seed {seed}", demand_of(generated.faturamento)))
            show(results[-1])
    OUT.mkdir(exist_ok=True)
    (OUT / "forecast.json").write_text(json.dumps(results, indent=1, default=float))
    print(f"\nwritten to {OUT / 'forecast.json'}")


if __name__ == "__main__":
    main()
