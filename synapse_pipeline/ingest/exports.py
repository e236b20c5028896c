"""Reading the ERP exports: find the file, profile its bytes, parse, clean and validate it in chunks.

One reader serves both the raw assets (which validate and describe a file) and the loads (which stream its
typed chunks into the warehouse), so a file is always parsed, cleaned and checked the same way.
"""

import codecs
import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.compute as pc

from synapse_pipeline.ingest.cleaning import Cleaner
from synapse_pipeline.ingest.schemas import EstoqueExport, FaturamentoExport

CHUNK_ROWS = 200_000
BLOCK_BYTES = 1 << 23
MAX_REPORTED_FAILURES = 50
DELIMITER = "|"
READ, CLEAN, VALIDATE = "read", "clean", "validate"
DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
QUOTE = '"'
# A field wholly enclosed in double quotes (standard CSV quoting, `""` for a quote inside): what pandas and COPY
# read, and the only way a value can hold a '|'. Any other '"' in a line is a stray quote.
QUOTED_FIELD = re.compile(r'(?:^|(?<=\|))"(?:[^"]|"")*"(?=\||$)')
ARROW_TYPES = {"float64": arrow.float64(), "Int64": arrow.int64(), "datetime64[ns]": arrow.timestamp("ns")}
PANDAS_TYPES = {arrow.int64(): pd.Int64Dtype()}  # nullable integers stay integers


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


class ExportError(Exception):
    """A file that cannot be loaded; the message names the file, line, column and rule."""


@dataclass(frozen=True)
class Failure:
    """One value that breaks a rule of the pandera model."""

    file: str
    line: int | None
    column: str | None
    rule: str
    value: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{self.file}, {where}, column {self.column}: {self.rule} (value {self.value!r})"


def find_export(data_dir: Path, kind: ExportKind) -> Path:
    """The one file of `kind` in `data_dir`; none or several is an error, never a guess."""
    matches = sorted(p for p in Path(data_dir).glob(kind.pattern) if p.is_file())
    if not matches:
        raise ExportError(f"no {kind.pattern} file in {data_dir}")
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        raise ExportError(f"several {kind.pattern} files in {data_dir} ({names}); keep exactly one")
    return matches[0]


@dataclass(frozen=True)
class FileProfile:
    """What the bytes of an export say about it, read in one streaming pass."""

    path: Path
    size: int
    sha256: str
    data_lines: int
    encoding: str
    line_ending: str
    has_quotes: bool = False


def _position_of(offset: int, path: Path) -> str:
    """`line N, column C` of a byte offset (the column read off the header; none on the header line itself)."""
    with path.open("rb") as f:
        before = f.read(offset)
    line = before.count(b"\n") + 1
    if line == 1:
        return "line 1"
    header = before[: before.index(b"\n")].rstrip(b"\r").split(DELIMITER.encode())
    field_number = before[before.rindex(b"\n") + 1 :].count(DELIMITER.encode())
    if field_number >= len(header):
        return f"line {line}"
    column = header[field_number].decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    return f"line {line}, column {column}"


def file_sha256(path: Path) -> str:
    """The file's sha256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def profile_file(path: Path) -> FileProfile:
    """Hash, count lines and detect the encoding (UTF-8 with or without BOM, else cp1252 or Latin-1)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    size = newlines = crlf = 0
    first = b""
    last = b""
    utf8_error_at: int | None = None
    nul_at: int | None = None
    cp1252_ok = True
    has_multibyte = has_quotes = False
    with path.open("rb") as f:
        while block := f.read(BLOCK_BYTES):
            digest.update(block)
            if not first:
                first = block[:3]
            newlines += block.count(b"\n")
            crlf += block.count(b"\r\n") + (last == b"\r" and block[:1] == b"\n")
            if utf8_error_at is None:
                unfinished, _ = utf8.getstate()  # the end of the block before, if it stopped inside a sequence
                try:
                    utf8.decode(block)
                except UnicodeDecodeError as error:
                    utf8_error_at = size + error.start
                    cp1252_ok = _decodes(unfinished, "cp1252")
            if not has_multibyte:
                has_multibyte = UTF8_MULTIBYTE.search(block) is not None
            if nul_at is None and (at := block.find(b"\0")) >= 0:
                nul_at = size + at
            has_quotes = has_quotes or QUOTE.encode() in block
            # cp1252 reads from where UTF-8 fails (`unfinished` included): the bytes before were ASCII, which it
            # reads, or the file is refused as mixed.
            if cp1252_ok and utf8_error_at is not None:
                cp1252_ok = _decodes(block, "cp1252")
            size += len(block)
            last = block[-1:]
    if size == 0:
        raise ExportError(f"{path.name}: empty file (no header line)")
    if nul_at is not None:  # UTF-16, or a copy cut short and padded with zeros: no text export holds one
        raise ExportError(
            f"{path.name}, {_position_of(nul_at, path)}: NUL byte (0x00), not text "
            "(a UTF-16 file, or a copy cut short); the exports are UTF-8 or Latin-1 text"
        )
    if utf8_error_at is None:
        unfinished, _ = utf8.getstate()  # a sequence the file ends in the middle of
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error_at = size - 1
            cp1252_ok = _decodes(unfinished, "cp1252")
    if utf8_error_at is None:
        encoding = "utf-8-sig" if first == codecs.BOM_UTF8 else "utf-8"
    elif has_multibyte:
        raise ExportError(
            f"{path.name}, {_position_of(utf8_error_at, path)}: mixed encodings "
            "(UTF-8 elsewhere in the file, but these bytes are not UTF-8)"
        )
    else:
        encoding = "cp1252" if cp1252_ok else "latin-1"
    lines = newlines + (last != b"\n")
    return FileProfile(
        path=path,
        size=size,
        sha256=digest.hexdigest(),
        data_lines=lines - 1,
        encoding=encoding,
        line_ending="CRLF" if crlf and crlf == newlines else ("mixed" if crlf else "LF"),
        has_quotes=has_quotes,
    )


