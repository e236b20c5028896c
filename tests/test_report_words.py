"""Every code the forecast stage can store has the words a manager reads in its place."""

from synapse_pipeline.forecast.classes import CLASSES
from synapse_pipeline.forecast.selection import FORECASTERS
from synapse_pipeline.forecast.tables import RECOMENDACAO_ESTOQUE
from synapse_pipeline.reports.words import ACTIONS, DEMAND_CLASSES, MODELS


def test_every_forecaster_and_demand_class_has_words() -> None:
    assert set(FORECASTERS) <= set(MODELS)
    assert set(CLASSES) <= set(DEMAND_CLASSES)


def test_every_stock_action_has_a_word() -> None:
    """The actions `acao` can hold, as its column says (the report test reads the stored ones too)."""
    said = RECOMENDACAO_ESTOQUE.c.acao.comment
    assert said is not None
    assert {code.strip() for code in said.split(",")} == set(ACTIONS)


def test_words_are_words() -> None:
    for table in (MODELS, DEMAND_CLASSES, ACTIONS):
        assert all("_" not in word and word != code for code, word in table.items())
