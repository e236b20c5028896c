-- For one month, per product group, form and code: net tonnes and share of the month.
INSERT INTO mix_produto (mes, grupo, produto, cod_produto, toneladas_liquidas, participacao)
SELECT mes, grupo, produto, cod_produto, toneladas_liquidas,
       {{ d.real("toneladas_liquidas") }}
           / NULLIF({{ d.real("SUM(toneladas_liquidas) OVER (PARTITION BY mes)") }}, 0)
FROM (
    SELECT {{ d.month("f.data") }} AS mes, g.grupo, f.produto, f.cod_produto,
           SUM(f.zs_peso_liquido) AS toneladas_liquidas
    FROM faturamento f JOIN grupo_produto g ON g.grupo_original = f.zs_gr_mercad
    WHERE f.data >= :inicio AND f.data < :fim
    GROUP BY 1, 2, 3, 4
) m
