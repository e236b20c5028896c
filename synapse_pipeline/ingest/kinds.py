"""The two ERP exports, what tells them apart, and finding the one file of each kind.

Every other ingest module reads an export through its `ExportKind` and reports what it cannot load as `ExportError`.
"""

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandera.pandas as pa
import pyarrow as arrow

from synapse_pipeline.ingest.schemas import EstoqueExport, FaturamentoExport

DELIMITER = "|"
QUOTE = '"'
# Columns nearly every line holds its own value of (a production lot): a dictionary of them costs and saves nothing.
UNIQUE_PER_LINE = frozenset({"lote"})
ARROW_TYPES = {"float64": arrow.float64(), "Int64": arrow.int64(), "datetime64[ns]": arrow.timestamp("ns")}


@dataclass(frozen=True)
class ExportKind:
    """What distinguishes the two exports: file pattern, pandera model and the columns that need care."""

    name: str
    pattern: str
    model: type[pa.DataFrameModel]
    weight_column: str | None = None

    @cached_property
    def columns(self) -> list[str]:
        return list(self.model.to_schema().columns)

    @cached_property
    def typed_columns(self) -> dict[str, arrow.DataType]:
        """The columns that are not text, with the Arrow type each is read as."""
        schema = self.model.to_schema()
        return {n: ARROW_TYPES[str(c.dtype)] for n, c in schema.columns.items() if str(c.dtype) in ARROW_TYPES}

    @cached_property
    def numeric_columns(self) -> list[str]:
        schema = self.model.to_schema()
        return [n for n, c in schema.columns.items() if str(c.dtype) in ("float64", "Int64")]


ESTOQUE = ExportKind("estoque", "estoque*.csv", EstoqueExport)
FATURAMENTO = ExportKind("faturamento", "faturamento*.csv", FaturamentoExport, weight_column="zs_peso_liquido")


def split_fields(line: str) -> list[str]:
    """A line's fields as spreadsheet tools write them: any field may be in double quotes, `""` a quote inside.

    A line without quotes is simply split, whatever the length of its fields (`csv` refuses fields over 128 KiB). A
    stray carriage return inside the line reads as a space (`csv` refuses one outside quotes).
    """
    if QUOTE not in line:
        return line.split(DELIMITER)
    return next(csv.reader([line.replace("\r", " ")], delimiter=DELIMITER, quotechar=QUOTE))


class ExportError(Exception):
    """A file that cannot be loaded; the message names the file, line, column and rule."""


def find_export(data_dir: Path, kind: ExportKind) -> Path:
    """The one file of `kind` in `data_dir`; none or several is an error, never a guess."""
    if not Path(data_dir).is_dir():
        raise ExportError(f"the folder {data_dir} does not exist (SYNAPSE_DATA_DIR, where the exports arrive)")
    matches = sorted(p for p in Path(data_dir).glob(kind.pattern) if p.is_file())
    if not matches:
        raise ExportError(f"no {kind.pattern} file in {data_dir}")
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        raise ExportError(f"several {kind.pattern} files in {data_dir} ({names}); keep exactly one")
    return matches[0]
