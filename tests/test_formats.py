"""Exports in the other shapes the ERP produces load to exactly the same rows as the plain UTF-8 ISO file."""

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from synapse_pipeline.ingest.kinds import ExportError
from synapse_pipeline.ingest.profile import profile_file
from tests.support import Pipeline

FILES = ("estoque 1.csv", "faturamento 1.csv")
ACCENTED_CITY = "SÃO JOSÉ DOS PINHAIS"
REPAIRED = "PRÉ-PINTADO GALVALUME"
DOUBLE_ENCODED = REPAIRED.encode().decode("latin-1")


def _dmy_and_comma(text: str) -> str:
    text = re.sub(r"(?m)^(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1", text)
    return re.sub(r"(?<=\d)\.(?=\d)", ",", text)


def _header_case(text: str) -> str:
    header, rest = text.split("\n", 1)
    return " | ".join(name.upper() if i % 2 else f" {name} " for i, name in enumerate(header.split("|"))) + "\n" + rest


VARIANTS: dict[str, tuple[Callable[[str], bytes], dict[str, str]]] = {
    # A Latin-1 export holds the group as the ERP spells it, not double-encoded (Latin-1 has no such bytes).
    "latin-1": (lambda t: t.replace(DOUBLE_ENCODED, REPAIRED).encode("latin-1"), {"encoding": "cp1252"}),
    "dd/mm/yyyy and decimal comma": (
        lambda t: _dmy_and_comma(t).encode(),
        {"date_format": "DD/MM/YYYY", "decimal_separator": "comma"},
    ),
    "bom and crlf": (
        lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode(),
        {"encoding": "utf-8-sig", "line_ending": "CRLF"},
    ),
    "header case and spaces": (lambda t: _header_case(t).encode(), {"encoding": "utf-8"}),
}


def _with_accented_city(path: Path) -> None:
    """Put a city with accents in the billing file, so that re-encoding it really changes bytes."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for i in range(1, len(lines), 97):
        fields = lines[i].split("|")
        if len(fields) == 13:
            fields[8], fields[9] = ACCENTED_CITY, "PR"
            lines[i] = "|".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_loads_the_same_rows(pipeline: Pipeline, variant: str) -> None:
    _with_accented_city(pipeline.data_dir / "faturamento 1.csv")
    pipeline.load_all()
    expected = pipeline.checksums()
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE zs_cidade = :c", c=ACCENTED_CITY) > 0

    encode, detected = VARIANTS[variant]
    for name in FILES:
        path = pipeline.data_dir / name
        path.write_bytes(encode(path.read_text(encoding="utf-8")))
    raw = pipeline.materialize(["estoque_raw", "faturamento_raw", "clientes", "estoque"])
    assert raw.success
    assert pipeline.materialize(["faturamento"], months=("2024-01-01", "2025-08-01")).success

    metadata = raw.asset_materializations_for_node("faturamento_raw")[0].metadata
    for key, value in detected.items():
        assert metadata[key].value == value, key
    assert pipeline.checksums() == expected


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (b"a|b\nS\xc3O PAULO|1\n", "cp1252"),  # Latin-1 bytes that cp1252 also reads
        (b"a|b\nx\x81y|1\n", "latin-1"),  # 0x81 is undefined in cp1252, so only Latin-1 reads it
    ],
)
def test_the_encoding_is_the_first_that_reads_every_byte(tmp_path: Path, content: bytes, encoding: str) -> None:
    path = tmp_path / "faturamento.csv"
    path.write_bytes(content)
    assert profile_file(path).encoding == encoding


def test_a_file_cut_inside_a_utf8_character_is_refused_as_half_written(tmp_path: Path) -> None:
    """Not as mixed encodings: the last line has no line end, whatever byte it stops on."""
    path = tmp_path / "faturamento.csv"
    path.write_bytes(b"a|b\nS\xc3\xa3O|1\nS\xc3")
    with pytest.raises(ExportError, match=r"^faturamento.csv, line 3: the last line has no line end \(the file may"):
        profile_file(path)


def test_a_byte_cp1252_lacks_is_seen_where_a_block_ends_inside_a_utf8_sequence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("synapse_pipeline.ingest.profile.BLOCK_BYTES", 8)
    path = tmp_path / "faturamento.csv"
    path.write_bytes(b"a|b\nxy\xe1\x81Z|1\n")  # the first block ends on \xe1\x81, the next one's Z breaks UTF-8
    assert profile_file(path).encoding == "latin-1"


def test_utf8_split_where_a_block_ends_then_a_latin_byte_is_a_mixed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The euro sign is cut by the block end; the file is still UTF-8 elsewhere, so the later Latin byte is refused
    as mixed encodings, not read as cp1252."""
    monkeypatch.setattr("synapse_pipeline.ingest.profile.BLOCK_BYTES", 5)
    path = tmp_path / "faturamento.csv"
    path.write_bytes(b"a|b\n\xe2\x82\xacSAO PAULO\n\xe9|1\n")
    with pytest.raises(ExportError, match=r"^faturamento.csv, line 3, column a: mixed encodings"):
        profile_file(path)


@pytest.mark.parametrize("block_bytes", [5, 1 << 23])
def test_a_profile_reads_every_block_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int) -> None:
    """Lines, line ends, quotes and the hash come out the same whatever the blocks the file is read in."""
    monkeypatch.setattr("synapse_pipeline.ingest.profile.BLOCK_BYTES", block_bytes)
    path = tmp_path / "faturamento.csv"
    content = b'a|b\r\n"S\xc3\xa3o"|1\r\nlonger line|22\n'
    path.write_bytes(content)
    profile = profile_file(path)
    assert (profile.data_lines, profile.line_ending, profile.has_quotes, profile.longest_line) == (2, "mixed", True, 15)
    assert (profile.encoding, profile.size) == ("utf-8", len(content))
    assert profile.sha256 == hashlib.sha256(content).hexdigest()


def test_a_stray_carriage_return_in_a_quoted_line_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "faturamento.csv"
    path.write_bytes(b'a|b|c\n"x"|1|2\n"y"|z\rq|\x00\n')
    with pytest.raises(ExportError, match=r"^faturamento.csv, line 3, column c: NUL byte"):
        profile_file(path)
