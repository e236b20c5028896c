"""What the forecast section says in plain Portuguese: how accurate the forecast has been, which way it leans, how
often its range held the actual, and why a purchase can exceed a month's forecast. Shared by the HTML and the UI's
markdown, so both say the same."""

from synapse_pipeline.reports.formatting import count, number, percent
from synapse_pipeline.reports.model import ForecastSection

FAIR_BIAS = 0.10  # a lean within this is within the check's bound (vies_da_previsao)


def honesty(fc: ForecastSection) -> list[str]:
    """The forecast's record on the months it was tested on, each scored only with what was known before it."""
    said = []
    if fc.wape is not None and fc.naive_wape:
        said.append(
            "Testada nos meses anteriores, prevendo cada mês só com o que se sabia antes dele, a previsão do mês "
            f"seguinte errou em média {percent(fc.wape)} das toneladas; repetir o mês anterior errou "
            f"{percent(fc.naive_wape)}."
        )
        said.append(
            f"A previsão erra {percent(1 - fc.wape / fc.naive_wape)} menos que repetir o mês anterior."
            if fc.wape < fc.naive_wape
            else "A previsão não foi melhor que repetir o mês anterior: use-a com cautela."
        )
    if fc.bias is not None:
        lean = "abaixo" if fc.bias < 0 else "acima"
        caution = "." if abs(fc.bias) <= FAIR_BIAS else ": conte com isso ao ler os totais."
        said.append(f"Nesses testes, a previsão ficou em média {percent(abs(fc.bias))} {lean} do realizado{caution}")
    if fc.coverage is not None:
        said.append(
            f"A faixa de 80% de cada SKU conteve o realizado em {percent(fc.coverage)} dos meses testados; a do "
            "total vem dos erros do total."
        )
    return said


def purchase_reason(fc: ForecastSection) -> str | None:
    """Why the suggested purchase is what it is: the demand until the next purchase can arrive, plus the safety
    stock, less the stock on hand."""
    if not fc.reorder_count:
        return None
    said = (
        f"A compra sugerida de {number(fc.reorder_tonnes)} t leva cada SKU a comprar ao seu estoque máximo: a demanda "
        f"prevista no prazo de entrega mais o intervalo até a próxima revisão ({number(fc.reorder_cover)} t), mais o "
        f"estoque de segurança contra o erro da previsão ({number(fc.reorder_safety)} t), menos o estoque desses SKUs "
        f"({number(fc.reorder_stock)} t)."
    )
    if fc.totals and fc.reorder_tonnes > fc.totals[0]:
        said += f" Por isso passa da previsão de um mês ({number(fc.totals[0])} t)."
    if fc.sporadic_count and fc.sporadic_tonnes > fc.sporadic_cover:
        said += (
            f" Desses SKUs, {count(fc.sporadic_count)} vendem em poucos meses (demanda esporádica): "
            f"{number(fc.sporadic_tonnes)} t da compra, para {number(fc.sporadic_cover)} t de demanda prevista no "
            "mesmo período; o resto é estoque de segurança contra vendas incertas. Convém confirmar os pedidos dos "
            "clientes antes de comprá-los."
        )
    return said
