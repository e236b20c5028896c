"""Synapse: the BI back end of a steel distributor, as a Dagster pipeline."""

import warnings

# Dagster's warning classes, from the small package that defines them (`dagster.BetaWarning` is the same class):
# importing `dagster` itself here would make every `synapse` command wait for it, `--help` included.
from dagster_shared.utils.warnings import BetaWarning, PreviewWarning

# Single-run backfills (BackfillPolicy) are beta but deliberate: a month range loads from one file read.
warnings.filterwarnings("ignore", category=BetaWarning)
# Definitions.map_asset_specs (owners on every asset, in one place) is a preview API, deliberately used.
warnings.filterwarnings("ignore", category=PreviewWarning)
