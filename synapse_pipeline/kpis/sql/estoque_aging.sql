-- Stock tonnes and lots by age bucket, per snapshot, centro, product group and client.
{%- set limits = buckets | selectattr(1) | list %}
INSERT INTO estoque_aging (data_estoque, es_centro, grupo, cod_cliente, faixa_dias, ordem_faixa, toneladas, lotes,
                           idade_media_semanas_ponderada, idade_media_semanas)
SELECT {{ d.day("e.data") }}, e.es_centro, g.grupo, e.cod_cliente,
       CASE {% for label, limit in limits %}WHEN e.dias_em_estoque <= {{ limit }} THEN '{{ label }}' {% endfor -%}
       ELSE '{{ buckets[-1][0] }}' END,
       CASE {% for label, limit in limits %}WHEN e.dias_em_estoque <= {{ limit }} THEN {{ loop.index }} {% endfor -%}
       ELSE {{ buckets | length }} END,
       SUM(e.es_totalestoque),
       COUNT(*),
       {{ d.real("SUM(e.es_totalestoque * e.dias_em_estoque)") }}
           / NULLIF({{ d.real("SUM(e.es_totalestoque)") }}, 0) / 7,
       {{ d.real("AVG(e.dias_em_estoque)") }} / 7
FROM estoque e JOIN grupo_produto g ON g.grupo_original = e.grupo_mercadoria
GROUP BY 1, 2, 3, 4, 5, 6
