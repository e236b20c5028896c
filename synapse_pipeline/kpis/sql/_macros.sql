{#- Shared pieces of the KPI queries: the net, gross and returned sums of billing lines `f`. -#}
{% macro net_sums() -%}
SUM(f.zs_peso_liquido),
       SUM(CASE WHEN f.zs_peso_liquido > 0 THEN f.zs_peso_liquido ELSE 0 END),
       SUM(CASE WHEN f.zs_peso_liquido < 0 THEN f.zs_peso_liquido ELSE 0 END),
       COUNT(*)
{%- endmacro %}
