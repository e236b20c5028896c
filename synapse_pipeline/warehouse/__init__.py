"""The warehouse: SQLAlchemy models of `sql/`, schema creation and the fast loaders."""
