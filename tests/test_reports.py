"""The monthly report asset: rendered from the KPI tables, stored once per month, exported by the CLI."""

import re
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from synapse_pipeline.cli.main import synapse
from synapse_pipeline.ingest.partitions import monthly_partitions
from synapse_pipeline.reports.assets import CONTENT_SHA256_KEY, RENDERED_KEY, REPORT_NAME_KEY
from synapse_pipeline.reports.mail import parsed
from synapse_pipeline.reports.words import ACTIONS, DEMAND_CLASSES, MODELS
from tests.support import Pipeline


@pytest.fixture
def reported(pipeline: Pipeline) -> Pipeline:
    pipeline.load_all_and_kpis()
    for month in ("2025-07-01", "2025-08-01"):
        assert pipeline.materialize(["relatorio_mensal"], partition=month).success
    return pipeline


def test_one_report_row_per_month_updated_in_place(reported: Pipeline) -> None:
    rows = reported.rows("SELECT id, name FROM report ORDER BY name")
    assert [name for _, name in rows] == ["relatorio-mensal-2025-07", "relatorio-mensal-2025-08"]

    result = reported.materialize(["relatorio_mensal"], partition="2025-07-01")

    assert result.success
    assert reported.rows("SELECT id, name FROM report ORDER BY name") == rows
    metadata = result.asset_materializations_for_node("relatorio_mensal")[0].metadata
    assert metadata[REPORT_NAME_KEY].value == "relatorio-mensal-2025-07"
    assert len(metadata[CONTENT_SHA256_KEY].value) == 64
    assert "Cliente" in metadata["preview"].value and "![Gráfico da tendência](data:image/png;base64," in (
        metadata["preview"].value
    )
    returned = reported.scalar(
        "SELECT -sum(zs_peso_liquido) FROM faturamento WHERE data >= '2025-07-01' AND data < '2025-08-01' "
        "AND zs_peso_liquido < 0"
    )
    net, gross = metadata["net_tonnes"].value, metadata["gross_tonnes"].value
    assert float(returned) > 0
    assert metadata["returned_tonnes"].value == pytest.approx(float(returned), abs=1e-3)  # as the report shows them
    assert gross - metadata["returned_tonnes"].value == pytest.approx(net, abs=2e-3)


def _july_again(pipeline: Pipeline) -> dict[str, dg.MetadataValue]:
    result = pipeline.materialize(["relatorio_mensal"], partition="2025-07-01")
    assert result.success
    return result.asset_materializations_for_node("relatorio_mensal")[0].metadata


def _execute(pipeline: Pipeline, sql: str) -> None:
    engine = pipeline.engine()
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def test_a_month_whose_report_would_not_change_is_not_rendered_again(reported: Pipeline) -> None:
    """Rendering is most of a report run: a month is drawn again only when its figures, its templates or code, or
    the stored report itself differ from what was recorded."""
    stored = "SELECT content, created_at, updated_at FROM report WHERE name = 'relatorio-mensal-2025-07'"
    before = reported.rows(stored)
    first = _july_again(reported)
    assert first[RENDERED_KEY].value is False
    assert reported.rows(stored) == before
    assert (
        first[CONTENT_SHA256_KEY]
        == reported.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("relatorio_mensal"), asset_partitions=["2025-07-01"]), limit=2
        )
        .records[1]
        .asset_materialization.metadata[CONTENT_SHA256_KEY]
    )
    assert "![Gráfico da tendência](data:image/png;base64," in first["preview"].value  # the UI keeps its preview

    # A figure changed: July's largest client is renamed.
    top = reported.scalar(
        "SELECT cod_cliente FROM faturamento WHERE data >= '2025-07-01' AND data < '2025-08-01' "
        "GROUP BY cod_cliente ORDER BY sum(zs_peso_liquido) DESC LIMIT 1"
    )
    _execute(reported, f"UPDATE clientes SET nome = 'Aços Renomeados Ltda' WHERE cod_cliente = {top}")
    renamed = _july_again(reported)
    assert renamed[RENDERED_KEY].value is True
    assert "Aços Renomeados Ltda" in reported.scalar(
        "SELECT content FROM report WHERE name = 'relatorio-mensal-2025-07'"
    )

    # The stored report is not the one recorded (a backup of another day restored): rendered again.
    _execute(reported, "UPDATE report SET content = 'outro' WHERE name = 'relatorio-mensal-2025-07'")
    restored = _july_again(reported)
    assert restored[RENDERED_KEY].value is True
    assert restored[CONTENT_SHA256_KEY] == renamed[CONTENT_SHA256_KEY]
    assert _july_again(reported)[RENDERED_KEY].value is False


