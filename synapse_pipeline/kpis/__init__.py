"""KPI tables made set-based in the warehouse from one SQL file each (`sql/`), typed alike on PostgreSQL and SQLite,
and refreshed month by month where their grain allows (`changes`)."""
