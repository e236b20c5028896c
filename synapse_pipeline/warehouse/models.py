"""SQLAlchemy 2 models of the warehouse at the newest migration (`migrations/versions/`); `sql/001_schema.sql`
is the same schema as readable DDL (tests/test_models.py and tests/test_migrations.py check all three agree)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def stored_type(column: Column) -> str:
    """The column's type as the warehouse declares it (`numeric`, `integer`, `varchar(50)`, `date`), for the UI."""
    return str(column.type).lower()


class Base(DeclarativeBase):
    pass


class User(Base):
    """Who receives the reports; `password` holds a bcrypt hash only."""

    __tablename__ = "user"
    __table_args__ = (
        Index("idx_user_email", "email"),
        Index(
            "idx_user_active",
            "is_active",
            postgresql_where=text("is_active = true"),
            sqlite_where=text("is_active = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String)
    email: Mapped[str] = mapped_column(String, unique=True)
    password: Mapped[str] = mapped_column(String)
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default=text("FALSE"))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("TRUE"))
    receive_email: Mapped[bool] = mapped_column(Boolean, server_default=text("TRUE"))
    last_update: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    last_access: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The first report they receive: the latest stored when they were added (None: every report).
    reports_from: Mapped[str | None] = mapped_column(String, nullable=True)


class Report(Base):
    """A rendered report, one row per name (`relatorio-mensal-YYYY-MM`)."""

    __tablename__ = "report"
    __table_args__ = (Index("idx_report_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())  # first stored
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())  # content last changed
    content: Mapped[str] = mapped_column(Text)

    delivered_to: Mapped[list["DeliveredTo"]] = relationship(back_populates="report", cascade="all, delete-orphan")


class ReportEmail(Base):
    """A report as it is mailed (MIME, without its recipient's headers), stored when the report is rendered."""

    __tablename__ = "report_email"

    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    message: Mapped[str] = mapped_column(Text)


class DeliveredTo(Base):
    """One delivery of a report to a user; the unique pair makes delivery exactly-once."""

    __tablename__ = "delivered_to"
    __table_args__ = (
        UniqueConstraint("report_id", "user_id", name="uq_delivered_to_report_user"),
        Index("idx_delivered_to_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    report: Mapped[Report] = relationship(back_populates="delivered_to")
    user: Mapped[User] = relationship()


class AuditLog(Base):
    """Who changed what and when: user changes (never a password or hash) and report deliveries."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("idx_audit_log_table_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    table_name: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(50))
    old_values: Mapped[dict | None] = mapped_column(JSON)
    new_values: Mapped[dict | None] = mapped_column(JSON)
    timestamp: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    ip_address: Mapped[str | None] = mapped_column(String(45))


class Clientes(Base):
    """Client master derived from both exports; `nome` is `Cliente N`, stable once given."""

    __tablename__ = "clientes"

    cod_cliente: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    nome: Mapped[str | None] = mapped_column(String(100))


class Estoque(Base):
    """Inventory lines, one snapshot date per export."""

    __tablename__ = "estoque"
    __table_args__ = (
        Index("idx_estoque_data", "data"),
        Index("idx_estoque_cliente", "cod_cliente"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    data: Mapped[datetime] = mapped_column(DateTime)
    cod_cliente: Mapped[int] = mapped_column(ForeignKey("clientes.cod_cliente"))
    es_centro: Mapped[str] = mapped_column(String(50))
    tipo_material: Mapped[str] = mapped_column(String(100))
    origem: Mapped[str] = mapped_column(String(50))
    cod_produto: Mapped[str] = mapped_column(String(50))
    lote: Mapped[str] = mapped_column(String(50))
    dias_em_estoque: Mapped[int] = mapped_column(Integer)
    produto: Mapped[str] = mapped_column(String(100))
    grupo_mercadoria: Mapped[str] = mapped_column(String(100))
    es_totalestoque: Mapped[Decimal] = mapped_column(Numeric)
    SKU: Mapped[str] = mapped_column(String(50))


class Faturamento(Base):
    """Billing lines; negative weights are returns and belong here."""

    __tablename__ = "faturamento"
    __table_args__ = (
        Index("idx_faturamento_data", "data"),
        Index("idx_faturamento_cliente", "cod_cliente"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    data: Mapped[datetime] = mapped_column(DateTime)
    cod_cliente: Mapped[int] = mapped_column(ForeignKey("clientes.cod_cliente"))
    lote: Mapped[str] = mapped_column(String(50))
    origem: Mapped[str] = mapped_column(String(50))
    zs_gr_mercad: Mapped[str] = mapped_column(String(100))
    produto: Mapped[str] = mapped_column(String(100))
    cod_produto: Mapped[str] = mapped_column(String(50))
    zs_centro: Mapped[str] = mapped_column(String(50))
    zs_cidade: Mapped[str] = mapped_column(String(100))
    zs_uf: Mapped[str] = mapped_column(String(10))
    zs_peso_liquido: Mapped[Decimal] = mapped_column(Numeric)
    giro_sku_cliente: Mapped[Decimal] = mapped_column(Numeric)
    SKU: Mapped[str] = mapped_column(String(50))
