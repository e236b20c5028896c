"""The catalogue of KPI tables: each one's name, purpose, columns and the SELECT that fills it (`kpis.sql`)."""

from collections.abc import Callable
from dataclasses import dataclass

from synapse_pipeline.kpis import sql
from synapse_pipeline.kpis.groups import GRUPO_PRODUTO
from synapse_pipeline.warehouse.dialect import Dialect


@dataclass(frozen=True)
class Kpi:
    """A KPI table: its name, what it holds, its columns in order, and the SELECT that fills it."""

    name: str
    description: str
    columns: dict[str, str]
    select: Callable[[Dialect], str]
    deps: tuple[str, ...]


NET_COLUMNS = {
    "toneladas_liquidas": "Net tonnes: shipments minus returns",
    "toneladas_expedidas": "Gross tonnes shipped (positive lines)",
    "toneladas_devolvidas": "Tonnes returned (negative lines, <= 0)",
    "linhas": "Billing lines, returns and duplicates included",
}


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "estoque_aging",
        "Stock tonnes and lots by age bucket, per snapshot, centro, product group and client.",
        {
            "data_estoque": "Snapshot date",
            "es_centro": "Storage centre",
            "grupo": "Product group (one name across both exports)",
            "cod_cliente": "Client",
            "faixa_dias": "Age bucket: 0-30, 31-60, 61-90, 91-180, >180 days",
            "ordem_faixa": "Bucket order, 1 to 5",
            "toneladas": "Tonnes in stock",
            "lotes": "Lots (stock lines)",
            "idade_media_semanas_ponderada": "Average age in weeks, weighted by tonnes",
            "idade_media_semanas": "Average age in weeks, each lot counted once",
        },
        sql.aging,
        ("estoque", "grupo_produto"),
    ),
    Kpi(
        "giro_sku",
        "Per client, SKU and month: net tonnes, lines, and the export's giro_sku_cliente.",
        {
            "cod_cliente": "Client",
            "sku": "SKU",
            "mes": "Month (first day)",
            **NET_COLUMNS,
            "giro_sku_cliente": "Turnover given by the export (constant per SKU and client)",
        },
        sql.giro,
        ("faturamento",),
    ),
    Kpi(
        "vendas_regiao",
        "Per UF, city and month: net tonnes, lines and active clients.",
        {
            "uf": "State",
            "cidade": "City",
            "mes": "Month (first day)",
            **NET_COLUMNS,
            "clientes_ativos": "Clients billed in the month",
        },
        sql.regiao,
        ("faturamento",),
    ),
    Kpi(
        "mix_produto",
        "Per month, product group, form and code: net tonnes and share of the month.",
        {
            "mes": "Month (first day)",
            "grupo": "Product group (one name across both exports)",
            "produto": "Product form",
            "cod_produto": "Product code",
            "toneladas_liquidas": "Net tonnes",
            "participacao": "Share of the month's net tonnes (0 to 1)",
        },
        sql.mix,
        ("faturamento", "grupo_produto"),
    ),
    Kpi(
        "concentracao_clientes",
        "Each client's share of net tonnes over the 12 months up to the latest billing date, with ABC class.",
        {
            "posicao": "Rank by net tonnes",
            "cod_cliente": "Client",
            "nome": "Client name",
            "toneladas_liquidas": "Net tonnes in the window",
            "participacao": "Share (0 to 1)",
            "participacao_acumulada": "Cumulative share down to this client",
            "classe_abc": "A: cumulative share up to 80%, B: up to 95%, C: the rest",
            "periodo_desde": "Window start (exclusive): latest billing date minus 12 months",
            "periodo_ate": "Window end: latest billing date",
        },
        sql.concentracao,
        ("faturamento", "clientes"),
    ),
    Kpi(
        "cobertura_estoque",
        "Per snapshot, SKU and client: stock, weekly net demand over 52 weeks, coverage and its flags.",
        {
            "data_estoque": "Snapshot date; demand is the 52 weeks up to it",
            "sku": "SKU",
            "cod_cliente": "Client",
            "estoque_toneladas": "Stock in tonnes on the snapshot (0 when there is no stock line)",
            "media_semanal_liquida": "Average weekly net tonnes billed over the 52 weeks",
            "cobertura_semanas": "Stock / weekly demand; empty without demand",
            "repor": "1: under 4 weeks of coverage",
            "excesso": "1: over 26 weeks of coverage",
            "sem_demanda": "1: stock with no net demand in 52 weeks",
            "ruptura": "1: sold in the 52 weeks, no stock line",
        },
        sql.cobertura,
        ("estoque", "faturamento"),
    ),
    Kpi(
        "frequencia_compra",
        "Per client and SKU: purchase days in the 52 weeks up to the latest billing date, and the mean interval.",
        {
            "cod_cliente": "Client",
            "sku": "SKU",
            "dias_compra": "Days with a shipment (positive line)",
            "primeira_compra": "First purchase day in the window",
            "ultima_compra": "Last purchase day in the window",
            "intervalo_medio_dias": "Mean days between purchase days; empty with a single day",
        },
        sql.frequencia,
        ("faturamento",),
    ),
    Kpi(
        "obsolescencia",
        "Stock older than 180 days: tonnes and share, per snapshot, centro and product group.",
        {
            "data_estoque": "Snapshot date",
            "es_centro": "Storage centre",
            "grupo": "Product group (one name across both exports)",
            "toneladas_obsoletas": "Tonnes older than 180 days",
            "toneladas_total": "All tonnes of the centro and group",
            "participacao": "Obsolete share (0 to 1)",
        },
        sql.obsolescencia,
        ("estoque", "grupo_produto"),
    ),
)

# The warehouse type of every KPI column (the tables are built by CREATE TABLE AS: the UI shows these).
COLUMN_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("data_estoque", "mes", "periodo_desde", "periodo_ate", "primeira_compra", "ultima_compra"), "date"
    ),
    **dict.fromkeys(
        (
            "cod_cliente",
            "ordem_faixa",
            "lotes",
            "linhas",
            "clientes_ativos",
            "posicao",
            "dias_compra",
            "repor",
            "excesso",
            "sem_demanda",
            "ruptura",
        ),
        "integer",
    ),
    **dict.fromkeys(
        (
            "toneladas",
            "toneladas_liquidas",
            "toneladas_expedidas",
            "toneladas_devolvidas",
            "toneladas_obsoletas",
            "toneladas_total",
            "idade_media_semanas",
            "idade_media_semanas_ponderada",
            "participacao",
            "participacao_acumulada",
            "giro_sku_cliente",
            "estoque_toneladas",
            "media_semanal_liquida",
            "cobertura_semanas",
            "intervalo_medio_dias",
        ),
        "numeric",
    ),
    **dict.fromkeys(
        ("es_centro", "grupo", "faixa_dias", "sku", "uf", "cidade", "produto", "cod_produto", "nome", "classe_abc"),
        "text",
    ),
}

# Every table the KPI stage rebuilds, `grupo_produto` first (the others join it).
KPI_TABLES: tuple[str, ...] = (GRUPO_PRODUTO, *(kpi.name for kpi in KPIS))
