-- Each client's share of net tonnes over the 12 months up to the latest billing day, with its ABC class.
{%- set running_total = "SUM(toneladas_liquidas) OVER (ORDER BY toneladas_liquidas DESC, cod_cliente ROWS UNBOUNDED PRECEDING)" %}
INSERT INTO concentracao_clientes (posicao, cod_cliente, nome, toneladas_liquidas, participacao,
                                   participacao_acumulada, classe_abc, periodo_desde, periodo_ate)
WITH ancora AS (SELECT MAX(dia) AS ultima FROM faturamento_diario),
vendas AS (
    SELECT v.cod_cliente, SUM(v.toneladas_liquidas) AS toneladas_liquidas
    FROM faturamento_diario v, ancora a
    WHERE v.dia > {{ d.months_before("a.ultima", 12) }} AND v.dia <= a.ultima
    GROUP BY v.cod_cliente
),
acumulado AS (
    SELECT cod_cliente, toneladas_liquidas,
           ROW_NUMBER() OVER (ORDER BY toneladas_liquidas DESC, cod_cliente) AS posicao,
           {{ d.real("toneladas_liquidas") }} / {{ d.real("SUM(toneladas_liquidas) OVER ()") }} AS participacao,
           {{ d.real(running_total) }}
               / {{ d.real("SUM(toneladas_liquidas) OVER ()") }} AS participacao_acumulada
    FROM vendas
)
SELECT x.posicao, x.cod_cliente, c.nome, x.toneladas_liquidas, x.participacao, x.participacao_acumulada,
       CASE WHEN x.participacao_acumulada <= {{ abc_a }} THEN 'A'
            WHEN x.participacao_acumulada <= {{ abc_b }} THEN 'B' ELSE 'C' END,
       {{ d.months_before("a.ultima", 12) }}, {{ d.day("a.ultima") }}
FROM acumulado x JOIN clientes c ON c.cod_cliente = x.cod_cliente, ancora a
