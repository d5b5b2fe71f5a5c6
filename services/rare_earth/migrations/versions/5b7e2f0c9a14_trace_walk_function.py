"""the trace walk as a function on PostgreSQL

Revision ID: 5b7e2f0c9a14
Revises: 78e3709fa94d
Create Date: 2026-12-01 21:00:00.000000

The trace's statement (services/rare_earth/handlers/trace.py) as a PL/pgSQL function, so its plan
is made once per connection: a read-only unit of work ends in a rollback, which discards the
driver's prepared statements, and planning this statement cost more than running it. SQLite runs
the statement itself. A test checks that this body is the statement the code builds: a change to
the walk comes with a migration that replaces the function.
"""
from collections.abc import Sequence

from alembic import op


revision: str = '5b7e2f0c9a14'
down_revision: str | Sequence[str] | None = '78e3709fa94d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESULT = """
    tag text,
    id BIGINT,
    enterprise_id VARCHAR(32),
    kind VARCHAR(16),
    year INTEGER,
    month INTEGER,
    row_number INTEGER,
    import_id VARCHAR(32),
    entry_date DATE,
    counterparty_name VARCHAR(100),
    counterparty_uscc VARCHAR(18),
    product_category VARCHAR(30),
    product_name VARCHAR(50),
    quantity NUMERIC(16, 3),
    traceability_code VARCHAR(40),
    batch_no VARCHAR(50),
    input_batch_nos TEXT,
    output_batch_no VARCHAR(50),
    export_product_code VARCHAR(10),
    destination_country VARCHAR(50),
    opening NUMERIC(16, 3),
    inflow NUMERIC(16, 3),
    outflow NUMERIC(16, 3),
    closing NUMERIC(16, 3),
    enterprise_name VARCHAR(30),
    uscc VARCHAR(18),
    city_code VARCHAR(6),
    province_code VARCHAR(6)"""

BODY = """#variable_conflict use_column
BEGIN
RETURN QUERY
WITH RECURSIVE
  down(node, enterprise_id, key, distance) AS (
    SELECT CAST('C' AS VARCHAR), CAST('' AS VARCHAR), CAST(trace_code AS VARCHAR), 0
    UNION SELECT step.node, step.enterprise_id, step.key, n.distance + 1 FROM down n CROSS JOIN LATERAL (
      SELECT CAST('L' AS VARCHAR) AS node, CAST(x.enterprise_id AS VARCHAR) AS enterprise_id, CAST(x.batch_no AS VARCHAR) AS key FROM ledger_rows x WHERE n.node = 'C' AND x.kind = 'PURCHASE' AND x.traceability_code = n.key
      UNION ALL SELECT CAST('L' AS VARCHAR) AS node, CAST(x.enterprise_id AS VARCHAR) AS enterprise_id, CAST(x.output_batch_no AS VARCHAR) AS key FROM ledger_batch_links x WHERE n.node = 'L' AND x.enterprise_id = n.enterprise_id AND x.input_batch_no = n.key
      UNION ALL SELECT CAST('C' AS VARCHAR) AS node, CAST('' AS VARCHAR) AS enterprise_id, CAST(x.traceability_code AS VARCHAR) AS key FROM ledger_rows x WHERE n.node = 'L' AND x.kind = 'SALES' AND x.enterprise_id = n.enterprise_id AND x.batch_no = n.key) step WHERE n.distance < trace_hops),
  up(node, enterprise_id, key, distance) AS (
    SELECT CAST('C' AS VARCHAR), CAST('' AS VARCHAR), CAST(trace_code AS VARCHAR), 0
    UNION SELECT step.node, step.enterprise_id, step.key, n.distance + 1 FROM up n CROSS JOIN LATERAL (
      SELECT CAST('L' AS VARCHAR) AS node, CAST(x.enterprise_id AS VARCHAR) AS enterprise_id, CAST(x.batch_no AS VARCHAR) AS key FROM ledger_rows x WHERE n.node = 'C' AND x.kind = 'SALES' AND x.traceability_code = n.key
      UNION ALL SELECT CAST('L' AS VARCHAR) AS node, CAST(x.enterprise_id AS VARCHAR) AS enterprise_id, CAST(x.input_batch_no AS VARCHAR) AS key FROM ledger_batch_links x WHERE n.node = 'L' AND x.enterprise_id = n.enterprise_id AND x.output_batch_no = n.key
      UNION ALL SELECT CAST('C' AS VARCHAR) AS node, CAST('' AS VARCHAR) AS enterprise_id, CAST(x.traceability_code AS VARCHAR) AS key FROM ledger_rows x WHERE n.node = 'L' AND x.kind = 'PURCHASE' AND x.traceability_code <> '' AND x.enterprise_id = n.enterprise_id AND x.batch_no = n.key) step WHERE n.distance < trace_hops),
  found AS (
    SELECT found.* FROM (SELECT DISTINCT node, enterprise_id, key FROM down) n CROSS JOIN LATERAL (
      SELECT 'row', x.id, x.enterprise_id, x.kind, x.year, x.month, x.row_number, x.import_id, x.entry_date, x.counterparty_name, x.counterparty_uscc, x.product_category, x.product_name, x.quantity, x.traceability_code, x.batch_no, x.input_batch_nos, x.output_batch_no, x.export_product_code, x.destination_country, x.opening, x.inflow, x.outflow, x.closing, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_rows x WHERE n.node = 'C' AND x.kind IN ('PURCHASE', 'SALES') AND x.traceability_code = n.key
      UNION ALL SELECT 'row', x.id, x.enterprise_id, x.kind, x.year, x.month, x.row_number, x.import_id, x.entry_date, x.counterparty_name, x.counterparty_uscc, x.product_category, x.product_name, x.quantity, x.traceability_code, x.batch_no, x.input_batch_nos, x.output_batch_no, x.export_product_code, x.destination_country, x.opening, x.inflow, x.outflow, x.closing, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_rows x WHERE n.node = 'L' AND x.kind = 'SALES' AND x.enterprise_id = n.enterprise_id AND x.batch_no = n.key
      UNION ALL SELECT 'row', x.id, x.enterprise_id, x.kind, x.year, x.month, x.row_number, x.import_id, x.entry_date, x.counterparty_name, x.counterparty_uscc, x.product_category, x.product_name, x.quantity, x.traceability_code, x.batch_no, x.input_batch_nos, x.output_batch_no, x.export_product_code, x.destination_country, x.opening, x.inflow, x.outflow, x.closing, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_rows x WHERE n.node = 'L' AND x.kind = 'PRODUCTION' AND x.enterprise_id = n.enterprise_id AND x.output_batch_no = n.key
      UNION ALL SELECT 'link', NULL, x.enterprise_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, x.input_batch_no, NULL, x.output_batch_no, NULL, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_batch_links x WHERE n.node = 'L' AND x.enterprise_id = n.enterprise_id AND x.input_batch_no = n.key) found
    UNION ALL SELECT found.* FROM (SELECT DISTINCT node, enterprise_id, key FROM up) n CROSS JOIN LATERAL (
      SELECT 'row', x.id, x.enterprise_id, x.kind, x.year, x.month, x.row_number, x.import_id, x.entry_date, x.counterparty_name, x.counterparty_uscc, x.product_category, x.product_name, x.quantity, x.traceability_code, x.batch_no, x.input_batch_nos, x.output_batch_no, x.export_product_code, x.destination_country, x.opening, x.inflow, x.outflow, x.closing, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_rows x WHERE n.node = 'C' AND x.kind = 'SALES' AND x.traceability_code = n.key
      UNION ALL SELECT 'row', x.id, x.enterprise_id, x.kind, x.year, x.month, x.row_number, x.import_id, x.entry_date, x.counterparty_name, x.counterparty_uscc, x.product_category, x.product_name, x.quantity, x.traceability_code, x.batch_no, x.input_batch_nos, x.output_batch_no, x.export_product_code, x.destination_country, x.opening, x.inflow, x.outflow, x.closing, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_rows x WHERE n.node = 'L' AND x.kind = 'PRODUCTION' AND x.enterprise_id = n.enterprise_id AND x.output_batch_no = n.key
      UNION ALL SELECT 'row', x.id, x.enterprise_id, x.kind, x.year, x.month, x.row_number, x.import_id, x.entry_date, x.counterparty_name, x.counterparty_uscc, x.product_category, x.product_name, x.quantity, x.traceability_code, x.batch_no, x.input_batch_nos, x.output_batch_no, x.export_product_code, x.destination_country, x.opening, x.inflow, x.outflow, x.closing, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_rows x WHERE n.node = 'L' AND x.kind = 'PURCHASE' AND x.enterprise_id = n.enterprise_id AND x.batch_no = n.key
      UNION ALL SELECT 'link', NULL, x.enterprise_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, x.input_batch_no, NULL, x.output_batch_no, NULL, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM ledger_batch_links x WHERE n.node = 'L' AND x.enterprise_id = n.enterprise_id AND x.output_batch_no = n.key) found)
SELECT * FROM found
UNION ALL SELECT 'enterprise', NULL, e.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, e.enterprise_name, e.uscc, e.city_code, e.province_code FROM enterprises e WHERE e.id = ANY(ARRAY(SELECT enterprise_id FROM found));
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE OR REPLACE FUNCTION rare_earth_trace(trace_code varchar, trace_hops integer) "
               f"RETURNS TABLE ({RESULT}) LANGUAGE plpgsql STABLE AS $trace$\n{BODY}$trace$")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS rare_earth_trace(varchar, integer)")
