"""The folder the ERP drops its exports into, as a resource."""

from pathlib import Path

import dagster as dg

from synapse_pipeline.ingest.kinds import ExportKind, find_export


class ExportFiles(dg.ConfigurableResource):
    """The directory where the ERP exports `estoque*.csv` and `faturamento*.csv` arrive."""

    data_dir: str

    def find(self, kind: ExportKind) -> Path:
        return find_export(Path(self.data_dir), kind)
