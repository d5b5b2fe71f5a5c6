"""catalogue, bureaus, applications, products, attachments, certificates, modifications, write-offs, use records

Revision ID: 1dd4d3f7d20f
Revises: 5d9ee273c92a
Create Date: 2026-12-01 20:00:33.566508
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.chassis.documents.migrations import create_attachment_tables, drop_attachment_tables


revision: str = '1dd4d3f7d20f'
down_revision: str | Sequence[str] | None = '5d9ee273c92a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_attachment_tables(op)
    op.create_table('applications',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('applicant_name', sa.String(length=100), nullable=False),
    sa.Column('applicant_uscc', sa.String(length=18), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('exemption_clause', sa.String(length=32), nullable=False),
    sa.Column('trade_mode', sa.String(length=32), nullable=False),
    sa.Column('contract_number', sa.String(length=50), nullable=False),
    sa.Column('invoice_number', sa.String(length=50), nullable=False),
    sa.Column('bill_of_lading_number', sa.String(length=50), nullable=False),
    sa.Column('final_use_code', sa.String(length=6), nullable=False),
    sa.Column('final_use_address', sa.String(length=100), nullable=False),
    sa.Column('contact_name', sa.String(length=30), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('contact_email', sa.String(length=100), nullable=False),
    sa.Column('bureau_code', sa.String(length=12), nullable=True),
    sa.Column('post', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('paper_notice', sa.Text(), nullable=False),
    sa.Column('entered_by_bureau', sa.String(length=12), nullable=True),
    sa.Column('certificate_id', sa.String(length=32), nullable=True),
    sa.Column('certificate_number', sa.String(length=30), nullable=False),
    sa.Column('terminated_by', sa.String(length=60), nullable=False),
    sa.Column('terminated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_bureau_status', ['bureau_code', 'status', 'post'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_certificate_number'), ['certificate_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)

    op.create_table('bureaus',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('contact_name', sa.String(length=30), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('hs_codes',
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('standard_unit', sa.String(length=8), nullable=False),
    sa.Column('characteristics', sa.Text(), nullable=False),
    sa.Column('quantity_units', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('application_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=False),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_steps_application_id'), ['application_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('bureau_code', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('current_version_id', sa.String(length=32), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('write_off_begun', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_bureau_code'), ['bureau_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_organization_id'), ['organization_id'], unique=False)

    op.create_table('delegations',
    sa.Column('division_prefix', sa.String(length=6), nullable=False),
    sa.Column('bureau_code', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['bureau_code'], ['bureaus.code'], ),
    sa.PrimaryKeyConstraint('division_prefix')
    )
    op.create_table('ports',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('district_code', sa.String(length=8), nullable=False),
    sa.Column('district_name', sa.String(length=60), nullable=False),
    sa.Column('bureau_code', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['bureau_code'], ['bureaus.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ports_district_code'), ['district_code'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('hs_name', sa.String(length=200), nullable=False),
    sa.Column('characteristics', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('manufacturer', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('quantity_unit', sa.String(length=8), nullable=False),
    sa.Column('standard_quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('standard_unit', sa.String(length=8), nullable=False),
    sa.Column('final_use_code', sa.String(length=6), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_application_id'), ['application_id'], unique=False)

    op.create_table('certificate_products',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('product_id', sa.String(length=32), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('hs_name', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('manufacturer', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('quantity_unit', sa.String(length=8), nullable=False),
    sa.Column('standard_quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('standard_unit', sa.String(length=8), nullable=False),
    sa.Column('final_use_code', sa.String(length=6), nullable=False),
    sa.Column('written_off_quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('written_off_standard_quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('certificate_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_products_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('certificate_versions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('check_code', sa.String(length=16), nullable=False),
    sa.Column('pdf_attachment_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('certificate_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_versions_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('modifications',
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('products', sa.Text(), nullable=False),
    sa.Column('send_back_reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.PrimaryKeyConstraint('certificate_id')
    )
    op.create_table('pre_write_offs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('port_code', sa.String(length=8), nullable=False),
    sa.Column('bureau_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.ForeignKeyConstraint(['port_code'], ['ports.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pre_write_offs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pre_write_offs_bureau_code'), ['bureau_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_pre_write_offs_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pre_write_offs_status'), ['status'], unique=False)

    op.create_table('write_offs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('pre_write_off_id', sa.String(length=32), nullable=True),
    sa.Column('port_code', sa.String(length=8), nullable=False),
    sa.Column('agency', sa.String(length=40), nullable=False),
    sa.Column('officer', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('write_offs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_write_offs_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('pre_write_off_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('pre_write_off_id', sa.String(length=32), nullable=False),
    sa.Column('certificate_product_id', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('standard_quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('confirmed_quantity', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('confirmed_standard_quantity', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['certificate_product_id'], ['certificate_products.id'], ),
    sa.ForeignKeyConstraint(['pre_write_off_id'], ['pre_write_offs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pre_write_off_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pre_write_off_items_pre_write_off_id'), ['pre_write_off_id'], unique=False)

    op.create_table('use_records',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('bureau_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('certificate_product_id', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('user_unit_name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=30), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('review_opinion', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.ForeignKeyConstraint(['certificate_product_id'], ['certificate_products.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('use_records', schema=None) as batch_op:
        batch_op.create_index('ix_use_records_bureau_status', ['bureau_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_use_records_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_use_records_certificate_product_id'), ['certificate_product_id'], unique=False)

    op.create_table('write_off_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('write_off_id', sa.String(length=32), nullable=False),
    sa.Column('certificate_product_id', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('standard_quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['certificate_product_id'], ['certificate_products.id'], ),
    sa.ForeignKeyConstraint(['write_off_id'], ['write_offs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('write_off_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_write_off_items_write_off_id'), ['write_off_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('write_off_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_write_off_items_write_off_id'))

    op.drop_table('write_off_items')
    with op.batch_alter_table('use_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_use_records_certificate_product_id'))
        batch_op.drop_index(batch_op.f('ix_use_records_certificate_id'))
        batch_op.drop_index('ix_use_records_bureau_status')

    op.drop_table('use_records')
    with op.batch_alter_table('pre_write_off_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pre_write_off_items_pre_write_off_id'))

    op.drop_table('pre_write_off_items')
    with op.batch_alter_table('write_offs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_write_offs_certificate_id'))

    op.drop_table('write_offs')
    with op.batch_alter_table('pre_write_offs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pre_write_offs_status'))
        batch_op.drop_index(batch_op.f('ix_pre_write_offs_certificate_id'))
        batch_op.drop_index(batch_op.f('ix_pre_write_offs_bureau_code'))

    op.drop_table('pre_write_offs')
    op.drop_table('modifications')
    with op.batch_alter_table('certificate_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_versions_certificate_id'))

    op.drop_table('certificate_versions')
    with op.batch_alter_table('certificate_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_products_certificate_id'))

    op.drop_table('certificate_products')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_application_id'))

    op.drop_table('products')
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ports_district_code'))

    op.drop_table('ports')
    op.drop_table('delegations')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_organization_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_bureau_code'))

    op.drop_table('certificates')
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_steps_application_id'))

    op.drop_table('application_steps')
    op.drop_table('hs_codes')
    op.drop_table('counters')
    op.drop_table('bureaus')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index(batch_op.f('ix_applications_organization_id'))
        batch_op.drop_index(batch_op.f('ix_applications_created_at'))
        batch_op.drop_index(batch_op.f('ix_applications_certificate_number'))
        batch_op.drop_index('ix_applications_bureau_status')

    op.drop_table('applications')
    drop_attachment_tables(op)
