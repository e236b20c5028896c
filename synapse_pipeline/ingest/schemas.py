"""Pandera models of the two ERP exports: the one declaration of their columns, types and rules.

String lengths come from the SQLAlchemy models (which mirror `sql/`), so the DDL's VARCHAR limits are
declared once. The Dagster column schema shown in the UI is derived from these models too.
"""

import dagster as dg
import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine
from pandera.typing import Series
from sqlalchemy import Table

from synapse_pipeline.warehouse.models import Base, Estoque, Faturamento, stored_type

UFS: tuple[str, ...] = (
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA",
    "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
)  # fmt: skip
EARLIEST_DATE = pd.Timestamp("2000-01-01")
INTEGER_MAX = 2**31 - 1  # the DDL's INTEGER


def _varchar(model: type[Base], column: str) -> dict[str, int]:
    """The DDL's VARCHAR length of `model.column`, as a pandera `str_length` bound."""
    return {"max_value": model.__table__.c[column].type.length}


def _date_field(description: str) -> object:
    return pa.Field(
        ge=EARLIEST_DATE,
        description=description,
        dtype_kwargs={"to_datetime_kwargs": {"format": "ISO8601"}},
    )


class _Export(pa.DataFrameModel):
    """Rules shared by both exports."""

    class Config:
        strict = True
        coerce = True

    @pa.check("data", name="not_in_future", error="date not in the future")
    def _not_in_future(cls, data: Series[pd.Timestamp]) -> Series[bool]:
        return data <= pd.Timestamp.now()


class EstoqueExport(_Export):
    """`estoque*.csv`: one inventory snapshot, a line per lot in stock."""

    data: Series[pandas_engine.DateTime] = _date_field("Snapshot date of the inventory")
    cod_cliente: Series[pd.Int64Dtype] = pa.Field(
        gt=0, le=INTEGER_MAX, description="Client code (clientes.cod_cliente)"
    )
    es_centro: Series[str] = pa.Field(str_length=_varchar(Estoque, "es_centro"), description="Storage centre")
    tipo_material: Series[str] = pa.Field(
        str_length=_varchar(Estoque, "tipo_material"), description="Materia Prima or Produto Acabado"
    )
    origem: Series[str] = pa.Field(str_length=_varchar(Estoque, "origem"), description="Material origin code")
    cod_produto: Series[str] = pa.Field(
        str_length=_varchar(Estoque, "cod_produto"), description="Internal product code"
    )
    lote: Series[str] = pa.Field(str_length=_varchar(Estoque, "lote"), description="Production lot")
    dias_em_estoque: Series[pd.Int64Dtype] = pa.Field(
        ge=0, le=INTEGER_MAX, description="Days the lot has been in stock"
    )
    produto: Series[str] = pa.Field(
        str_length=_varchar(Estoque, "produto"), description="Product form (Rolo, Chapa, Bobina, Tira)"
    )
    grupo_mercadoria: Series[str] = pa.Field(
        str_length=_varchar(Estoque, "grupo_mercadoria"), description="Product group, Title case"
    )
    es_totalestoque: Series[float] = pa.Field(ge=0, description="Stock in tonnes")
    SKU: Series[str] = pa.Field(str_length=_varchar(Estoque, "SKU"), description="Stock keeping unit")

    @pa.check("es_totalestoque", name="finite", error="a finite number")
    def _finite(cls, tonnes: Series[float]) -> Series[bool]:
        return pd.Series(np.isfinite(tonnes), index=tonnes.index)


class FaturamentoExport(_Export):
    """`faturamento*.csv`: billing lines; negative weights are returns, zero weights are valid lines."""

    data: Series[pandas_engine.DateTime] = _date_field("Billing date")
    cod_cliente: Series[pd.Int64Dtype] = pa.Field(
        gt=0, le=INTEGER_MAX, description="Client code (clientes.cod_cliente)"
    )
    lote: Series[str] = pa.Field(str_length=_varchar(Faturamento, "lote"), description="Production lot")
    origem: Series[str] = pa.Field(str_length=_varchar(Faturamento, "origem"), description="Origin code")
    zs_gr_mercad: Series[str] = pa.Field(
        str_length=_varchar(Faturamento, "zs_gr_mercad"), description="Product group, UPPER case"
    )
    produto: Series[str] = pa.Field(str_length=_varchar(Faturamento, "produto"), description="Product form")
    cod_produto: Series[str] = pa.Field(
        str_length=_varchar(Faturamento, "cod_produto"), description="Internal product code"
    )
    zs_centro: Series[str] = pa.Field(str_length=_varchar(Faturamento, "zs_centro"), description="Shipping centre")
    zs_cidade: Series[str] = pa.Field(str_length=_varchar(Faturamento, "zs_cidade"), description="Delivery city")
    zs_uf: Series[str] = pa.Field(
        isin=list(UFS), str_length=_varchar(Faturamento, "zs_uf"), description="Brazilian state (UF)"
    )
    zs_peso_liquido: Series[float] = pa.Field(description="Net tonnes; negative for returns")
    giro_sku_cliente: Series[float] = pa.Field(description="Turnover per (SKU, client), computed upstream")
    SKU: Series[str] = pa.Field(str_length=_varchar(Faturamento, "SKU"), description="Stock keeping unit")

    @pa.check("zs_peso_liquido", "giro_sku_cliente", name="finite", error="a finite number")
    def _finite(cls, values: Series[float]) -> Series[bool]:
        return pd.Series(np.isfinite(values), index=values.index)


def column_schema(model: type[pa.DataFrameModel], table: Table | None = None) -> dg.TableSchema:
    """The Dagster column schema of an export, read off its pandera model; with the warehouse `table` it loads
    into, each column typed as the warehouse stores it (the export's pandas dtype otherwise)."""
    columns = []
    for name, column in model.to_schema().columns.items():
        rules = [check.error or check.name for check in column.checks]
        stored = stored_type(table.c[name]) if table is not None else str(column.dtype)
        columns.append(
            dg.TableColumn(
                name=name,
                type=stored,
                description=column.description,
                constraints=dg.TableColumnConstraints(nullable=column.nullable, other=rules),
            )
        )
    return dg.TableSchema(columns=columns)
