"""The warehouse: models of `sql/`, engines and schema, dialect, COPY and bulk loads, checksums, backup."""
