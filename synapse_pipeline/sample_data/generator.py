"""Sample ERP exports shaped like the real ones (`../shared/spec/export-profile.md`), of any size, for a seed.

The real exports are not part of the project, yet the pipeline, its tests and its demos need files like them;
`generate` writes both deterministically and streams them in blocks, so ten million lines take little memory.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synapse_pipeline.lib.files import written_atomically
from synapse_pipeline.sample_data.catalogue import build_catalogue
from synapse_pipeline.sample_data.demand import demand_plan
from synapse_pipeline.sample_data.estoque import ESTOQUE_COLUMNS, estoque_blocks
from synapse_pipeline.sample_data.faturamento import FATURAMENTO_COLUMNS, MONTH_WEIGHTS, faturamento_blocks
from synapse_pipeline.sample_data.lots import LOT_SPACE

ESTOQUE_FILE = "estoque 1.csv"
FATURAMENTO_FILE = "faturamento 1.csv"
ESTOQUE_ROWS = 1_471  # the real snapshot's lines


@dataclass(frozen=True)
class GeneratedFiles:
    """The two files written and their data lines (header excluded)."""

    estoque: Path
    faturamento: Path
    estoque_lines: int
    faturamento_lines: int


def generate(
    out_dir: Path,
    *,
    clients: int = 11,
    faturamento_rows: int = 17_343,
    estoque_rows: int = ESTOQUE_ROWS,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> GeneratedFiles:
    """Write `estoque 1.csv` and `faturamento 1.csv` into `out_dir`; same arguments, same bytes.

    `progress` is called with the number of lines of each block written (a progress bar's update).
    """
    out_dir = Path(out_dir)
    if clients < 1:
        raise ValueError(f"clients must be at least 1, got {clients}")
    if estoque_rows < clients:
        raise ValueError(f"estoque_rows ({estoque_rows}) must be at least clients ({clients})")
    if not max(clients, len(MONTH_WEIGHTS)) <= faturamento_rows < LOT_SPACE:
        raise ValueError(f"faturamento_rows must be in [{max(clients, len(MONTH_WEIGHTS))}, {LOT_SPACE})")
    catalogue_seq, estoque_seq, faturamento_seq, demand_seq = np.random.SeedSequence(seed).spawn(4)
    catalogue = build_catalogue(np.random.default_rng(catalogue_seq), clients)
    plan = demand_plan(
        np.random.default_rng(demand_seq), catalogue.sold_weights, catalogue.client_weights, len(MONTH_WEIGHTS)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    estoque = out_dir / ESTOQUE_FILE
    faturamento = out_dir / FATURAMENTO_FILE
    _write_atomically(
        estoque,
        ESTOQUE_COLUMNS,
        estoque_blocks(np.random.default_rng(estoque_seq), catalogue, estoque_rows),
        progress,
    )
    _write_atomically(
        faturamento,
        FATURAMENTO_COLUMNS,
        faturamento_blocks(np.random.default_rng(faturamento_seq), catalogue, plan, faturamento_rows),
        progress,
    )
    return GeneratedFiles(estoque, faturamento, estoque_rows, faturamento_rows)


def _write_atomically(
    path: Path, columns: tuple[str, ...], blocks: Iterator[str], progress: Callable[[int], None] | None
) -> None:
    """Write the header and the blocks to a temporary file beside `path`, then rename it to `path`."""
    with written_atomically(path) as temporary, temporary.open("w", encoding="utf-8", newline="") as file:
        file.write("|".join(columns) + "\n")
        for block in blocks:
            file.write(block)
            if progress is not None:
                progress(block.count("\n"))