def test_report_content_in_portuguese_with_the_month_figures(reported: Pipeline) -> None:
    july = reported.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2025-07'")
    net = reported.scalar(
        "SELECT sum(zs_peso_liquido) FROM faturamento WHERE data >= '2025-07-01' AND data < '2025-08-01'"
    )
    assert "julho de 2025" in july
    assert f"{float(net):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") in july
    assert 'src="data:image/png;base64,' in july
    # July ends before the only snapshot (2025-08-04): the stock section says so; August has it.
    assert "Não há posição de estoque" in july
    august = reported.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2025-08'")
    assert "04/08/2025" in august


def test_the_forecast_section_speaks_words_with_its_range_and_record(reported: Pipeline) -> None:
    """A manager reads methods, demand kinds and actions in words, the forecast's range and how it has done."""
    august = reported.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2025-08'")
    forecast = august.split("<h2>Previsão e reposição</h2>")[1]
    codes = [*MODELS, *DEMAND_CLASSES, *(code for code in ACTIONS if "_" in code)]
    assert [code for code in codes if f">{code}<" in forecast or f": {code})" in forecast] == []
    assert "Faixa de 80% (t)" in forecast and " a " in forecast.split("Faixa de 80% (t)")[1].split("</table>")[0]
    assert "repetir o mês anterior errou" in forecast and "do realizado" in forecast
    stored = {action for (action,) in reported.rows("SELECT DISTINCT acao FROM recomendacao_estoque")}
    assert stored <= set(ACTIONS)


def test_month_without_billing_has_no_report(reported: Pipeline) -> None:
    """A month after the data is no partition at all: nothing to render, nothing shown as missing."""
    assert not monthly_partitions.has_partition_key("2025-09-01", dynamic_partitions_store=reported.instance)
    with pytest.raises(dg.DagsterUnknownPartitionError, match="2025-09-01"):
        reported.materialize(["relatorio_mensal"], partition="2025-09-01")
    assert reported.scalar("SELECT count(*) FROM report") == 2


