"""KPI tables rebuilt set-based in the warehouse, the same SQL on PostgreSQL and SQLite."""
