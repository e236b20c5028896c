"""The forecast stage's warehouse tables, typed alike on PostgreSQL and SQLite, and how each is replaced."""

from collections.abc import Sequence

from sqlalchemy import Boolean, Column, Connection, Date, Float, Integer, MetaData, String, Table, insert

from synapse_pipeline.kpis.catalog import KPI_TABLES

metadata = MetaData()

DEMANDA_MENSAL = Table(
    "demanda_mensal",
    metadata,
    Column("SKU", String(50), nullable=False, comment="SKU"),
    Column("mes", Date, nullable=False, comment="Month (first day)"),
    Column("toneladas", Float, nullable=False, comment="Net tonnes billed in the month, clipped at 0"),
    Column("completo", Boolean, nullable=False, comment="The month ends on or before the latest billing date"),
)

AVALIACAO_PREVISAO = Table(
    "avaliacao_previsao",
    metadata,
    Column("modelo", String(50), nullable=False, comment="Forecaster"),
    Column("horizonte", Integer, nullable=False, comment="Months ahead of the origin, 1 to 3"),
    Column("origens", Integer, nullable=False, comment="Origins scored at this horizon"),
    Column("skus", Integer, nullable=False, comment="SKUs scored (every SKU of the file)"),
    Column("wape", Float, comment="Sum |actual - forecast| / sum actual"),
    Column("mase", Float, comment="MAE over the in-sample one-step naive MAE, tonne-weighted over SKUs"),
    Column("vies", Float, comment="Sum (forecast - actual) / sum actual"),
    Column(
        "cobertura_80",
        Float,
        comment="Configured forecaster only: share of SKU actuals inside the 80% interval learned on earlier origins",
    ),
)

PREVISAO_DEMANDA = Table(
    "previsao_demanda",
    metadata,
    Column("SKU", String(50), nullable=False, comment="SKU with a sale in the last 12 complete months"),
    Column("mes_base", Date, nullable=False, comment="Last complete month: the forecast's origin"),
    Column("mes_previsto", Date, nullable=False, comment="Month forecast (first day)"),
    Column("horizonte", Integer, nullable=False, comment="Months after mes_base, 1 to 3"),
    Column("modelo", String(50), nullable=False, comment="The configured forecaster"),
    Column("toneladas_previstas", Float, nullable=False, comment="Forecast net tonnes (>= 0)"),
    Column("classe_demanda", String(20), nullable=False, comment="Syntetos-Boylan class up to mes_base"),
    Column("limite_inferior", Float, comment="80% interval, low end: from the backtest's errors of this class and h"),
    Column("limite_superior", Float, comment="80% interval, high end; empty when the backtest had too few errors"),
    Column("total_previsto", Float, nullable=False, comment="Forecast tonnes of every SKU in mes_previsto"),
    Column("total_limite_inferior", Float, comment="80% interval of total_previsto, low end (the total's errors)"),
    Column("total_limite_superior", Float, comment="80% interval of total_previsto, high end"),
)

RECOMENDACAO_ESTOQUE = Table(
    "recomendacao_estoque",
    metadata,
    Column("data_estoque", Date, nullable=False, comment="Latest stock snapshot"),
    Column("SKU", String(50), nullable=False, comment="SKU in the snapshot, or with demand and no stock"),
    Column("tipo_material", String(100), comment="Produto Acabado or Materia Prima; empty without stock"),
    Column("estoque_t", Float, nullable=False, comment="Tonnes in stock on the snapshot"),
    Column("demanda_semanal_t", Float, nullable=False, comment="Mean weekly demand over the last 52 weeks"),
    Column("desvio_semanal_t", Float, nullable=False, comment="Standard deviation of the weekly demand"),
    Column(
        "estoque_seguranca_t",
        Float,
        nullable=False,
        comment="z * sqrt(error variance over L + R + (d_P * sd_L)^2), d_P = demanda_protecao_t / (L + R)",
    ),
    Column("ponto_pedido_t", Float, nullable=False, comment="demanda_lead_time_t + safety stock"),
    Column("estoque_maximo_t", Float, nullable=False, comment="demanda_protecao_t + safety stock: order up to"),
    Column("cobertura_semanas", Float, comment="Stock / weekly demand; empty without demand"),
    Column("limite_excesso_semanas", Float, nullable=False, comment="The policy's weeks of cover above which: excesso"),
    Column("classe_abc", String(1), nullable=False, comment="A: 80% of the 52 weeks' tonnes, B: 95%, C: rest"),
    Column("classe_xyz", String(1), nullable=False, comment="Weekly CV: X <= 0.5, Y <= 1, Z above or no demand"),
    Column("acao", String(20), nullable=False, comment="materia_prima, ruptura, repor, excesso, sem_demanda, ok"),
    Column("compra_sugerida_t", Float, nullable=False, comment="Up to the maximum, for ruptura and repor"),
    Column("demanda_lead_time_t", Float, nullable=False, comment="Demand over the lead time L (see fonte_demanda)"),
    Column(
        "demanda_protecao_t",
        Float,
        nullable=False,
        comment="Demand over lead time + review (L + R weeks): what a purchase covers before the next can arrive",
    ),
    Column(
        "fonte_demanda",
        String(30),
        nullable=False,
        comment="previsao: the forecast and its 80% interval's errors; historico_52_semanas: no forecast interval",
    ),
)

FORECAST_TABLES: tuple[str, ...] = tuple(metadata.tables)
# Every table rebuilt from the loads, outside the ORM models: the KPI stage's, then this one's (backups, summaries).
DERIVED_TABLES: tuple[str, ...] = (*KPI_TABLES, *FORECAST_TABLES)


def replace_rows(conn: Connection, table: Table, rows: Sequence[dict[str, object]]) -> int:
    """Drop, recreate and fill `table` inside the caller's transaction: readers see the old or the new rows."""
    table.drop(conn, checkfirst=True)
    table.create(conn)
    if rows:
        conn.execute(insert(table), list(rows))
    return len(rows)
