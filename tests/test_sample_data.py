"""The sample generator writes exports shaped like the real ones (`export-profile.md`), deterministically."""

import os
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from synapse_pipeline.forecast.classes import demand_classes
from synapse_pipeline.sample_data.generator import (
    ESTOQUE_COLUMNS,
    FATURAMENTO_COLUMNS,
    GeneratedFiles,
    generate,
)
from synapse_pipeline.settings import PROJECT_ROOT
from tests.support import at_terminal

DOUBLE_ENCODED = "PRÉ-PINTADO GALVALUME".encode().decode("latin-1")
DECIMAL_3 = re.compile(r"^-?\d+\.\d{3}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Export:
    """A generated file read back: its raw lines and its rows as dicts."""

    lines: list[str]
    rows: list[dict[str, str]]

    def column(self, name: str) -> list[str]:
        return [row[name] for row in self.rows]

    @property
    def duplicates(self) -> int:
        return len(self.lines) - len(set(self.lines))


def _read(path: Path, columns: tuple[str, ...]) -> Export:
    text = path.read_bytes().decode("utf-8")
    header, *lines = text.split("\n")[:-1]
    assert header == "|".join(columns)
    rows = [dict(zip(columns, line.split("|"), strict=True)) for line in lines]
    return Export(lines, rows)


def _months(dates: list[str]) -> Counter[str]:
    return Counter(day[:7] for day in dates)


@pytest.fixture(scope="module")
def default_files(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    return generate(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def estoque(default_files: GeneratedFiles) -> Export:
    return _read(default_files.estoque, ESTOQUE_COLUMNS)


@pytest.fixture(scope="module")
def faturamento(default_files: GeneratedFiles) -> Export:
    return _read(default_files.faturamento, FATURAMENTO_COLUMNS)


def test_same_seed_gives_the_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", faturamento_rows=5_000, estoque_rows=700, seed=3)
    second = generate(tmp_path / "b", faturamento_rows=5_000, estoque_rows=700, seed=3)
    other = generate(tmp_path / "c", faturamento_rows=5_000, estoque_rows=700, seed=4)
    assert first.estoque.read_bytes() == second.estoque.read_bytes()
    assert first.faturamento.read_bytes() == second.faturamento.read_bytes()
    assert first.estoque.read_bytes() != other.estoque.read_bytes()
    assert first.faturamento.read_bytes() != other.faturamento.read_bytes()


def test_files_names_and_counts(default_files: GeneratedFiles) -> None:
    assert default_files.estoque.name == "estoque 1.csv"
    assert default_files.faturamento.name == "faturamento 1.csv"
    assert (default_files.estoque_lines, default_files.faturamento_lines) == (1_471, 17_343)
    assert sorted(p.name for p in default_files.estoque.parent.iterdir()) == [
        "estoque 1.csv",
        "faturamento 1.csv",
    ]


@pytest.mark.parametrize("name", ["estoque", "faturamento"])
def test_format(default_files: GeneratedFiles, name: str) -> None:
    path: Path = getattr(default_files, name)
    columns = ESTOQUE_COLUMNS if name == "estoque" else FATURAMENTO_COLUMNS
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw and b'"' not in raw
    assert raw.endswith(b"\n")
    export = _read(path, columns)
    assert len(export.lines) == getattr(default_files, f"{name}_lines")
    assert all(value != "" for row in export.rows for value in row.values())
    assert all(ISO_DATE.match(day) for day in export.column("data"))
    assert all(code.isdigit() for code in export.column("cod_cliente"))
    assert all(len(lot) <= 10 for lot in export.column("lote"))


def test_estoque_shape(estoque: Export) -> None:
    assert len(estoque.rows) == 1_471
    assert set(estoque.column("data")) == {"2025-08-04"}
    assert estoque.duplicates == 14
    centres = Counter(estoque.column("es_centro")).most_common()
    assert [centre for centre, _ in centres] == ["1101", "2401", "32D1", "22D1"]
    tipos = Counter(estoque.column("tipo_material")).most_common()
    assert [tipo for tipo, _ in tipos] == ["Produto Acabado", "Materia Prima"]
    assert set(estoque.column("produto")) == {"Rolo", "Chapa", "Bobina", "Tira"}
    assert set(estoque.column("grupo_mercadoria")) == {"Zincado", "Laminado a Quente", "Laminado a Frio"}

    origens = estoque.column("origem")
    assert {o.strip() for o in origens} == {"S_PRG_REF", "E_PRG_REF", "S_MFL_QP", "E_MFL_QP"}
    padded = [o for o in origens if o != o.strip()]
    assert 0.12 < len(padded) / len(origens) < 0.28
    assert {len(o) for o in padded} == {14} and "E_PRG_REF     " in padded
    assert Counter(o.strip() for o in origens)["S_MFL_QP"] < 0.1 * len(origens)

    codes = set(estoque.column("cod_produto"))
    assert len(codes) == 18
    assert {"RZN", "RFF", "CZN", "RFQD", "BZN", "CG", "TZN", "CGD", "BFF"} <= codes

    lots = estoque.column("lote")
    standard = [lot for lot in lots if re.fullmatch(r"[A-Z]{3}\d{3}/\d", lot)]
    assert len(standard) > 0.85 * len(lots)
    assert any(" /" in lot for lot in lots) and any(re.fullmatch(r"[A-Z]{3}\d{3} ?/S", lot) for lot in lots)

    days = [int(d) for d in estoque.column("dias_em_estoque")]
    assert min(days) >= 2 and 1_000 < max(days) <= 1_500
    assert 0.14 < sum(d > 180 for d in days) / len(days) < 0.26

    stock = estoque.column("es_totalestoque")
    assert all(DECIMAL_3.match(v) for v in stock)
    tonnes = [float(v) for v in stock]
    assert min(tonnes) >= 0.067 and 15 < max(tonnes) <= 24.5

    skus = estoque.column("SKU")
    assert all(re.fullmatch(r"SKU_\d+", sku) for sku in skus)
    assert 270 <= len(set(skus)) <= 330


def test_faturamento_shape(faturamento: Export) -> None:
    assert len(faturamento.rows) == 17_343
    assert faturamento.duplicates == 50
    dates = faturamento.column("data")
    assert (min(dates), max(dates)) == ("2024-01-10", "2025-08-01")
    assert dates == sorted(dates)
    months = _months(dates)
    assert len(months) == 20
    assert all(400 <= months[m] <= 1_300 for m in months if m != "2025-08")
    assert 1 <= months["2025-08"] <= 10

    origens = Counter(faturamento.column("origem"))
    assert set(origens) == {"PRG", "MFL_QP_DP"} and origens["PRG"] > 0.9 * len(faturamento.rows)
    groups = Counter(faturamento.column("zs_gr_mercad"))
    assert set(groups) == {"ZINCADO", "LAMINADO A QUENTE", "LAMINADO A FRIO", DOUBLE_ENCODED}
    assert "\u0089" in DOUBLE_ENCODED and 1 <= groups[DOUBLE_ENCODED] < 0.005 * len(faturamento.rows)
    forms = Counter(faturamento.column("produto"))
    assert set(forms) == {"Rolo", "Chapa", "Bobina", "Tira", "rolo"}
    assert forms["rolo"] < 0.05 * forms["Rolo"]
    assert set(faturamento.column("zs_centro")) == {"1101", "2401", "32D1", "22D1"}


def test_faturamento_cities_each_in_one_uf(faturamento: Export) -> None:
    ufs: defaultdict[str, set[str]] = defaultdict(set)
    for row in faturamento.rows:
        ufs[row["zs_cidade"]].add(row["zs_uf"])
    assert len(ufs) == 10
    assert all(len(states) == 1 for states in ufs.values())
    assert set().union(*ufs.values()) == {"SP", "PR", "SC"}
    assert {"CURITIBA", "POMPEIA", "JOINVILLE"} <= set(ufs)
    assert all(city == city.upper() for city in ufs)


def test_faturamento_weights_include_returns_and_zeros(faturamento: Export) -> None:
    weights = faturamento.column("zs_peso_liquido")
    assert all(DECIMAL_3.match(w) or w == "0" for w in weights)
    tonnes = [float(w) for w in weights]
    assert 0.005 < sum(t < 0 for t in tonnes) / len(tonnes) < 0.015
    assert 0.003 < sum(t == 0 for t in tonnes) / len(tonnes) < 0.009
    assert {"0", "0.000"} <= set(weights)
    assert -1.85 <= min(tonnes) < -1.0 and 20 < max(tonnes) <= 29.5


def test_giro_is_constant_per_sku_and_client(faturamento: Export) -> None:
    giros: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for row in faturamento.rows:
        giros[row["SKU"], row["cod_cliente"]].add(row["giro_sku_cliente"])
    assert all(len(values) == 1 for values in giros.values())
    values = [float(v) for (v,) in giros.values()]
    assert min(values) >= 0 and 200 < max(values) <= 500


def test_clients_and_skus_across_files(estoque: Export, faturamento: Export) -> None:
    clients = set(estoque.column("cod_cliente"))
    assert len(clients) == 11 and clients == set(faturamento.column("cod_cliente"))
    assert all(100 <= int(c) < 100_000 for c in clients)
    stock, sold = set(estoque.column("SKU")), set(faturamento.column("SKU"))
    assert 340 <= len(sold) <= 400
    assert 170 <= len(sold - stock) <= 210
    assert 95 <= len(stock - sold) <= 125


def test_number_of_clients_is_a_parameter(tmp_path: Path) -> None:
    files = generate(tmp_path, clients=25, faturamento_rows=3_000)
    estoque = _read(files.estoque, ESTOQUE_COLUMNS)
    faturamento = _read(files.faturamento, FATURAMENTO_COLUMNS)
    clients = set(estoque.column("cod_cliente"))
    assert len(clients) == 25 and clients == set(faturamento.column("cod_cliente"))


def test_a_larger_file_spreads_over_the_same_months(tmp_path: Path, faturamento: Export) -> None:
    files = generate(tmp_path, faturamento_rows=200_000)
    raw = files.faturamento.read_bytes().decode("utf-8").split("\n")[1:-1]
    assert len(raw) == 200_000 == files.faturamento_lines
    assert len(raw) - len(set(raw)) == round(200_000 * 50 / 17_343)
    big, small = _months([line[:10] for line in raw]), _months(faturamento.column("data"))
    assert set(big) == set(small)
    for month, lines in small.items():
        if month != "2025-08":
            assert lines / 17_343 == pytest.approx(big[month] / 200_000, rel=0.1)
    assert big["2025-08"] < 0.002 * 200_000
    assert min(line[:10] for line in raw) == "2024-01-10" and max(line[:10] for line in raw) == "2025-08-01"


def test_rejects_impossible_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, clients=0)
    with pytest.raises(ValueError):
        generate(tmp_path, clients=50, estoque_rows=10)
    assert list(tmp_path.iterdir()) == []


def test_committed_data_is_the_default_sample(tmp_path: Path) -> None:
    """`data/` holds exactly what `synapse generate-data` writes by default."""
    files = generate(tmp_path)
    for generated in (files.estoque, files.faturamento):
        assert generated.read_bytes() == (PROJECT_ROOT / "data" / generated.name).read_bytes()


def test_demand_over_time_is_shaped_like_the_real_file(estoque: Export, faturamento: Export) -> None:
    """The profile's "Demand over time": SKUs come and go, most are intermittent, levels move, raw material sits."""
    months = sorted(_months(faturamento.column("data")))[:-1]  # the 19 complete months
    tonnes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    clients: defaultdict[str, set[str]] = defaultdict(set)
    for row in faturamento.rows:
        tonnes[row["SKU"]][row["data"][:7]] += float(row["zs_peso_liquido"])
        clients[row["SKU"]].add(row["cod_cliente"])
    demand = np.array([[max(0.0, tonnes[sku][m]) for m in months] for sku in sorted(tonnes)])
    sold = demand > 0
    assert len(months) == 19 and 340 <= len(demand) <= 400
    assert 5 <= np.median(sold.sum(axis=1)) <= 8  # the median SKU sells in about 7 of 19 months
    assert 100 <= (sold.sum(axis=1) <= 3).sum() <= 150
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), 19)
    assert 35 <= ((first >= 13) & (first < 19)).sum() <= 70  # first sale in the last six months
    assert 100 <= (~sold[:, -3:].any(axis=1)).sum() <= 160  # nothing in the last three
    totals = demand.sum(axis=0)
    assert totals.min() >= 400 and totals.max() <= 1_800
    assert 0.1 <= np.mean(np.abs(np.diff(totals)) / totals[:-1]) <= 0.3
    classes = demand_classes(demand)
    assert 0.55 <= np.isin(classes, ["intermitente", "irregular"]).mean() <= 0.75
    assert 0.35 <= demand[classes == "suave"].sum() / demand.sum() <= 0.65
    ranked = np.cumsum(np.sort(demand.sum(axis=1))[::-1]) / demand.sum()
    assert 70 <= np.searchsorted(ranked, 0.8) + 1 <= 120 and 150 <= np.searchsorted(ranked, 0.95) + 1 <= 220
    assert sum(len(c) > 1 for c in clients.values()) <= 3  # a SKU's demand is one client's

    stock: Counter[str] = Counter()
    raw_skus = set()
    for row in estoque.rows:
        stock[row["tipo_material"]] += float(row["es_totalestoque"])
        if row["tipo_material"] == "Materia Prima":
            raw_skus.add(row["SKU"])
    assert 0.5 <= stock["Materia Prima"] / sum(stock.values()) <= 0.7
    assert len(raw_skus & set(tonnes)) <= 3 < len(raw_skus)  # raw material is almost never billed


def test_progress_counts_every_line_written(tmp_path: Path) -> None:
    written: list[int] = []
    files = generate(tmp_path, faturamento_rows=5_000, estoque_rows=700, progress=written.append)
    assert sum(written) == files.estoque_lines + files.faturamento_lines == 5_700


@pytest.mark.slow  # a real process at a terminal
def test_generate_data_shows_a_progress_bar_at_a_terminal(tmp_path: Path) -> None:
    """A long generation is not silent: at a terminal the bar moves from 0% to 100%, then the files are named."""
    synapse = str(Path(sys.executable).with_name("synapse"))
    argv = [synapse, "generate-data", "--out", str(tmp_path), "--faturamento-rows", "300000"]
    status, typed = at_terminal(argv, dict(os.environ), [], 120)
    assert status == 0, typed
    shown = [int(p) for p in re.findall(r"\r(?:\x1b\[\?25l)?generating +\[[#-]+\] +(\d+)%", typed)]
    assert shown[0] == 0 and shown[-1] == 100 and len(set(shown)) >= 3 and shown == sorted(shown), typed
    assert f"{tmp_path / 'faturamento 1.csv'}: 300,000 data lines" in typed
