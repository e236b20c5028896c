"""The KPI tables' reconciliation checks: after every rebuild, each table's totals against the facts it came from.

Blocking: in a run, what reads a table that disagrees (the report) does not run; the report also refuses on its own.
"""

import dagster as dg

from synapse_pipeline.kpis.reconcile import RECONCILIATIONS, Reconciliation, disagreements
from synapse_pipeline.lib import markdown
from synapse_pipeline.warehouse.resource import Warehouse

RECONCILES_CHECK = "bate_com_a_origem"  # "agrees with its source"
SHOWN = 20


def reconciliation_check(reconciliation: Reconciliation) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=reconciliation.table,
        name=RECONCILES_CHECK,
        blocking=True,
        description=f"{reconciliation.rule} (within 1e-6 t)",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.engine.connect() as conn:
            found = disagreements(conn, reconciliation)
        return dg.AssetCheckResult(
            passed=not found,
            description=reconciliation.rule if not found else f"{len(found)} disagreement(s): {found[0]}",
            metadata={"disagreements": len(found), "first": markdown.bullets(found[:SHOWN])},
        )

    return _check


kpi_checks = [reconciliation_check(reconciliation) for reconciliation in RECONCILIATIONS]
