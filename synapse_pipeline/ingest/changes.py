"""Which exports are new: each file's content hash against the one its raw asset last validated.

Shared by the export sensor (every 5 s) and the morning schedule, so neither validates a file twice.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from synapse_pipeline.ingest.kinds import ESTOQUE, FATURAMENTO
from synapse_pipeline.ingest.profile import file_sha256
from synapse_pipeline.ingest.raw import RAW_ASSETS, SHA256_KEY
from synapse_pipeline.ingest.resources import ExportFiles


@dataclass(frozen=True)
class FoundExport:
    """An export in the data folder: its kind, path, and [size, mtime, sha256] (its stamp; no hash yet while it may
    still be being written)."""

    kind: str
    path: Path
    stamp: list[int | str]  # JSON in the sensor's cursor

    @property
    def sha256(self) -> str:
        return str(self.stamp[2])

    @property
    def settled(self) -> bool:
        """Whether its size and time were the same at the look before: not a file still being written."""
        return bool(self.sha256)


def find_exports(
    export_files: ExportFiles, known: dict[str, list[int | str]], *, settling: bool = False
) -> list[FoundExport]:
    """Both exports with their content hash; a file whose size and mtime match its `known` stamp is not read again.

    `settling`: a file whose size or time changed since `known` is not read yet (no hash): it may still be being
    written, and is read at the next look if it has not changed again.
    """
    found = []
    for kind in (ESTOQUE, FATURAMENTO):
        path = export_files.find(kind)
        stat = path.stat()
        stamp = known.get(path.name)
        if not stamp or stamp[:2] != [stat.st_size, stat.st_mtime_ns]:
            stamp = [stat.st_size, stat.st_mtime_ns, "" if settling else file_sha256(path)]
        elif not stamp[2]:
            stamp = [stat.st_size, stat.st_mtime_ns, file_sha256(path)]
        found.append(FoundExport(kind.name, path, stamp))
    return found


def all_validated(instance: dg.DagsterInstance, exports: list[FoundExport]) -> bool:
    """Whether each export is the very file its raw asset last validated."""
    events = instance.get_latest_materialization_events(RAW_ASSETS.values())
    for export in exports:
        event = events.get(RAW_ASSETS[export.kind])
        materialization = event.asset_materialization if event else None
        if materialization is None or materialization.metadata[SHA256_KEY].value != export.sha256:
            return False
    return True


def load_request(exports: list[FoundExport]) -> dg.RunRequest:
    """The ingest run for these files, keyed by their contents: a file that fails is not tried again unchanged."""
    contents = "+".join(f"{e.path.name}:{e.sha256}" for e in sorted(exports, key=lambda e: e.path.name))
    return dg.RunRequest(
        run_key=hashlib.sha256(contents.encode()).hexdigest(), tags={"synapse/exports": contents[:255]}
    )
