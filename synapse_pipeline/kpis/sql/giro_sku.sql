-- Per client and SKU, for one month: net, gross and returned tonnes, lines, the export's giro.
{% from "_macros.sql" import net_sums %}
INSERT INTO giro_sku (cod_cliente, sku, mes, toneladas_liquidas, toneladas_expedidas, toneladas_devolvidas, linhas,
                      giro_sku_cliente)
SELECT f.cod_cliente, f."SKU", {{ d.month("f.data") }},
       {{ net_sums() }},
       MAX(f.giro_sku_cliente)
FROM faturamento f
WHERE f.data >= :inicio AND f.data < :fim
GROUP BY 1, 2, 3