def test_cli_lists_and_exports_reports(reported: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_DATABASE_URL", reported.warehouse_url)

    def synapse_reports(*argv: str) -> Result:
        return CliRunner().invoke(synapse, ["reports", *argv], catch_exceptions=False)

    listed = synapse_reports("list")
    assert listed.exit_code == 0
    assert "relatorio-mensal-2025-07" in listed.stdout
    target = tmp_path / "julho.html"
    assert synapse_reports("export", "relatorio-mensal-2025-07", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == reported.scalar(
        "SELECT content FROM report WHERE name = 'relatorio-mensal-2025-07'"
    )
    assert synapse_reports("export", "relatorio-mensal-1999-01", str(target)).exit_code == 1


def test_metadata_reads_as_tables_and_text_never_raw_json(reported: Pipeline) -> None:
    """Every entry the whole chain records (loads, KPI, forecast, reports, backup, checks) is a number, text, a
    path or a table: a newcomer in the UI never has to read a JSON blob."""
    assert reported.materialize(["backup"]).success
    recorded: set[tuple[str, type]] = set()  # every key with every kind of value it was ever given
    for run in reported.instance.get_run_records():
        for entry in reported.instance.all_logs(run.dagster_run.run_id):
            event = entry.dagster_event
            if event is not None and event.event_type in (
                dg.DagsterEventType.ASSET_MATERIALIZATION,
                dg.DagsterEventType.ASSET_CHECK_EVALUATION,
            ):
                data = event.event_specific_data  # a materialization's wrapper, or the check's evaluation
                found = getattr(data, "materialization", data)
                recorded |= {(key, type(value)) for key, value in found.metadata.items()}
    keys = {key for key, _ in recorded}
    assert {"stage_seconds", "first_duplicate_lines", "failures_per_rule", "groups", "backups_kept", "preview"} <= keys
    assert sorted(key for key, kind in recorded if kind is dg.JsonMetadataValue) == []


def _counts(rows: list[tuple[str, str]]) -> dict[str, int]:
    """Each action's SKU count, read from (name, count) pairs, the name in words or as stored."""
    by_word = {word: code for code, word in ACTIONS.items()}
    plain = {name.replace("\\", ""): count for name, count in rows}  # markdown escapes the _ of sem_demanda
    return {by_word.get(name, name): int(count.replace(".", "")) for name, count in plain.items()}


def test_one_stock_story_in_the_report_the_mail_the_ui_and_the_table(reported: Pipeline) -> None:
    """The August report (the latest billed month), its mail, its preview in the UI and recomendacao_estoque's
    metadata count the same SKUs per action as the table: one verdict per SKU, no second count in the same words."""
    table = {
        action: int(n) for action, n in reported.rows("SELECT acao, COUNT(*) FROM recomendacao_estoque GROUP BY acao")
    }
    assert set(table) >= {"ruptura", "repor", "excesso", "sem_demanda"} and sum(table.values()) > 400
    expected = {action: table.get(action, 0) for action in ACTIONS}

    record = reported.instance.fetch_materializations(dg.AssetKey("recomendacao_estoque"), limit=1).records[0]
    acoes = record.asset_materialization.metadata["acoes"].value  # type: ignore[union-attr]
    assert _counts(re.findall(r"^\| ([\w\\]+) \| (\d+) \|$", acoes, flags=re.MULTILINE)) == expected

    august = reported.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2025-08'")
    situation = august.split("<h3>Situação por SKU</h3>")[1].split("</table>")[0]
    html_rows = re.findall(r'<td class="label">([^<]+)</td><td class="num" data-label="SKUs">([\d.]+)</td>', situation)
    assert _counts(html_rows) == expected
    assert "pares SKU" not in august and "Cobertura" not in august  # the per-client count is gone from the report

    preview = reported.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("relatorio_mensal"), asset_partitions=["2025-08-01"]), limit=1
    ).records[0]
    markdown = preview.asset_materialization.metadata["preview"].value  # type: ignore[union-attr]
    md_table = markdown.split("Situação por SKU")[1].split("\n\n")[1]
    md_rows = re.findall(r"^\| ([^|]+?) \| ([\d.]+) \| [\d.,]+ \| [^|]+ \|$", md_table, flags=re.MULTILINE)
    assert _counts(md_rows) == expected

    message = parsed(reported.scalar(
        "SELECT e.message FROM report_email e JOIN report r ON r.id = e.report_id "
        "WHERE r.name = 'relatorio-mensal-2025-08'"
    ))  # fmt: skip
    text_part = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    line = next(line for line in text_part.splitlines() if line.startswith("Situação dos "))
    assert _counts(re.findall(r"(?:^|, )([^,]+?) ([\d.]+)(?=,|\.$)", line.split(": ", 1)[1])) == expected
    html_part = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert situation in html_part  # the mail's HTML is the stored report's

    # July's report saw no stock advice: it ended before the snapshot and the billing the advice used.
    july = reported.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2025-07'")
    assert "Ruptura" not in july.split("<h2>Estoque</h2>")[1]


def _figures(text: str) -> set[str]:
    """Every decimal figure a page shows (1.234,56, 12,3%), its images left out."""
    return set(re.findall(r"\d[\d.]*,\d+%?", re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)))


def test_the_ui_preview_shows_every_figure_of_the_report(reported: Pipeline) -> None:
    """The preview in the UI is the whole report: each figure of August's (stock, obsolescence, forecast, largest
    SKUs, purchases) is in it, the demand classes too, in words."""
    html = reported.scalar("SELECT content FROM report WHERE name = 'relatorio-mensal-2025-08'")
    record = reported.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("relatorio_mensal"), asset_partitions=["2025-08-01"]), limit=1
    ).records[0]
    preview = record.asset_materialization.metadata["preview"].value  # type: ignore[union-attr]
    assert len(_figures(html)) > 100
    assert _figures(html) - _figures(preview.replace("\\", "")) == set()  # markdown escapes the . of 1.817,08
    assert "Obsolescência" in preview and "Maiores SKUs previstos" in preview and "| Regular |" in preview
