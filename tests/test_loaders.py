"""The loaders' own contract on both databases: what goes in comes back out, value for value."""

from collections import Counter
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import Boolean, Column, MetaData, Table, Text, cast, select, text
from sqlalchemy.engine import URL

from synapse_pipeline.warehouse.copy import PREPARE, batches, copy_batch, copy_binary
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.loads import in_window
from synapse_pipeline.warehouse.models import Faturamento
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import empty_tables

TEXT_COLUMNS = ("lote", "origem", "zs_gr_mercad", "produto", "cod_produto", "zs_centro", "zs_cidade")


def _lines(*days: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "data": pd.to_datetime(list(days), format="ISO8601").astype("datetime64[ns]"),  # as the reader types it
            "cod_cliente": pd.array([7] * len(days), dtype="Int64"),
            **{c: ["X"] * len(days) for c in TEXT_COLUMNS},
            "zs_uf": ["SP"] * len(days),
            "zs_peso_liquido": [1.25] * len(days),
            "giro_sku_cliente": [-0.5] * len(days),
            "SKU": ["X"] * len(days),
        }
    )
    return frame.astype({c: "str" for c in frame.columns if frame[c].dtype == object})


def test_dates_times_and_every_decimal_survive(warehouse_url: str) -> None:
    """PostgreSQL gets binary rows: the doubles must arrive as the decimals their text held, not the double's
    binary expansion (0.806 is 0.80600000000000005 as a double), however many places they have."""
    midnight = _lines("2024-03-15", "2024-03-16")
    with_time = _lines("2024-03-17", "2024-03-17 10:30:15")
    midnight["zs_peso_liquido"] = [0.806, -12345.6789]
    midnight["giro_sku_cliente"] = [0.1 + 0.2, 5.0]

    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
    seconds: Counter[str] = Counter()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO clientes (cod_cliente, nome) VALUES (7, 'Cliente 1')"))
        written = [
            copy_batch(conn, Faturamento.__table__, batch)
            for batch in batches(
                [midnight, with_time], Faturamento.__table__, conn.dialect.name, seconds, keep=in_window(*_march())
            )
        ]
        columns = (Faturamento.data, Faturamento.zs_peso_liquido, Faturamento.giro_sku_cliente)
        stored = list(conn.execute(select(*columns).order_by(Faturamento.data)))
    engine.dispose()

    assert written == [2, 2] and seconds[PREPARE] > 0
    assert [row[0] for row in stored] == list(pd.concat([midnight, with_time])["data"].dt.to_pydatetime())
    expected = [
        (Decimal("0.806"), Decimal("0.30000000000000004")),
        (Decimal("-12345.6789"), Decimal("5")),
        (Decimal("1.25"), Decimal("-0.5")),
        (Decimal("1.25"), Decimal("-0.5")),
    ]
    if engine.dialect.name == "postgresql":  # NUMERIC keeps the decimals exactly
        assert [(row[1], row[2]) for row in stored] == expected
    else:  # SQLite keeps the doubles (SQLAlchemy reads them back to ten places)
        flat = [float(value) for row in stored for value in row[1:]]
        assert flat == pytest.approx([float(value) for pair in expected for value in pair], abs=1e-10)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_the_window_keeps_only_its_rows_and_only_postgresql_gets_binary_rows(dialect: str) -> None:
    frame = _lines("2024-02-29 23:59:59", "2024-03-01", "2024-03-31 23:59:59", "2024-04-01")
    (batch,) = batches([frame], Faturamento.__table__, dialect, Counter(), in_window(*_march()))
    assert list(batch.frame["data"].astype(str)) == ["2024-03-01 00:00:00", "2024-03-31 23:59:59"]
    assert (batch.payload is not None) == (dialect == "postgresql")


def _march() -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp("2024-03-01").to_pydatetime(), pd.Timestamp("2024-04-01").to_pydatetime()


def test_a_weight_is_stored_alike_whatever_else_its_batch_holds(pg_database: URL) -> None:
    """PostgreSQL keeps a NUMERIC's places: 0.5 loaded beside 0.806 must not read 0.500 where 0.5 loaded alone
    reads 0.5, or the sums of a month loaded again would differ in their digits from a full load's."""
    alone, beside = _lines("2024-03-15"), _lines("2024-03-16", "2024-03-17")
    alone["zs_peso_liquido"] = [0.5]
    beside["zs_peso_liquido"] = [0.5, 0.806]
    engine = make_engine(pg_database)
    upgrade_schema(engine)
    empty_tables(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO clientes (cod_cliente, nome) VALUES (7, 'Cliente 1')"))
        for batch in batches([alone, beside], Faturamento.__table__, "postgresql", Counter()):
            copy_batch(conn, Faturamento.__table__, batch)
        stored = list(conn.scalars(select(cast(Faturamento.zs_peso_liquido, Text)).order_by(Faturamento.data)))
    engine.dispose()
    assert stored == ["0.500", "0.500", "0.806"]


def test_a_column_type_no_loaded_table_has_is_refused_by_name() -> None:
    """Binary COPY must send each column in its own type: a new kind of column fails here, named, rather than at the
    server as "incorrect binary data format"."""
    flags = Table("flags", MetaData(), Column("ok", Boolean))
    with pytest.raises(TypeError, match="Boolean"):
        copy_binary(pd.DataFrame({"ok": [True]}), flags)
