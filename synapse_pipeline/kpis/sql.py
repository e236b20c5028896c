"""The KPI tables: set-based SQL, written once for PostgreSQL and SQLite.

Every time window is anchored on the data, never on today's date: stock-side figures on each snapshot date,
sales-side figures on the latest billing date. Net figures include returns (negative weights); gross shipments
and returns are shown apart where sales are summed. Product groups go through `grupo_produto`, which gives
estoque's `Zincado` and faturamento's `ZINCADO` one name.
"""

from synapse_pipeline.warehouse.dialect import Dialect

WEEKS_OF_DEMAND = 52
DAYS_OF_DEMAND = 7 * WEEKS_OF_DEMAND
REORDER_WEEKS = 4
EXCESS_WEEKS = 26
OBSOLETE_DAYS = 180
ABC_A, ABC_B = 0.80, 0.95
EPSILON = 1e-9  # cumulative shares are float sums: 0.8 may come out as 0.8000000000000002
AGING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("91-180", 180),
    (">180", None),
)


NET_SUMS = (
    "SUM(f.zs_peso_liquido) AS toneladas_liquidas, "
    "SUM(CASE WHEN f.zs_peso_liquido > 0 THEN f.zs_peso_liquido ELSE 0 END) AS toneladas_expedidas, "
    "SUM(CASE WHEN f.zs_peso_liquido < 0 THEN f.zs_peso_liquido ELSE 0 END) AS toneladas_devolvidas, "
    "COUNT(*) AS linhas"
)


def aging(d: Dialect) -> str:
    cases = " ".join(
        f"WHEN e.dias_em_estoque <= {limit} THEN '{label}'" for label, limit in AGING_BUCKETS if limit is not None
    )
    order = " ".join(
        f"WHEN e.dias_em_estoque <= {limit} THEN {i}" for i, (_, limit) in enumerate(AGING_BUCKETS, 1) if limit
    )
    return f"""
        SELECT {d.day("e.data")} AS data_estoque, e.es_centro, g.grupo, e.cod_cliente,
               CASE {cases} ELSE '{AGING_BUCKETS[-1][0]}' END AS faixa_dias,
               CASE {order} ELSE {len(AGING_BUCKETS)} END AS ordem_faixa,
               SUM(e.es_totalestoque) AS toneladas,
               COUNT(*) AS lotes,
               {d.real("SUM(e.es_totalestoque * e.dias_em_estoque)")}
                   / NULLIF({d.real("SUM(e.es_totalestoque)")}, 0) / 7 AS idade_media_semanas_ponderada,
               {d.real("AVG(e.dias_em_estoque)")} / 7 AS idade_media_semanas
        FROM estoque e JOIN grupo_produto g ON g.grupo_original = e.grupo_mercadoria
        GROUP BY 1, 2, 3, 4, 5, 6
    """


def giro(d: Dialect) -> str:
    return f"""
        SELECT f.cod_cliente, f."SKU" AS sku, {d.month("f.data")} AS mes, {NET_SUMS},
               MAX(f.giro_sku_cliente) AS giro_sku_cliente
        FROM faturamento f
        GROUP BY 1, 2, 3
    """


def regiao(d: Dialect) -> str:
    return f"""
        SELECT f.zs_uf AS uf, f.zs_cidade AS cidade, {d.month("f.data")} AS mes, {NET_SUMS},
               COUNT(DISTINCT f.cod_cliente) AS clientes_ativos
        FROM faturamento f
        GROUP BY 1, 2, 3
    """


def mix(d: Dialect) -> str:
    return f"""
        SELECT mes, grupo, produto, cod_produto, toneladas_liquidas,
               {d.real("toneladas_liquidas")}
                   / NULLIF({d.real("SUM(toneladas_liquidas) OVER (PARTITION BY mes)")}, 0) AS participacao
        FROM (
            SELECT {d.month("f.data")} AS mes, g.grupo, f.produto, f.cod_produto,
                   SUM(f.zs_peso_liquido) AS toneladas_liquidas
            FROM faturamento f JOIN grupo_produto g ON g.grupo_original = f.zs_gr_mercad
            GROUP BY 1, 2, 3, 4
        ) m
    """


def concentracao(d: Dialect) -> str:
    return f"""
        WITH ancora AS (SELECT MAX(data) AS ultima FROM faturamento),
        vendas AS (
            SELECT f.cod_cliente, SUM(f.zs_peso_liquido) AS toneladas_liquidas
            FROM faturamento f, ancora a
            WHERE {d.day("f.data")} > {d.months_before("a.ultima", 12)} AND {d.day("f.data")} <= {d.day("a.ultima")}
            GROUP BY f.cod_cliente
        ),
        acumulado AS (
            SELECT cod_cliente, toneladas_liquidas,
                   ROW_NUMBER() OVER (ORDER BY toneladas_liquidas DESC, cod_cliente) AS posicao,
                   {d.real("toneladas_liquidas")} / {d.real("SUM(toneladas_liquidas) OVER ()")} AS participacao,
                   {
        d.real("SUM(toneladas_liquidas) OVER (ORDER BY toneladas_liquidas DESC, cod_cliente ROWS UNBOUNDED PRECEDING)")
    }
                       / {d.real("SUM(toneladas_liquidas) OVER ()")} AS participacao_acumulada
            FROM vendas
        )
        SELECT x.posicao, x.cod_cliente, c.nome, x.toneladas_liquidas, x.participacao, x.participacao_acumulada,
               CASE WHEN x.participacao_acumulada <= {ABC_A + EPSILON} THEN 'A'
                    WHEN x.participacao_acumulada <= {ABC_B + EPSILON} THEN 'B' ELSE 'C' END AS classe_abc,
               {d.months_before("a.ultima", 12)} AS periodo_desde, {d.day("a.ultima")} AS periodo_ate
        FROM acumulado x JOIN clientes c ON c.cod_cliente = x.cod_cliente, ancora a
    """


