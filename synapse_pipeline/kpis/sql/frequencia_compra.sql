-- Per client and SKU: days with a shipment in the 52 weeks up to the latest billing day, the mean interval.
INSERT INTO frequencia_compra (cod_cliente, sku, dias_compra, primeira_compra, ultima_compra, intervalo_medio_dias)
WITH ancora AS (SELECT MAX(dia) AS ultima FROM faturamento_diario),
dias AS (
    SELECT v.cod_cliente, v.sku, v.dia
    FROM faturamento_diario v, ancora a
    WHERE v.linhas_expedidas > 0
      AND v.dia > {{ d.days_before("a.ultima", days_of_demand) }} AND v.dia <= a.ultima
)
SELECT cod_cliente, sku, COUNT(*), MIN(dia), MAX(dia),
       CASE WHEN COUNT(*) > 1 THEN {{ d.real(d.days_between("MIN(dia)", "MAX(dia)")) }} / (COUNT(*) - 1) END
FROM dias
GROUP BY 1, 2
