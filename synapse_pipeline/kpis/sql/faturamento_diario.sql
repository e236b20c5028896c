-- Per day, client and SKU of one month: net tonnes and shipment lines, what the rolling windows read.
INSERT INTO faturamento_diario (dia, cod_cliente, sku, toneladas_liquidas, linhas_expedidas)
SELECT {{ d.day("f.data") }}, f.cod_cliente, f."SKU", SUM(f.zs_peso_liquido),
       SUM(CASE WHEN f.zs_peso_liquido > 0 THEN 1 ELSE 0 END)
FROM faturamento f
WHERE f.data >= :inicio AND f.data < :fim
GROUP BY 1, 2, 3
