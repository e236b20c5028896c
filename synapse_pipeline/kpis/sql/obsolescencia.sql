-- Stock older than 180 days (obsolete_days): tonnes and share, per snapshot, centro and product group.
{%- set obsolete = "SUM(CASE WHEN e.dias_em_estoque > %d THEN e.es_totalestoque ELSE 0 END)" % obsolete_days %}
INSERT INTO obsolescencia (data_estoque, es_centro, grupo, toneladas_obsoletas, toneladas_total, participacao)
SELECT {{ d.day("e.data") }}, e.es_centro, g.grupo,
       {{ obsolete }},
       SUM(e.es_totalestoque),
       {{ d.real(obsolete) }} / NULLIF({{ d.real("SUM(e.es_totalestoque)") }}, 0)
FROM estoque e JOIN grupo_produto g ON g.grupo_original = e.grupo_mercadoria
GROUP BY 1, 2, 3