@dataclass
class ExportReport:
    """Everything learnt while reading an export: formats, cleaning, failures, warnings and contents."""

    kind: str
    profile: FileProfile
    date_format: str = "unknown"
    decimal: str = "unknown"
    rows: int = 0
    cleaning: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    failure_counts: Counter[str] = field(default_factory=Counter)
    duplicate_lines: int = 0
    duplicate_examples: list[int] = field(default_factory=list)
    negative_weights: int = 0
    zero_weights: int = 0
    client_codes: set[int] = field(default_factory=set)
    dates: Counter[pd.Timestamp] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)  # read, clean, validate; the loads add their load

    @property
    def failure_total(self) -> int:
        return sum(self.failure_counts.values())

    @property
    def valid(self) -> bool:
        return self.failure_total == 0

    def months(self) -> Counter[str]:
        """Rows per month (`YYYY-MM-01`), the faturamento partitions the file fills."""
        months: Counter[str] = Counter()
        for day, n in self.dates.items():
            months[day.strftime("%Y-%m-01")] += n
        return months

    def error_message(self, shown: int = 5) -> str:
        head = "; ".join(str(f) for f in self.failures[:shown])
        more = self.failure_total - min(shown, len(self.failures))
        tail = f"; and {more} more" if more > 0 else ""
        return f"{self.profile.path.name}: {self.failure_total} invalid value(s): {head}{tail}"


def _rule(check: str) -> str:
    """A readable rule name: pandera's check text, with long value lists shortened."""
    if check.startswith("isin(") and len(check) > 40:
        return f"isin({check.count(',') + 1} allowed values)"
    return check


