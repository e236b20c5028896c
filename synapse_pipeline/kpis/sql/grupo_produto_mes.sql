-- The product group spellings billed in one month: what grupo_produto reads instead of every billing line.
INSERT INTO grupo_produto_mes (mes, grupo_original)
SELECT DISTINCT {{ d.month("f.data") }}, f.zs_gr_mercad
FROM faturamento f
WHERE f.data >= :inicio AND f.data < :fim
