"""The warehouse schema as it was before migrations existed (revision 0001), frozen: the baseline revision creates
it, and a warehouse made by that code is recognised by comparing it with this. Never edit: write a revision."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData()

Table(
    "user",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String, nullable=False),
    Column("email", String, nullable=False, unique=True),
    Column("password", String, nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default=text("FALSE")),
    Column("is_active", Boolean, nullable=False, server_default=text("TRUE")),
    Column("receive_email", Boolean, nullable=False, server_default=text("TRUE")),
    Column("last_update", DateTime, nullable=False, server_default=func.now()),
    Column("last_access", DateTime, nullable=True),
    Index("idx_user_email", "email"),
    Index(
        "idx_user_active",
        "is_active",
        postgresql_where=text("is_active = true"),
        sqlite_where=text("is_active = 1"),
    ),
)

Table(
    "report",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String, nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False, server_default=func.now()),
    Column("content", Text, nullable=False),
    Index("idx_report_created_at", "created_at"),
)

Table(
    "report_email",
    metadata,
    Column("report_id", ForeignKey("report.id", ondelete="CASCADE"), primary_key=True),
    Column("message", Text, nullable=False),
)

Table(
    "delivered_to",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("user.id"), nullable=False),
    UniqueConstraint("report_id", "user_id", name="uq_delivered_to_report_user"),
    Index("idx_delivered_to_user_id", "user_id"),
)

Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("user.id"), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(50), nullable=False),
    Column("table_name", String(50), nullable=False),
    Column("record_id", String(50), nullable=False),
    Column("old_values", JSON, nullable=True),
    Column("new_values", JSON, nullable=True),
    Column("timestamp", DateTime, nullable=False, server_default=func.now()),
    Column("ip_address", String(45), nullable=True),
    Index("idx_audit_log_table_record", "table_name", "record_id"),
)

Table(
    "clientes",
    metadata,
    Column("cod_cliente", Integer, primary_key=True, autoincrement=False),
    Column("nome", String(100), nullable=True),
)

Table(
    "estoque",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("data", DateTime, nullable=False),
    Column("cod_cliente", ForeignKey("clientes.cod_cliente"), nullable=False),
    Column("es_centro", String(50), nullable=False),
    Column("tipo_material", String(100), nullable=False),
    Column("origem", String(50), nullable=False),
    Column("cod_produto", String(50), nullable=False),
    Column("lote", String(50), nullable=False),
    Column("dias_em_estoque", Integer, nullable=False),
    Column("produto", String(100), nullable=False),
    Column("grupo_mercadoria", String(100), nullable=False),
    Column("es_totalestoque", Numeric, nullable=False),
    Column("SKU", String(50), nullable=False),
    Index("idx_estoque_data", "data"),
    Index("idx_estoque_cliente", "cod_cliente"),
)

Table(
    "faturamento",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("data", DateTime, nullable=False),
    Column("cod_cliente", ForeignKey("clientes.cod_cliente"), nullable=False),
    Column("lote", String(50), nullable=False),
    Column("origem", String(50), nullable=False),
    Column("zs_gr_mercad", String(100), nullable=False),
    Column("produto", String(100), nullable=False),
    Column("cod_produto", String(50), nullable=False),
    Column("zs_centro", String(50), nullable=False),
    Column("zs_cidade", String(100), nullable=False),
    Column("zs_uf", String(10), nullable=False),
    Column("zs_peso_liquido", Numeric, nullable=False),
    Column("giro_sku_cliente", Numeric, nullable=False),
    Column("SKU", String(50), nullable=False),
    Index("idx_faturamento_data", "data"),
    Index("idx_faturamento_cliente", "cod_cliente"),
)
