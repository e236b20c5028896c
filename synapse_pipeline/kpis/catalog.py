"""The catalogue of KPI tables: each one's name, purpose, typed columns and how it is refreshed.

The columns are declared here with their types (the same on PostgreSQL and SQLite, shown in the UI); the query that
fills each table is `sql/<table>.sql`. A table with a `mes` grain is refreshed month by month, only the months whose
billing changed; the others are recomputed whole from small inputs (the stock snapshots, `faturamento_diario`).
"""

from dataclasses import dataclass

from sqlalchemy import Column, Date, Float, Integer, MetaData, Numeric, PrimaryKeyConstraint, String, Table

from synapse_pipeline.kpis.groups import GRUPO_PRODUTO

metadata = MetaData()


@dataclass(frozen=True)
class Kpi:
    """A KPI table: its typed columns (with their descriptions), what it reads, and the column of its month grain
    when it is refreshed month by month (None: recomputed whole)."""

    table: Table
    description: str
    deps: tuple[str, ...]
    month_column: str | None = None
    replaces: tuple[str, ...] = ()  # tables it succeeds: dropped when it is built, never left with old figures

    @property
    def name(self) -> str:
        return self.table.name


def _net(*columns: Column) -> list[Column]:
    """The net, gross and returned tonnes and the lines of a sum of billing lines, after the grain's `columns`."""
    return [
        *columns,
        Column("toneladas_liquidas", Numeric, comment="Net tonnes: shipments minus returns"),
        Column("toneladas_expedidas", Numeric, comment="Gross tonnes shipped (positive lines)"),
        Column("toneladas_devolvidas", Numeric, comment="Tonnes returned (negative lines, <= 0)"),
        Column("linhas", Integer, comment="Billing lines, returns and duplicates included"),
    ]


def _month() -> Column:
    return Column("mes", Date, comment="Month (first day)")


def _group() -> Column:
    return Column("grupo", String(100), comment="Product group (one name across both exports)")


FATURAMENTO_DIARIO = Table(
    "faturamento_diario",
    metadata,
    Column("dia", Date, comment="Billing day"),
    Column("cod_cliente", Integer, comment="Client"),
    Column("sku", String(50), comment="SKU"),
    Column("toneladas_liquidas", Numeric, comment="Net tonnes billed that day"),
    Column("linhas_expedidas", Integer, comment="Shipment lines (positive weight) that day"),
    # Clustered by its key on SQLite too: the windows sum its rows in one order whatever order they were refreshed in,
    # so an incremental refresh and a rebuild give the same floats.
    PrimaryKeyConstraint("dia", "cod_cliente", "sku"),
    sqlite_with_rowid=False,
)

GRUPO_PRODUTO_MES = Table(
    "grupo_produto_mes",
    metadata,
    Column("mes", Date, comment="Month (first day)"),
    Column("grupo_original", String(100), comment="A product group spelling billed in the month"),
)

GRUPO_PRODUTO_TABLE = Table(
    GRUPO_PRODUTO,
    metadata,
    Column("grupo_original", String(100), primary_key=True, comment="A spelling found in either export"),
    Column("grupo", String(100), comment="The group's one display name"),
)

