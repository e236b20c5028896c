"""Synapse: the BI back end of a steel distributor, as a Dagster pipeline."""

import warnings

import dagster as dg

# Single-run backfills (BackfillPolicy) are beta but deliberate: a month range loads from one file read.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
# Definitions.map_asset_specs (owners on every asset, in one place) is a preview API, deliberately used.
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
