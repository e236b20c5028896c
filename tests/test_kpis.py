"""Each KPI table against a small fixture whose figures are worked out by hand, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import datetime

import dagster as dg
import pytest
from sqlalchemy import Engine, inspect, text

from synapse_pipeline.ingest.partitions import add_month_partitions
from synapse_pipeline.kpis.assets import grupo_produto, kpi_assets
from synapse_pipeline.kpis.checks import kpi_checks
from synapse_pipeline.kpis.groups import group_key, group_names
from synapse_pipeline.kpis.reconcile import RECONCILIATIONS
from synapse_pipeline.lib.markdown import escape
from synapse_pipeline.reports.assets import relatorio_mensal
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.models import Clientes, Estoque, Faturamento
from synapse_pipeline.warehouse.resource import Warehouse
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import failure_message

SNAPSHOT, OLDER = datetime(2025, 8, 4), datetime(2025, 7, 1)

# (snapshot, centro, client, group, SKU, days in stock, tonnes)
STOCK = [
    (SNAPSHOT, "1101", 10, "Zincado", "SKU_A", 10, 2.0),
    (SNAPSHOT, "1101", 10, "Zincado", "SKU_A", 20, 1.0),
    (SNAPSHOT, "1101", 10, "Zincado", "SKU_A", 200, 1.0),
    (SNAPSHOT, "1101", 20, "Laminado a Frio", "SKU_B", 45, 4.0),
    (SNAPSHOT, "2401", 20, "Zincado", "SKU_C", 95, 3.0),
    (SNAPSHOT, "2401", 30, "Pré-pintado Galvalume", "SKU_E", 400, 0.2),
    (OLDER, "1101", 10, "Zincado", "SKU_A", 5, 5.0),
]
# (date, client, SKU, group, form, code, city, UF, net tonnes, giro)
SALES = [
    ("2025-08-01", 10, "SKU_A", "ZINCADO", "Rolo", "RZN", "CURITIBA", "PR", 10.0, 5),
    ("2025-07-15", 10, "SKU_A", "ZINCADO", "Rolo", "RZN", "CURITIBA", "PR", 5.0, 5),
    ("2025-07-15", 10, "SKU_A", "ZINCADO", "Rolo", "RZN", "CURITIBA", "PR", -1.0, 5),
    ("2025-07-20", 20, "SKU_B", "LAMINADO A FRIO", "Chapa", "CFF", "POMPEIA", "SP", 6.0, 2),
    ("2025-07-20", 20, "SKU_D", "LAMINADO A FRIO", "Chapa", "CFF", "POMPEIA", "SP", 2.0, 1),
    ("2024-07-10", 30, "SKU_A", "ZINCADO", "Rolo", "RZN", "CURITIBA", "PR", 100.0, 3),
    ("2024-08-10", 30, "SKU_E", "PRE-PINTADO GALVALUME", "Bobina", "BPP", "JOINVILLE", "SC", 4.0, 7),
]


@pytest.fixture
def kpi_engine(warehouse_url: str) -> Iterator[Engine]:
    """The fixture loaded and every KPI table built through Dagster."""
    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
    with engine.begin() as conn:
        conn.execute(
            Clientes.__table__.insert(), [{"cod_cliente": c, "nome": f"Cliente {c // 10}"} for c in (10, 20, 30)]
        )
        conn.execute(
            Estoque.__table__.insert(),
            [
                dict(data=d, es_centro=ce, cod_cliente=cl, grupo_mercadoria=g, SKU=s, dias_em_estoque=days,
                     es_totalestoque=t, tipo_material="Produto Acabado", origem="S_PRG_REF", cod_produto="X",
                     lote="L", produto="Rolo")
                for d, ce, cl, g, s, days, t in STOCK
            ],
        )  # fmt: skip
        conn.execute(
            Faturamento.__table__.insert(),
            [
                dict(data=datetime.fromisoformat(d), cod_cliente=cl, SKU=s, zs_gr_mercad=g, produto=p,
                     cod_produto=code, zs_cidade=city, zs_uf=uf, zs_peso_liquido=t, giro_sku_cliente=giro,
                     lote="L", origem="PRG", zs_centro="1101")
                for d, cl, s, g, p, code, city, uf, t, giro in SALES
            ],
        )  # fmt: skip
    result = dg.materialize([grupo_produto, *kpi_assets], resources={"warehouse": Warehouse(url=warehouse_url)})
    assert result.success
    yield engine
    engine.dispose()


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(_plain(v) for v in row) for row in conn.execute(text(sql))]


def _plain(value: object) -> object:
    """Dates as ISO text and numbers as floats, so both databases compare alike."""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if value is None or isinstance(value, str):
        return value
    return round(float(value), 6)


def test_group_names_ignore_case_and_accents() -> None:
    assert group_key("Pré-pintado  Galvalume") == group_key("PRE-PINTADO GALVALUME")
    names = group_names(["Zincado", "ZINCADO", "Pré-pintado Galvalume", "PRE-PINTADO GALVALUME"])
    assert names == {
        "Zincado": "ZINCADO",
        "ZINCADO": "ZINCADO",
        "Pré-pintado Galvalume": "PRÉ-PINTADO GALVALUME",
        "PRE-PINTADO GALVALUME": "PRÉ-PINTADO GALVALUME",
    }


def test_estoque_aging(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT data_estoque, es_centro, grupo, cod_cliente, faixa_dias, ordem_faixa, toneladas, lotes, "
        "idade_media_semanas_ponderada, idade_media_semanas FROM estoque_aging "
        "ORDER BY data_estoque, es_centro, grupo, cod_cliente, ordem_faixa",
    )
    assert rows == [
        ("2025-07-01", "1101", "ZINCADO", 10, "0-30", 1, 5.0, 1, round(5 / 7, 6), round(5 / 7, 6)),
        ("2025-08-04", "1101", "LAMINADO A FRIO", 20, "31-60", 2, 4.0, 1, round(45 / 7, 6), round(45 / 7, 6)),
        # 2 t aged 10 days and 1 t aged 20: weighted (2*10 + 1*20) / 3 days, plain (10 + 20) / 2.
        ("2025-08-04", "1101", "ZINCADO", 10, "0-30", 1, 3.0, 2, round(40 / 3 / 7, 6), round(15 / 7, 6)),
        ("2025-08-04", "1101", "ZINCADO", 10, ">180", 5, 1.0, 1, round(200 / 7, 6), round(200 / 7, 6)),
        ("2025-08-04", "2401", "PRÉ-PINTADO GALVALUME", 30, ">180", 5, 0.2, 1, round(400 / 7, 6), round(400 / 7, 6)),
        ("2025-08-04", "2401", "ZINCADO", 20, "91-180", 4, 3.0, 1, round(95 / 7, 6), round(95 / 7, 6)),
    ]


def test_giro_sku(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT cod_cliente, sku, mes, toneladas_liquidas, toneladas_expedidas, toneladas_devolvidas, linhas, "
        "giro_sku_cliente FROM giro_sku ORDER BY cod_cliente, sku, mes",
    )
    assert rows == [
        (10, "SKU_A", "2025-07-01", 4.0, 5.0, -1.0, 2, 5.0),
        (10, "SKU_A", "2025-08-01", 10.0, 10.0, 0.0, 1, 5.0),
        (20, "SKU_B", "2025-07-01", 6.0, 6.0, 0.0, 1, 2.0),
        (20, "SKU_D", "2025-07-01", 2.0, 2.0, 0.0, 1, 1.0),
        (30, "SKU_A", "2024-07-01", 100.0, 100.0, 0.0, 1, 3.0),
        (30, "SKU_E", "2024-08-01", 4.0, 4.0, 0.0, 1, 7.0),
    ]


def test_vendas_regiao(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT uf, cidade, mes, toneladas_liquidas, toneladas_expedidas, toneladas_devolvidas, linhas, "
        "clientes_ativos FROM vendas_regiao ORDER BY uf, cidade, mes",
    )
    assert rows == [
        ("PR", "CURITIBA", "2024-07-01", 100.0, 100.0, 0.0, 1, 1),
        ("PR", "CURITIBA", "2025-07-01", 4.0, 5.0, -1.0, 2, 1),
        ("PR", "CURITIBA", "2025-08-01", 10.0, 10.0, 0.0, 1, 1),
        ("SC", "JOINVILLE", "2024-08-01", 4.0, 4.0, 0.0, 1, 1),
        ("SP", "POMPEIA", "2025-07-01", 8.0, 8.0, 0.0, 2, 1),
    ]


def test_mix_produto(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT mes, grupo, produto, cod_produto, toneladas_liquidas, participacao FROM mix_produto "
        "WHERE mes >= '2025-07-01' ORDER BY mes, grupo",
    )
    # July: 4 t net of zincado (5 shipped, 1 returned) and 6 + 2 t of laminado a frio, 12 t in all.
    assert rows == [
        ("2025-07-01", "LAMINADO A FRIO", "Chapa", "CFF", 8.0, round(8 / 12, 6)),
        ("2025-07-01", "ZINCADO", "Rolo", "RZN", 4.0, round(4 / 12, 6)),
        ("2025-08-01", "ZINCADO", "Rolo", "RZN", 10.0, 1.0),
    ]


def test_concentracao_clientes(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT posicao, cod_cliente, nome, toneladas_liquidas, participacao, participacao_acumulada, classe_abc, "
        "periodo_desde, periodo_ate FROM concentracao_clientes ORDER BY posicao",
    )
    # The 12 months up to 2025-08-01 leave out client 30's 100 t of 2024-07-10: 14 + 8 + 4 = 26 t.
    window = ("2024-08-01", "2025-08-01")
    assert rows == [
        (1, 10, "Cliente 1", 14.0, round(14 / 26, 6), round(14 / 26, 6), "A", *window),
        (2, 20, "Cliente 2", 8.0, round(8 / 26, 6), round(22 / 26, 6), "B", *window),
        (3, 30, "Cliente 3", 4.0, round(4 / 26, 6), 1.0, "C", *window),
    ]


def test_cobertura_cliente(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT data_estoque, sku, cod_cliente, estoque_toneladas, media_semanal_liquida, cobertura_semanas "
        "FROM cobertura_cliente ORDER BY data_estoque, sku, cod_cliente",
    )
    w = 52
    assert rows == [
        # 2025-07-01: demand from 2024-07-02; client 30's SKU_A and SKU_E were sold but have no stock line.
        ("2025-07-01", "SKU_A", 10, 5.0, 0.0, None),
        ("2025-07-01", "SKU_A", 30, 0.0, round(100 / w, 6), 0.0),
        ("2025-07-01", "SKU_E", 30, 0.0, round(4 / w, 6), 0.0),
        # 2025-08-04: demand from 2024-08-05.
        ("2025-08-04", "SKU_A", 10, 4.0, round(14 / w, 6), round(4 / (14 / w), 6)),
        ("2025-08-04", "SKU_B", 20, 4.0, round(6 / w, 6), round(4 / (6 / w), 6)),
        ("2025-08-04", "SKU_C", 20, 3.0, 0.0, None),
        ("2025-08-04", "SKU_D", 20, 0.0, round(2 / w, 6), 0.0),
        ("2025-08-04", "SKU_E", 30, 0.2, round(4 / w, 6), round(0.2 / (4 / w), 6)),
    ]
    # Per client, no verdict: what to do with a SKU is recomendacao_estoque's alone.
    columns = [c["name"] for c in inspect(kpi_engine).get_columns("cobertura_cliente")]
    assert columns == ["data_estoque", "sku", "cod_cliente", "estoque_toneladas", "media_semanal_liquida",
                       "cobertura_semanas"]  # fmt: skip


def test_the_per_client_coverage_drops_its_predecessor_and_its_verdicts(kpi_engine: Engine, warehouse_url: str) -> None:
    """A warehouse built before it holds `cobertura_estoque`, whose flags counted SKU-client pairs with the stock
    advice's words: the first build of `cobertura_cliente` drops it, in the same transaction."""
    with kpi_engine.begin() as conn:
        conn.execute(text("CREATE TABLE cobertura_estoque (data_estoque DATE, sku VARCHAR(50), repor INTEGER)"))
        conn.execute(text("INSERT INTO cobertura_estoque VALUES ('2025-08-04', 'SKU_A', 1)"))
    coverage = next(asset for asset in kpi_assets if asset.key == dg.AssetKey("cobertura_cliente"))
    assert dg.materialize([coverage], resources={"warehouse": Warehouse(url=warehouse_url)}).success
    tables = inspect(kpi_engine)
    assert tables.has_table("cobertura_cliente") and not tables.has_table("cobertura_estoque")