def read_header(profile: FileProfile, kind: ExportKind) -> list[str]:
    """The header mapped onto the model's names (case and whitespace ignored); wrong headers are errors."""
    with profile.path.open(encoding=profile.encoding, newline="") as f:
        line = f.readline().rstrip("\r\n")
    name = profile.path.name
    if not line.strip():
        raise ExportError(f"{name}, line 1: no header (the first line is blank)")
    if DELIMITER not in line:
        found = next((d for d in (";", ",", "\t") if d in line), None)
        if found:
            raise ExportError(f"{name}, line 1: wrong delimiter {found!r}; the exports are separated by '|'")
    expected = {c.lower(): c for c in kind.columns}
    header = [h.strip().lower() for h in line.split(DELIMITER)]
    missing = [c for k, c in expected.items() if k not in header]
    extra = [h for h in header if h not in expected]
    repeated = sorted({h for h in header if header.count(h) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s) {', '.join(extra)}")
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise ExportError(f"{name}, line 1: header does not match the {kind.name} export: {'; '.join(problems)}")
    if profile.data_lines < 1:
        raise ExportError(f"{name}: header only, no data lines")
    return [expected[h] for h in header]


def check_quotes(profile: FileProfile, header: list[str]) -> None:
    """Refuse a '"' that does not enclose a whole field, the first line that has one named.

    The exports are unquoted; a field wholly in double quotes is read as standard CSV (so a value may hold a
    '|'), but a quote elsewhere (`AB"C`, `"AB"C`, or a quoted field never closed on its line) is not something
    the ERP writes, and pandas would silently keep or drop it. Only files that hold a '"' are scanned.
    """
    with profile.path.open(encoding=profile.encoding, newline="") as f:
        for number, line in enumerate(f, start=1):
            if QUOTE not in line:
                continue
            unquoted = QUOTED_FIELD.sub("", line.rstrip("\r\n"))
            at = unquoted.find(QUOTE)
            if at < 0:
                continue
            field_number = unquoted.count(DELIMITER, 0, at)
            where = f"line {number}, column {header[field_number]}" if field_number < len(header) else f"line {number}"
            value = unquoted[unquoted.rfind(DELIMITER, 0, at) + 1 :].split(DELIMITER, 1)[0]
            raise ExportError(
                f"{profile.path.name}, {where}: stray '\"' (value {value[:200]!r}); the exports are unquoted, "
                "a '\"' may only enclose a whole field"
            )


class ExportReader:
    """Streams an export as cleaned, validated, typed chunks while filling an `ExportReport`."""

    def __init__(
        self,
        path: Path,
        kind: ExportKind,
        chunk_rows: int = CHUNK_ROWS,
        profile: FileProfile | None = None,
        count_duplicates: bool = True,
    ) -> None:
        """`profile`, when given, is the checked profile of this very file: its byte-level checks are skipped."""
        self.kind = kind
        self.chunk_rows = chunk_rows
        self.count_duplicates = count_duplicates
        self.profile = profile or profile_file(path)
        self.header = read_header(self.profile, kind)
        if self.profile.has_quotes and profile is None:
            check_quotes(self.profile, self.header)
        self.report = ExportReport(kind=kind.name, profile=self.profile)
        self._cleaner = Cleaner()
        self._hashes: list[np.ndarray] = []

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Valid typed chunks in file order; after the last one, `report` is complete.

        Invalid chunks are not yielded but still read, so the report counts every failure in the file.
        """
        reader = pd.read_csv(
            self.profile.path,
            sep=DELIMITER,
            header=0,
            names=self.header,
            dtype=str,
            encoding=self.profile.encoding,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            chunksize=self.chunk_rows,
        )
        seconds = self.report.stage_seconds
        try:
            started = time.perf_counter()
            for raw in reader:
                seconds[READ] += time.perf_counter() - started
                typed = self._process(raw[self.kind.columns])
                if typed is not None and self.report.valid:
                    yield typed
                started = time.perf_counter()
        except pd.errors.ParserError as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            if not found:
                raise ExportError(f"{self.profile.path.name}: cannot parse: {error}") from error
            expected, line, saw = found.groups()
            raise ExportError(
                f"{self.profile.path.name}, line {line}: {saw} fields where the header has {expected} "
                "(a stray '|' or a broken line)"
            ) from error
        finally:
            reader.close()
        self._count_duplicates()

    def validate(self) -> ExportReport:
        """Read the whole file for its report only."""
        for _ in self.chunks():
            pass
        return self.report

    def _process(self, raw: pd.DataFrame) -> pd.DataFrame | None:
        seconds = self.report.stage_seconds
        started = time.perf_counter()
        if self.count_duplicates:
            self._hashes.append(pd.util.hash_pandas_object(raw, index=False).to_numpy())
        cleaned = self._cleaner.clean(raw, self.report.cleaning)
        self._normalise_formats(cleaned)
        cleaned_at = time.perf_counter()
        seconds[CLEAN] += cleaned_at - started
        self._cast_ahead(cleaned)
        typed = self._validated(cleaned, raw)
        seconds[VALIDATE] += time.perf_counter() - cleaned_at
        if typed is None:
            return None
        self._summarise(typed)
        return typed

    def _normalise_formats(self, frame: pd.DataFrame) -> None:
        """Bring `DD/MM/YYYY` dates and decimal commas to ISO and decimal points, as detected on first use."""
        report = self.report
        if report.date_format == "unknown":
            sample = frame["data"].dropna()
            if not sample.empty:
                first = str(sample.iloc[0])
                report.date_format = "DD/MM/YYYY" if DMY_DATE.match(first) else "YYYY-MM-DD"
        if report.date_format == "DD/MM/YYYY":
            frame["data"] = frame["data"].str.replace(DMY_DATE, r"\3-\2-\1", regex=True)
        numeric = self.kind.numeric_columns
        if report.decimal == "unknown":
            values = frame[numeric].stack()
            if not values.empty:
                comma = values.str.contains(",", regex=False).any()
                point = values.str.contains(".", regex=False).any()
                report.decimal = "comma" if comma and not point else "point"
        if report.decimal == "comma":
            for column in numeric:
                frame[column] = frame[column].str.replace(",", ".", regex=False)

    def _cast_ahead(self, frame: pd.DataFrame) -> None:
        """Type the columns with Arrow's parsers (C++) ahead of pandera, whose coercion goes value by value.

        Arrow's parsers are the stricter: a column they refuse stays text, for pandera to coerce and report
        cell by cell as before.
        """
        for column, type_ in self.kind.typed_columns.items():
            try:
                values = pc.cast(arrow.array(frame[column]), type_)
            except (arrow.ArrowInvalid, arrow.ArrowNotImplementedError):
                continue
            frame[column] = values.to_pandas(types_mapper=PANDAS_TYPES.get).array

    def _validated(self, frame: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame | None:
        """The chunk coerced by the pandera model, or None after recording its failures.

        When a value cannot be coerced pandera skips the column's other checks, so the chunk is checked
        again with those cells emptied: every rule is applied to every other value.
        """
        try:
            return self.kind.model.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
        uncoercible = cases[cases["check"].astype(str).str.startswith("coerce_dtype")]
        if not uncoercible.empty:
            emptied = frame.copy()
            cells = set()
            for column, index in zip(uncoercible["column"], uncoercible["index"], strict=True):
                emptied.loc[index, column] = None
                cells.add((column, index))
            try:
                self.kind.model.validate(emptied, lazy=True)
                again = cases.iloc[0:0]
            except pa.errors.SchemaErrors as errors:
                again = errors.failure_cases
            again = again[
                ~again.apply(lambda r: r["check"] == "not_nullable" and (r["column"], r["index"]) in cells, axis=1)
            ]
            cases = pd.concat([uncoercible, again], ignore_index=True)
        self._record(cases, raw)
        return None

    def _record(self, cases: pd.DataFrame, raw: pd.DataFrame) -> None:
        """Count the failures and keep the first ones, with the value as it stands in the file."""
        checks = cases["check"].astype(str)
        cases = cases[cases["index"].notna() & ~checks.str.startswith("dtype(")]
        cases = cases.sort_values("index", kind="stable")
        report = self.report
        for column, check, index in zip(cases["column"], cases["check"], cases["index"], strict=True):
            rule = _rule(str(check))
            report.failure_counts[f"{column}: {rule}"] += 1
            if len(report.failures) < MAX_REPORTED_FAILURES:
                value = raw.at[index, column]
                shown = "" if pd.isna(value) else str(value)
                report.failures.append(
                    Failure(
                        file=self.profile.path.name,
                        line=int(index) + 2,
                        column=str(column),
                        rule=rule,
                        value=shown[:200],
                    )
                )

    def _summarise(self, typed: pd.DataFrame) -> None:
        report = self.report
        report.rows += len(typed)
        report.client_codes.update(int(c) for c in typed["cod_cliente"].unique())
        report.dates.update(typed["data"].dt.normalize().value_counts().to_dict())
        if self.kind.weight_column:
            weights = typed[self.kind.weight_column]
            report.negative_weights += int((weights < 0).sum())
            report.zero_weights += int((weights == 0).sum())

    def _count_duplicates(self) -> None:
        if not self._hashes:
            return
        hashes = pd.Series(np.concatenate(self._hashes))
        repeated = hashes.duplicated()
        self.report.duplicate_lines = int(repeated.sum())
        self.report.duplicate_examples = [int(i) + 2 for i in np.flatnonzero(repeated.to_numpy())[:20]]
        self._hashes = []


@dataclass(frozen=True)
class ValidatedExport:
    """What a raw asset hands to the loads: which file passed validation, and what it holds."""

    kind: str
    profile: FileProfile
    rows: int
    client_codes: frozenset[int]
    dates: tuple[pd.Timestamp, ...]
    rows_per_month: tuple[tuple[str, int], ...]  # (`YYYY-MM-01`, rows), the faturamento partitions it fills
    duplicate_lines: int

    @classmethod
    def from_report(cls, report: ExportReport) -> "ValidatedExport":
        return cls(
            kind=report.kind,
            profile=report.profile,
            rows=report.rows,
            client_codes=frozenset(report.client_codes),
            dates=tuple(sorted(report.dates)),
            rows_per_month=tuple(sorted(report.months().items())),
            duplicate_lines=report.duplicate_lines,
        )

    def rows_between(self, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """Rows dated in [start, end), counted when the file was validated."""
        return sum(n for month, n in self.rows_per_month if start <= pd.Timestamp(month) < end)

    def open(self, kind: ExportKind) -> ExportReader:
        """A reader of the same file, refusing it if its content changed since it was validated.

        An unchanged hash means the same bytes, so the profile found then still holds: only the hash is read again,
        and duplicates, counted then, are not counted again.
        """
        path = self.profile.path
        if file_sha256(path) != self.profile.sha256:
            raise ExportError(
                f"{path.name} changed since {kind.name}_raw validated it; materialize {kind.name}_raw again"
            )
        return ExportReader(path, kind, profile=self.profile, count_duplicates=False)
