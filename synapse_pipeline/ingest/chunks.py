"""The steps a parsed chunk of an export takes on its way to the pandera model: formats, types, failures.

Functions of the chunk (and of the formats its report has detected), so the reader only sequences and times them.
"""

import re

import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.compute as pc

from synapse_pipeline.ingest.report import ExportReport

DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
PANDAS_TYPES = {arrow.int64(): pd.Int64Dtype()}  # nullable integers stay integers


def normalise_formats(frame: pd.DataFrame, numeric_columns: list[str], report: ExportReport) -> None:
    """Bring `DD/MM/YYYY` dates and decimal commas to ISO and decimal points, as detected on first use.

    The formats found are kept in `report`, so a whole file is read in the format of its first values.
    """
    if report.date_format == "unknown":
        sample = frame["data"].dropna()
        if not sample.empty:
            first = str(sample.iloc[0])
            report.date_format = "DD/MM/YYYY" if DMY_DATE.match(first) else "YYYY-MM-DD"
    if report.date_format == "DD/MM/YYYY":
        frame["data"] = frame["data"].str.replace(DMY_DATE, r"\3-\2-\1", regex=True)
    if report.decimal == "unknown":
        values = frame[numeric_columns].stack()
        if not values.empty:
            comma = values.str.contains(",", regex=False).any()
            point = values.str.contains(".", regex=False).any()
            report.decimal = "comma" if comma and not point else "point"
    if report.decimal == "comma":
        for column in numeric_columns:
            frame[column] = frame[column].str.replace(",", ".", regex=False)


def cast_ahead(frame: pd.DataFrame, typed_columns: dict[str, arrow.DataType]) -> None:
    """Type the columns with Arrow's parsers (C++) ahead of pandera, whose coercion goes value by value.

    Arrow's parsers are the stricter: a column they refuse stays text, for pandera to coerce and report
    cell by cell as before.
    """
    for column, type_ in typed_columns.items():
        try:
            values = pc.cast(arrow.array(frame[column]), type_)
        except (arrow.ArrowInvalid, arrow.ArrowNotImplementedError):
            continue
        frame[column] = values.to_pandas(types_mapper=PANDAS_TYPES.get).array


def every_failure(model: type[pa.DataFrameModel], frame: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """All the failure cases of a chunk the model refused, `cases` being those of its first validation.

    When a value cannot be coerced pandera skips the column's other checks, so the chunk is checked
    again with those cells emptied: every rule is applied to every other value.
    """
    uncoercible = cases[cases["check"].astype(str).str.startswith("coerce_dtype")]
    if uncoercible.empty:
        return cases
    emptied = frame.copy()
    cells = set()
    for column, index in zip(uncoercible["column"], uncoercible["index"], strict=True):
        emptied.loc[index, column] = None
        cells.add((column, index))
    try:
        model.validate(emptied, lazy=True)
        again = cases.iloc[0:0]
    except pa.errors.SchemaErrors as errors:
        again = errors.failure_cases
    again = again[~again.apply(lambda r: r["check"] == "not_nullable" and (r["column"], r["index"]) in cells, axis=1)]
    return pd.concat([uncoercible, again], ignore_index=True)
