-- Per snapshot, SKU and client: the client's stock, its weekly net demand over the 52 weeks up to the snapshot, and
-- its weeks of cover. No verdict: what to do with a SKU is recomendacao_estoque's, per SKU.
INSERT INTO cobertura_cliente (data_estoque, sku, cod_cliente, estoque_toneladas, media_semanal_liquida,
                               cobertura_semanas)
WITH posicoes AS (SELECT DISTINCT {{ d.day("data") }} AS data_estoque FROM estoque),
estoque_sku AS (
    SELECT {{ d.day("e.data") }} AS data_estoque, e."SKU" AS sku, e.cod_cliente, SUM(e.es_totalestoque) AS toneladas
    FROM estoque e GROUP BY 1, 2, 3
),
vendas AS (
    SELECT p.data_estoque, v.sku, v.cod_cliente, SUM(v.toneladas_liquidas) AS toneladas
    FROM posicoes p JOIN faturamento_diario v
      ON v.dia > {{ d.days_before("p.data_estoque", days_of_demand) }} AND v.dia <= p.data_estoque
    GROUP BY 1, 2, 3
),
pares AS (
    SELECT data_estoque, sku, cod_cliente FROM estoque_sku
    UNION SELECT data_estoque, sku, cod_cliente FROM vendas
),
medidas AS (
    SELECT p.data_estoque, p.sku, p.cod_cliente,
           {{ d.real("COALESCE(e.toneladas, 0)") }} AS estoque_toneladas,
           {{ d.real("COALESCE(v.toneladas, 0)") }} / {{ weeks_of_demand }} AS media_semanal_liquida
    FROM pares p
    LEFT JOIN estoque_sku e ON e.data_estoque = p.data_estoque AND e.sku = p.sku AND e.cod_cliente = p.cod_cliente
    LEFT JOIN vendas v ON v.data_estoque = p.data_estoque AND v.sku = p.sku AND v.cod_cliente = p.cod_cliente
)
SELECT data_estoque, sku, cod_cliente, estoque_toneladas, media_semanal_liquida,
       CASE WHEN media_semanal_liquida > 0 THEN estoque_toneladas / media_semanal_liquida END
FROM medidas
