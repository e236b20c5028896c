"""The warehouse's Alembic migrations: `env.py`, the revisions in `versions/`, and the frozen baseline schema."""
