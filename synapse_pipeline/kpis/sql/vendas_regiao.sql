-- Per UF and city, for one month: net, gross and returned tonnes, lines, clients billed.
{% from "_macros.sql" import net_sums %}
INSERT INTO vendas_regiao (uf, cidade, mes, toneladas_liquidas, toneladas_expedidas, toneladas_devolvidas, linhas,
                           clientes_ativos)
SELECT f.zs_uf, f.zs_cidade, {{ d.month("f.data") }},
       {{ net_sums() }},
       COUNT(DISTINCT f.cod_cliente)
FROM faturamento f
WHERE f.data >= :inicio AND f.data < :fim
GROUP BY 1, 2, 3
