-- Net tonnes per SKU and month, from the daily aggregate the KPI stage keeps current (not the billing lines).
SELECT sku, {{ d.month("dia") }} AS mes, SUM(toneladas_liquidas)
FROM faturamento_diario
GROUP BY 1, 2