def test_frequencia_compra(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT cod_cliente, sku, dias_compra, primeira_compra, ultima_compra, intervalo_medio_dias "
        "FROM frequencia_compra ORDER BY cod_cliente, sku",
    )
    # 52 weeks up to 2025-08-01; the return of 2025-07-15 is not a purchase, its shipment that day is.
    assert rows == [
        (10, "SKU_A", 2, "2025-07-15", "2025-08-01", 17.0),
        (20, "SKU_B", 1, "2025-07-20", "2025-07-20", None),
        (20, "SKU_D", 1, "2025-07-20", "2025-07-20", None),
        (30, "SKU_E", 1, "2024-08-10", "2024-08-10", None),
    ]


def test_obsolescencia(kpi_engine: Engine) -> None:
    rows = _rows(
        kpi_engine,
        "SELECT data_estoque, es_centro, grupo, toneladas_obsoletas, toneladas_total, participacao "
        "FROM obsolescencia ORDER BY data_estoque, es_centro, grupo",
    )
    assert rows == [
        ("2025-07-01", "1101", "ZINCADO", 0.0, 5.0, 0.0),
        ("2025-08-04", "1101", "LAMINADO A FRIO", 0.0, 4.0, 0.0),
        ("2025-08-04", "1101", "ZINCADO", 1.0, 4.0, 0.25),
        ("2025-08-04", "2401", "PRÉ-PINTADO GALVALUME", 0.2, 0.2, 1.0),
        ("2025-08-04", "2401", "ZINCADO", 0.0, 3.0, 0.0),
    ]


