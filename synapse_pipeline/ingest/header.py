"""The checks on an export's text before it is parsed: its header against the model, and its quoting.

Both refuse the file with the line (and column) at fault, where pandas would guess or silently drop.
"""

import re

from synapse_pipeline.ingest.kinds import DELIMITER, QUOTE, ExportError, ExportKind
from synapse_pipeline.ingest.profile import FileProfile

# A field wholly enclosed in double quotes (standard CSV quoting, `""` for a quote inside): what pandas and COPY
# read, and the only way a value can hold a '|'. Any other '"' in a line is a stray quote.
QUOTED_FIELD = re.compile(r'(?:^|(?<=\|))"(?:[^"]|"")*"(?=\||$)')


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
