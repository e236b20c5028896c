"""The words a manager reads for the codes the forecast stage stores: forecasters, demand classes, stock actions.

A code without a word here fails the report's rendering (KeyError) rather than reach a reader as a code; the tests
check every code the forecast stage can store has one.
"""

from synapse_pipeline.reports.formatting import tick

MODELS = {
    "naive": "repetir o mês anterior",
    "seasonal_naive": "repetir o mesmo mês do ano anterior",
    "ma3": "média dos últimos 3 meses",
    "ma6": "média dos últimos 6 meses",
    "ses": "suavização exponencial",
    "tsb": "método de Teunter, Syntetos e Babai (vendas esporádicas)",
    "selecao_por_classe": "um método por tipo de demanda",
    "gradient_boosting": "modelo de aprendizado de máquina comum a todos os SKUs",
    "selecao_por_classe_top_down": "um método por tipo de demanda, ajustado à previsão do total",
    "gradient_boosting_top_down": "aprendizado de máquina, ajustado à previsão do total",
    "escolha_aninhada": "o melhor de dois métodos nos meses anteriores, ajustado à previsão do total",
    "combinacao": "média do aprendizado de máquina e de um método por tipo de demanda, ajustada à previsão do total",
}
DEMAND_CLASSES = {
    "suave": "Regular",
    "erratica": "Errática",
    "intermitente": "Esporádica",
    "irregular": "Esporádica e errática",
    "sem_venda": "Sem venda",
}
ACTIONS = {
    "ruptura": "Ruptura",
    "repor": "Repor",
    "excesso": "Excesso",
    "sem_demanda": "Sem demanda",
    "materia_prima": "Matéria-prima",
    "ok": "Em dia",
}
# When the stock advice (forecast/stock.py `recommend`) gives each action, in a manager's words.
ACTION_RULES = {
    "ruptura": "vendido nas últimas 52 semanas, sem estoque",
    "repor": "estoque no ponto de pedido ou abaixo: a demanda prevista no prazo de entrega mais o estoque de segurança",
    "excesso": "mais de {semanas} semanas da demanda em estoque",
    "sem_demanda": "em estoque, sem venda nas últimas 52 semanas",
    "materia_prima": "matéria-prima: fora da reposição de produtos",
    "ok": "acima do ponto de pedido, com até {semanas} semanas da demanda",
}


def action_rule(action: str, excess_weeks: float) -> str:
    """When `action` is given, with the policy's weeks of cover above which stock is excess."""
    return ACTION_RULES[action].format(semanas=tick(excess_weeks))