KPIS: tuple[Kpi, ...] = (
    Kpi(
        GRUPO_PRODUTO_MES,
        "The product group spellings billed in each month, so the groups are found without reading every line.",
        ("faturamento",),
        "mes",
    ),
    Kpi(
        FATURAMENTO_DIARIO,
        "Net tonnes and shipment lines per day, client and SKU: the small aggregate the rolling windows read.",
        ("faturamento",),
        "dia",
    ),
    Kpi(
        Table(
            "estoque_aging",
            metadata,
            Column("data_estoque", Date, comment="Snapshot date"),
            Column("es_centro", String(50), comment="Storage centre"),
            _group(),
            Column("cod_cliente", Integer, comment="Client"),
            Column("faixa_dias", String(10), comment="Age bucket: 0-30, 31-60, 61-90, 91-180, >180 days"),
            Column("ordem_faixa", Integer, comment="Bucket order, 1 to 5"),
            Column("toneladas", Numeric, comment="Tonnes in stock"),
            Column("lotes", Integer, comment="Lots (stock lines)"),
            Column("idade_media_semanas_ponderada", Float, comment="Average age in weeks, weighted by tonnes"),
            Column("idade_media_semanas", Float, comment="Average age in weeks, each lot counted once"),
        ),
        "Stock tonnes and lots by age bucket, per snapshot, centro, product group and client.",
        ("estoque", GRUPO_PRODUTO),
    ),
    Kpi(
        Table(
            "giro_sku",
            metadata,
            *_net(
                Column("cod_cliente", Integer, comment="Client"),
                Column("sku", String(50), comment="SKU"),
                _month(),
            ),
            Column("giro_sku_cliente", Numeric, comment="Turnover given by the export (constant per SKU and client)"),
        ),
        "Per client, SKU and month: net tonnes, lines, and the export's giro_sku_cliente.",
        ("faturamento",),
        "mes",
    ),
    Kpi(
        Table(
            "vendas_regiao",
            metadata,
            *_net(
                Column("uf", String(10), comment="State"),
                Column("cidade", String(100), comment="City"),
                _month(),
            ),
            Column("clientes_ativos", Integer, comment="Clients billed in the month"),
        ),
        "Per UF, city and month: net tonnes, lines and active clients.",
        ("faturamento",),
        "mes",
    ),
    Kpi(
        Table(
            "mix_produto",
            metadata,
            _month(),
            _group(),
            Column("produto", String(100), comment="Product form"),
            Column("cod_produto", String(50), comment="Product code"),
            Column("toneladas_liquidas", Numeric, comment="Net tonnes"),
            Column("participacao", Float, comment="Share of the month's net tonnes (0 to 1)"),
        ),
        "Per month, product group, form and code: net tonnes and share of the month.",
        ("faturamento", GRUPO_PRODUTO),
        "mes",
    ),
    Kpi(
        Table(
            "concentracao_clientes",
            metadata,
            Column("posicao", Integer, comment="Rank by net tonnes"),
            Column("cod_cliente", Integer, comment="Client"),
            Column("nome", String(100), comment="Client name"),
            Column("toneladas_liquidas", Numeric, comment="Net tonnes in the window"),
            Column("participacao", Float, comment="Share (0 to 1)"),
            Column("participacao_acumulada", Float, comment="Cumulative share down to this client"),
            Column("classe_abc", String(1), comment="A: cumulative share up to 80%, B: up to 95%, C: the rest"),
            Column("periodo_desde", Date, comment="Window start (exclusive): latest billing date minus 12 months"),
            Column("periodo_ate", Date, comment="Window end: latest billing date"),
        ),
        "Each client's share of net tonnes over the 12 months up to the latest billing date, with ABC class.",
        (FATURAMENTO_DIARIO.name, "clientes"),
    ),
    Kpi(
        Table(
            "cobertura_cliente",
            metadata,
            Column("data_estoque", Date, comment="Snapshot date; demand is the 52 weeks up to it"),
            Column("sku", String(50), comment="SKU"),
            Column("cod_cliente", Integer, comment="Client"),
            Column("estoque_toneladas", Float, comment="The client's stock in tonnes (0 when it has no stock line)"),
            Column("media_semanal_liquida", Float, comment="The client's weekly net tonnes over the 52 weeks"),
            Column("cobertura_semanas", Float, comment="Stock / weekly demand; empty without demand"),
        ),
        "For the commercial team, per snapshot, SKU and client: the client's stock, weekly net demand over 52 weeks "
        "and weeks of cover. What to do with each SKU (ruptura, repor, excesso...) is recomendacao_estoque's.",
        ("estoque", FATURAMENTO_DIARIO.name),
        replaces=("cobertura_estoque",),  # its predecessor counted SKU-client pairs with the stock advice's words
    ),
    Kpi(
        Table(
            "frequencia_compra",
            metadata,
            Column("cod_cliente", Integer, comment="Client"),
            Column("sku", String(50), comment="SKU"),
            Column("dias_compra", Integer, comment="Days with a shipment (positive line)"),
            Column("primeira_compra", Date, comment="First purchase day in the window"),
            Column("ultima_compra", Date, comment="Last purchase day in the window"),
            Column("intervalo_medio_dias", Float, comment="Mean days between purchase days; empty with a single day"),
        ),
        "Per client and SKU: purchase days in the 52 weeks up to the latest billing date, and the mean interval.",
        (FATURAMENTO_DIARIO.name,),
    ),
    Kpi(
        Table(
            "obsolescencia",
            metadata,
            Column("data_estoque", Date, comment="Snapshot date"),
            Column("es_centro", String(50), comment="Storage centre"),
            _group(),
            Column("toneladas_obsoletas", Numeric, comment="Tonnes older than 180 days"),
            Column("toneladas_total", Numeric, comment="All tonnes of the centro and group"),
            Column("participacao", Float, comment="Obsolete share (0 to 1)"),
        ),
        "Stock older than 180 days: tonnes and share, per snapshot, centro and product group.",
        ("estoque", GRUPO_PRODUTO),
    ),
)

# Every table the KPI stage makes, each after what it reads: the groups billed per month, the groups, the rest.
KPI_TABLES: tuple[str, ...] = (
    GRUPO_PRODUTO_MES.name,
    GRUPO_PRODUTO,
    *(kpi.name for kpi in KPIS if kpi.table is not GRUPO_PRODUTO_MES),
)
