"""The `synapse` command (click): the project's own tasks beside Dagster's CLI."""
