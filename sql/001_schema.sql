-- Synapse warehouse schema (PostgreSQL 15) at the newest migration, as readable DDL. Warehouses are made and
-- changed by the Alembic revisions in synapse_pipeline/warehouse/migrations/versions/ (`synapse db upgrade`);
-- tests/test_migrations.py proves they produce exactly this, and tests/test_models.py that the models agree.

CREATE TABLE IF NOT EXISTS "user" (
    id SERIAL PRIMARY KEY,
    username VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE,
    password VARCHAR NOT NULL,            -- bcrypt hash, never the password
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    receive_email BOOLEAN NOT NULL DEFAULT TRUE,
    last_update TIMESTAMP NOT NULL DEFAULT NOW(),
    last_access TIMESTAMP NULL,
    reports_from VARCHAR NULL             -- the first report received: the latest stored when added (NULL: all)
);

CREATE TABLE IF NOT EXISTS report (
    id SERIAL PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),  -- when first stored
    content TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT NOW()   -- when its content last changed (revision 0002: a last column)
);

-- The report as it is mailed (MIME: text, HTML, inline PNG charts; no recipient headers), stored with the report.
CREATE TABLE IF NOT EXISTS report_email (
    report_id INTEGER PRIMARY KEY REFERENCES report(id) ON DELETE CASCADE,
    message TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS delivered_to (
    id SERIAL PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES report(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES "user"(id),
    CONSTRAINT uq_delivered_to_report_user UNIQUE (report_id, user_id)
);

CREATE TABLE IF NOT EXISTS clientes (
    cod_cliente INTEGER PRIMARY KEY,
    nome VARCHAR(100) NULL
);

CREATE TABLE IF NOT EXISTS estoque (
    id SERIAL PRIMARY KEY,
    data TIMESTAMP NOT NULL,
    cod_cliente INTEGER NOT NULL REFERENCES clientes(cod_cliente),
    es_centro VARCHAR(50) NOT NULL,
    tipo_material VARCHAR(100) NOT NULL,
    origem VARCHAR(50) NOT NULL,
    cod_produto VARCHAR(50) NOT NULL,
    lote VARCHAR(50) NOT NULL,
    dias_em_estoque INTEGER NOT NULL,
    produto VARCHAR(100) NOT NULL,
    grupo_mercadoria VARCHAR(100) NOT NULL,
    es_totalestoque NUMERIC NOT NULL,
    "SKU" VARCHAR(50) NOT NULL
);

CREATE TABLE IF NOT EXISTS faturamento (
    id SERIAL PRIMARY KEY,
    data TIMESTAMP NOT NULL,
    cod_cliente INTEGER NOT NULL REFERENCES clientes(cod_cliente),
    lote VARCHAR(50) NOT NULL,
    origem VARCHAR(50) NOT NULL,
    zs_gr_mercad VARCHAR(100) NOT NULL,
    produto VARCHAR(100) NOT NULL,
    cod_produto VARCHAR(50) NOT NULL,
    zs_centro VARCHAR(50) NOT NULL,
    zs_cidade VARCHAR(100) NOT NULL,
    zs_uf VARCHAR(10) NOT NULL,
    zs_peso_liquido NUMERIC NOT NULL,
    giro_sku_cliente NUMERIC NOT NULL,
    "SKU" VARCHAR(50) NOT NULL
);

-- The spec's planned audit log: who changed what and when. Never a password or a hash.
CREATE TABLE IF NOT EXISTS audit_log (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NULL REFERENCES "user"(id),  -- the acting Synapse user, when there is one
    actor VARCHAR(200) NOT NULL,                 -- who acted: the OS login at the CLI, or the Dagster run
    action VARCHAR(50) NOT NULL,                 -- CREATE, UPDATE, DELIVER
    table_name VARCHAR(50) NOT NULL,
    record_id VARCHAR(50) NOT NULL,
    old_values JSON NULL,
    new_values JSON NULL,
    timestamp TIMESTAMP NOT NULL DEFAULT NOW(),
    ip_address VARCHAR(45) NULL
);

-- The spec's recommended indexes.
CREATE INDEX IF NOT EXISTS idx_user_email ON "user"(email);
CREATE INDEX IF NOT EXISTS idx_user_active ON "user"(is_active) WHERE is_active = true;
CREATE INDEX IF NOT EXISTS idx_report_created_at ON report(created_at);
CREATE INDEX IF NOT EXISTS idx_delivered_to_user_id ON delivered_to(user_id);
CREATE INDEX IF NOT EXISTS idx_estoque_data ON estoque(data);
CREATE INDEX IF NOT EXISTS idx_estoque_cliente ON estoque(cod_cliente);
CREATE INDEX IF NOT EXISTS idx_faturamento_data ON faturamento(data);
CREATE INDEX IF NOT EXISTS idx_faturamento_cliente ON faturamento(cod_cliente);
CREATE INDEX IF NOT EXISTS idx_audit_log_table_record ON audit_log(table_name, record_id);
