"""No secret reaches Dagster's logs or the UI's metadata: database URLs are shown with the password masked."""

import pytest
from sqlalchemy import make_url

from tests.support import Pipeline

SECRET = "S3cret-Pw-4711"


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_password_in_the_database_url_never_appears_in_events_or_metadata(pipeline: Pipeline) -> None:
    # Trust authentication ignores the password, so the run works with it in the URL.
    pipeline.warehouse_url = make_url(pipeline.warehouse_url).set(password=SECRET).render_as_string(hide_password=False)
    pipeline.load_all_and_kpis()
    assert pipeline.materialize(["relatorio_mensal"], partition="2025-07-01").success

    shown = []
    for run in pipeline.instance.get_runs():  # every event of every run, materialization metadata included
        shown += [f"{e.message} {e.user_message} {e.dagster_event}" for e in pipeline.instance.all_logs(run.run_id)]
    text = "\n".join(shown)
    assert "postgresql+psycopg://postgres:***@" in text  # the masked URL is there...
    assert SECRET not in text  # ...the password is not