def cobertura(d: Dialect) -> str:
    return f"""
        WITH posicoes AS (SELECT DISTINCT {d.day("data")} AS data_estoque FROM estoque),
        estoque_sku AS (
            SELECT {d.day("e.data")} AS data_estoque, e."SKU" AS sku, e.cod_cliente,
                   SUM(e.es_totalestoque) AS toneladas
            FROM estoque e GROUP BY 1, 2, 3
        ),
        vendas AS (
            SELECT p.data_estoque, f."SKU" AS sku, f.cod_cliente, SUM(f.zs_peso_liquido) AS toneladas
            FROM posicoes p JOIN faturamento f
              ON {d.day("f.data")} > {d.days_before("p.data_estoque", DAYS_OF_DEMAND)}
             AND {d.day("f.data")} <= p.data_estoque
            GROUP BY 1, 2, 3
        ),
        pares AS (
            SELECT data_estoque, sku, cod_cliente FROM estoque_sku
            UNION SELECT data_estoque, sku, cod_cliente FROM vendas
        ),
        medidas AS (
            SELECT p.data_estoque, p.sku, p.cod_cliente, e.sku IS NOT NULL AS tem_estoque,
                   {d.real("COALESCE(e.toneladas, 0)")} AS estoque_toneladas,
                   {d.real("COALESCE(v.toneladas, 0)")} / {WEEKS_OF_DEMAND} AS media_semanal_liquida
            FROM pares p
            LEFT JOIN estoque_sku e
              ON e.data_estoque = p.data_estoque AND e.sku = p.sku AND e.cod_cliente = p.cod_cliente
            LEFT JOIN vendas v
              ON v.data_estoque = p.data_estoque AND v.sku = p.sku AND v.cod_cliente = p.cod_cliente
        )
        SELECT data_estoque, sku, cod_cliente, estoque_toneladas, media_semanal_liquida,
               CASE WHEN media_semanal_liquida > 0 THEN estoque_toneladas / media_semanal_liquida END
                   AS cobertura_semanas,
               CASE WHEN tem_estoque AND media_semanal_liquida > 0
                     AND estoque_toneladas / media_semanal_liquida < {REORDER_WEEKS} THEN 1 ELSE 0 END AS repor,
               CASE WHEN tem_estoque AND media_semanal_liquida > 0
                     AND estoque_toneladas / media_semanal_liquida > {EXCESS_WEEKS} THEN 1 ELSE 0 END AS excesso,
               CASE WHEN tem_estoque AND media_semanal_liquida <= 0 THEN 1 ELSE 0 END AS sem_demanda,
               CASE WHEN NOT tem_estoque AND media_semanal_liquida > 0 THEN 1 ELSE 0 END AS ruptura
        FROM medidas
    """


def frequencia(d: Dialect) -> str:
    return f"""
        WITH ancora AS (SELECT MAX(data) AS ultima FROM faturamento),
        dias AS (
            SELECT DISTINCT f.cod_cliente, f."SKU" AS sku, {d.day("f.data")} AS dia
            FROM faturamento f, ancora a
            WHERE f.zs_peso_liquido > 0
              AND {d.day("f.data")} > {d.days_before("a.ultima", DAYS_OF_DEMAND)}
              AND {d.day("f.data")} <= {d.day("a.ultima")}
        )
        SELECT cod_cliente, sku, COUNT(*) AS dias_compra, MIN(dia) AS primeira_compra, MAX(dia) AS ultima_compra,
               CASE WHEN COUNT(*) > 1
                    THEN {d.real(d.days_between("MIN(dia)", "MAX(dia)"))} / (COUNT(*) - 1) END
                   AS intervalo_medio_dias
        FROM dias
        GROUP BY 1, 2
    """


def obsolescencia(d: Dialect) -> str:
    return f"""
        SELECT {d.day("e.data")} AS data_estoque, e.es_centro, g.grupo,
               SUM(CASE WHEN e.dias_em_estoque > {OBSOLETE_DAYS} THEN e.es_totalestoque ELSE 0 END)
                   AS toneladas_obsoletas,
               SUM(e.es_totalestoque) AS toneladas_total,
               {d.real(f"SUM(CASE WHEN e.dias_em_estoque > {OBSOLETE_DAYS} THEN e.es_totalestoque ELSE 0 END)")}
                   / NULLIF({d.real("SUM(e.es_totalestoque)")}, 0) AS participacao
        FROM estoque e JOIN grupo_produto g ON g.grupo_original = e.grupo_mercadoria
        GROUP BY 1, 2, 3
    """