def test_rebuilding_changes_nothing(kpi_engine: Engine, warehouse_url: str) -> None:
    tables = ["grupo_produto", *(a.key.path[-1] for a in kpi_assets)]
    before = {t: sorted(_rows(kpi_engine, f"SELECT * FROM {t}"), key=repr) for t in tables}
    assert dg.materialize([grupo_produto, *kpi_assets], resources={"warehouse": Warehouse(url=warehouse_url)}).success
    assert {t: sorted(_rows(kpi_engine, f"SELECT * FROM {t}"), key=repr) for t in tables} == before


def test_every_kpi_table_reconciles_with_its_source_and_a_broken_one_stops_the_report(
    kpi_engine: Engine, warehouse_url: str
) -> None:
    resources = {"warehouse": Warehouse(url=warehouse_url)}
    instance = dg.DagsterInstance.ephemeral()
    add_month_partitions(instance, ["2025-07-01"])  # the month the hand-made rows bill
    checked = dg.materialize([grupo_produto, *kpi_assets, *kpi_checks], resources=resources)
    evaluations = checked.get_asset_check_evaluations()
    assert {e.asset_key.to_user_string() for e in evaluations} == {r.table for r in RECONCILIATIONS}
    assert all(e.passed for e in evaluations), [e.description for e in evaluations if not e.passed]
    assert dg.materialize(
        [relatorio_mensal], resources=resources, partition_key="2025-07-01", instance=instance
    ).success

    with kpi_engine.begin() as conn:  # one client-SKU-month of giro_sku off by a tonne
        conn.execute(text("UPDATE giro_sku SET toneladas_liquidas = toneladas_liquidas + 1 WHERE sku = 'SKU_B'"))
    (check,) = [
        c for c in kpi_checks if c.check_keys == {dg.AssetCheckKey(dg.AssetKey("giro_sku"), "bate_com_a_origem")}
    ]
    broken = dg.materialize(
        [*kpi_assets, check], resources=resources, selection=dg.AssetSelection.checks(check), raise_on_error=False
    )
    (evaluation,) = broken.get_asset_check_evaluations()
    assert not evaluation.passed
    assert f"- {escape('giro_sku 2025-07-01: 13.000000 vs 12.000000')}" in evaluation.metadata["first"].value
    refused = dg.materialize(
        [relatorio_mensal], resources=resources, partition_key="2025-07-01", instance=instance, raise_on_error=False
    )
    assert not refused.success
    assert "the KPI tables disagree with the loaded data" in failure_message(refused)
