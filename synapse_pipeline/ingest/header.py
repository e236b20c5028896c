"""The checks on an export's text before it is parsed: its header against the model, and its quoting.

Both refuse the file with the line (and column) at fault, where the CSV parser would guess or silently drop.
"""

import re
from typing import NoReturn

import pyarrow as arrow
import pyarrow.compute as pc

from synapse_pipeline.ingest.kinds import DELIMITER, ExportError, ExportKind, split_fields
from synapse_pipeline.ingest.profile import FileProfile

# Standard CSV quoting, as spreadsheet tools save it: a field is plain (no '"', no '|') or wholly enclosed in double
# quotes, `""` standing for a quote inside (so a quoted value may hold a '|'). Any other '"' is a stray quote.
_FIELD = r'(?:"[^"]*(?:""[^"]*)*"|[^"|]*)'
WELL_QUOTED_LINE = rf"^{_FIELD}(?:\|{_FIELD})*\r?\n?$"  # RE2, run by Arrow over a block of lines at a time
WELL_QUOTED_FIELDS = re.compile(rf"(?:{_FIELD}\|)*")  # a line's fields up to the first with a stray quote
QUOTE_CHECK_CHARS = 1 << 23


def read_header(profile: FileProfile, kind: ExportKind) -> list[str]:
    """The header mapped onto the model's names (case, whitespace and quotes ignored); wrong headers are errors."""
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
    header = [h.strip().lower() for h in split_fields(line)]
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

    A stray quote (`AB"C`, `"AB"C`, or a quoted field never closed on its line) is not something a spreadsheet or
    the ERP writes, and the parser would silently keep or drop it. Only files that hold a '"' are scanned, a block
    of lines at a time by Arrow's regular expressions (C++): a fully quoted file is checked at the parser's pace.
    """
    number = 1  # of the block's first line
    with profile.path.open(encoding=profile.encoding, newline="") as f:
        while lines := f.readlines(QUOTE_CHECK_CHARS):
            well_quoted = pc.match_substring_regex(arrow.array(lines, arrow.large_string()), WELL_QUOTED_LINE)
            if not pc.all(well_quoted).as_py():
                at = pc.index(well_quoted, False).as_py()
                _refuse_stray_quote(profile, header, number + at, lines[at].rstrip("\r\n"))
            number += len(lines)


def _refuse_stray_quote(profile: FileProfile, header: list[str], number: int, line: str) -> NoReturn:
    """The error naming the line, column and value of the first stray quote in `line`."""
    before = WELL_QUOTED_FIELDS.match(line).group()  # type: ignore[union-attr]  # it matches the empty string
    field_number = len(split_fields(before)) - 1 if before else 0
    where = f"line {number}, column {header[field_number]}" if field_number < len(header) else f"line {number}"
    value = line[len(before) :].split(DELIMITER, 1)[0]
    raise ExportError(
        f"{profile.path.name}, {where}: stray '\"' (value {value[:200]!r}); a '\"' may only enclose a whole field, "
        "and is written '\"\"' inside one"
    )
