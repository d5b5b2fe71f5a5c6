"""reference data, filings, branch migrations, pre-reviews, certificates, verifications, parties, questionnaires

Revision ID: f81c37f9c738
Revises: f6613d3ec5a9
Create Date: 2026-12-01 20:00:37.989754
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.chassis.documents.migrations import create_attachment_tables, drop_attachment_tables


revision: str = 'f81c37f9c738'
down_revision: str | Sequence[str] | None = 'f6613d3ec5a9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_attachment_tables(op)
    op.create_table('agreements',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('preferential', sa.Boolean(), nullable=False),
    sa.Column('number_prefix', sa.String(length=4), nullable=False),
    sa.Column('criteria', sa.String(length=32), nullable=False),
    sa.Column('rvc_threshold', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('value_basis', sa.String(length=3), nullable=False),
    sa.Column('ctc_digits', sa.Integer(), nullable=False),
    sa.Column('hs_digits', sa.Integer(), nullable=False),
    sa.Column('needs_ecfa_code', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code'),
    sa.UniqueConstraint('number_prefix')
    )
    op.create_table('branch_migrations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('organization_name', sa.String(length=200), nullable=False),
    sa.Column('from_branch', sa.String(length=32), nullable=False),
    sa.Column('to_branch', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('decided_by_name', sa.String(length=100), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_branch_migrations_organization_id'), 'branch_migrations', ['organization_id'], unique=False)
    op.create_index('ix_branch_migrations_target', 'branch_migrations', ['to_branch', 'status'], unique=False)
    op.create_table('branches',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('serial_code', sa.String(length=4), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code'),
    sa.UniqueConstraint('serial_code')
    )
    op.create_table('certificates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=False),
    sa.Column('certificate_type', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('print_status', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('print_number', sa.String(length=32), nullable=False),
    sa.Column('check_code', sa.String(length=16), nullable=False),
    sa.Column('destination_country', sa.String(length=2), nullable=False),
    sa.Column('invoice_number', sa.String(length=50), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=True),
    sa.Column('exporter_name', sa.String(length=200), nullable=False),
    sa.Column('exporter_address', sa.String(length=300), nullable=False),
    sa.Column('intermediary_name', sa.String(length=200), nullable=False),
    sa.Column('intermediary_address', sa.String(length=300), nullable=False),
    sa.Column('intermediary_shown', sa.Boolean(), nullable=False),
    sa.Column('importer_name', sa.String(length=200), nullable=False),
    sa.Column('importer_address', sa.String(length=300), nullable=False),
    sa.Column('importer_country', sa.String(length=2), nullable=False),
    sa.Column('producer_name', sa.String(length=200), nullable=False),
    sa.Column('producer_address', sa.String(length=300), nullable=False),
    sa.Column('departure_date', sa.Date(), nullable=True),
    sa.Column('transport_means', sa.String(length=16), nullable=False),
    sa.Column('vessel', sa.String(length=100), nullable=False),
    sa.Column('port_of_loading', sa.String(length=100), nullable=False),
    sa.Column('port_of_discharge', sa.String(length=100), nullable=False),
    sa.Column('remarks', sa.Text(), nullable=False),
    sa.Column('declaration_place', sa.String(length=100), nullable=False),
    sa.Column('third_party_invoicing', sa.Boolean(), nullable=False),
    sa.Column('back_to_back', sa.Boolean(), nullable=False),
    sa.Column('issued_retroactively', sa.Boolean(), nullable=False),
    sa.Column('exhibition', sa.Boolean(), nullable=False),
    sa.Column('amends_id', sa.String(length=32), nullable=True),
    sa.Column('amend_reason', sa.Text(), nullable=False),
    sa.Column('amended_by_id', sa.String(length=32), nullable=True),
    sa.Column('copied_from_id', sa.String(length=32), nullable=True),
    sa.Column('visa_officer_id', sa.String(length=64), nullable=False),
    sa.Column('visa_officer_name', sa.String(length=100), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=False),
    sa.Column('void_reason', sa.Text(), nullable=False),
    sa.Column('pdf_attachment_id', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('copy_printed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_certificates_amends_id'), 'certificates', ['amends_id'], unique=False)
    op.create_index('ix_certificates_branch_status', 'certificates', ['branch', 'status'], unique=False)
    op.create_index(op.f('ix_certificates_importer_name'), 'certificates', ['importer_name'], unique=False)
    op.create_index(op.f('ix_certificates_invoice_number'), 'certificates', ['invoice_number'], unique=False)
    op.create_index('ix_certificates_org_status', 'certificates', ['organization_id', 'status'], unique=False)
    op.create_index(op.f('ix_certificates_visa_officer_id'), 'certificates', ['visa_officer_id'], unique=False)
    op.create_table('countries',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('enterprises',
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('address_en', sa.String(length=300), nullable=False),
    sa.Column('enterprise_type', sa.String(length=16), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('organization_id')
    )
    op.create_index(op.f('ix_enterprises_branch'), 'enterprises', ['branch'], unique=False)
    op.create_table('hs_items',
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('description_en', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('number_counters',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('parties',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_parties_org_kind', 'parties', ['organization_id', 'kind'], unique=False)
    op.create_table('pre_reviews',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.String(length=32), nullable=True),
    sa.Column('product_name', sa.String(length=200), nullable=False),
    sa.Column('product_name_en', sa.String(length=200), nullable=False),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('ecfa', sa.Boolean(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('exw_price', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('fob_price', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('wholly_obtained', sa.Boolean(), nullable=False),
    sa.Column('non_originating_value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('fob_value_content', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('exw_value_content', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('tariff_version', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=False),
    sa.Column('void_source', sa.String(length=16), nullable=False),
    sa.Column('void_reason', sa.Text(), nullable=False),
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('reviewer_name', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number', 'version', name='uq_pre_reviews_number_version')
    )
    op.create_index('ix_pre_reviews_hs', 'pre_reviews', ['hs_code'], unique=False)
    op.create_index('ix_pre_reviews_org_status', 'pre_reviews', ['organization_id', 'status'], unique=False)
    op.create_table('questionnaires',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_questionnaires_branch'), 'questionnaires', ['branch'], unique=False)
    op.create_table('record_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=False),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_record_steps_record', 'record_steps', ['record_type', 'record_id', 'id'], unique=False)
    op.create_table('tariff_rates',
    sa.Column('importing_country', sa.String(length=2), nullable=False),
    sa.Column('agreement', sa.String(length=32), nullable=False),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('rate', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('rate_text', sa.String(length=50), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('importing_country', 'agreement', 'hs_code')
    )
    op.create_table('tariff_versions',
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('affected_products', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('agreement_members',
    sa.Column('agreement_code', sa.String(length=32), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['agreement_code'], ['agreements.code'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agreement_code', 'country_code')
    )
    op.create_index(op.f('ix_agreement_members_country_code'), 'agreement_members', ['country_code'], unique=False)
    op.create_table('certificate_goods',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('pre_review_id', sa.String(length=32), nullable=False),
    sa.Column('origin_criterion', sa.String(length=8), nullable=False),
    sa.Column('value_content', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('marks', sa.Text(), nullable=False),
    sa.Column('marks_image_id', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('package_quantity', sa.Integer(), nullable=True),
    sa.Column('package_unit', sa.String(length=20), nullable=False),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('quantity_unit', sa.String(length=20), nullable=False),
    sa.Column('gross_weight', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('fob_value', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_certificate_goods_certificate_id'), 'certificate_goods', ['certificate_id'], unique=False)
    op.create_table('hs_correlations',
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('old_code', sa.String(length=10), nullable=False),
    sa.Column('new_code', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['tariff_versions.version'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version', 'old_code', 'new_code')
    )
    op.create_table('lost_reissues',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('decided_by_name', sa.String(length=100), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_lost_reissues_certificate_id'), 'lost_reissues', ['certificate_id'], unique=False)
    op.create_table('pre_review_materials',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('pre_review_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('origin_country', sa.String(length=2), nullable=False),
    sa.Column('originating', sa.Boolean(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('usage_ratio', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.ForeignKeyConstraint(['pre_review_id'], ['pre_reviews.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_pre_review_materials_pre_review_id'), 'pre_review_materials', ['pre_review_id'], unique=False)
    op.create_table('pre_review_reminders',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('pre_review_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tariff_version', sa.String(length=16), nullable=False),
    sa.Column('old_hs_code', sa.String(length=10), nullable=False),
    sa.Column('new_hs_codes', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('follow_up_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pre_review_id'], ['pre_reviews.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pre_review_id', 'kind', 'tariff_version', name='uq_reminders_once')
    )
    op.create_index('ix_reminders_org_status', 'pre_review_reminders', ['organization_id', 'status'], unique=False)
    op.create_table('questionnaire_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.String(length=64), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('questionnaire_id', 'organization_id', name='uq_answers_once')
    )
    op.create_index(op.f('ix_questionnaire_answers_questionnaire_id'), 'questionnaire_answers', ['questionnaire_id'], unique=False)
    op.create_table('verifications',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('certificate_number', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=False),
    sa.Column('requester', sa.String(length=200), nullable=False),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('response_note', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_verifications_branch'), 'verifications', ['branch'], unique=False)
    op.create_index(op.f('ix_verifications_certificate_id'), 'verifications', ['certificate_id'], unique=False)
    op.create_index('ix_verifications_org_status', 'verifications', ['organization_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_verifications_org_status', table_name='verifications')
    op.drop_index(op.f('ix_verifications_certificate_id'), table_name='verifications')
    op.drop_index(op.f('ix_verifications_branch'), table_name='verifications')
    op.drop_table('verifications')
    op.drop_index(op.f('ix_questionnaire_answers_questionnaire_id'), table_name='questionnaire_answers')
    op.drop_table('questionnaire_answers')
    op.drop_index('ix_reminders_org_status', table_name='pre_review_reminders')
    op.drop_table('pre_review_reminders')
    op.drop_index(op.f('ix_pre_review_materials_pre_review_id'), table_name='pre_review_materials')
    op.drop_table('pre_review_materials')
    op.drop_index(op.f('ix_lost_reissues_certificate_id'), table_name='lost_reissues')
    op.drop_table('lost_reissues')
    op.drop_table('hs_correlations')
    op.drop_index(op.f('ix_certificate_goods_certificate_id'), table_name='certificate_goods')
    op.drop_table('certificate_goods')
    op.drop_index(op.f('ix_agreement_members_country_code'), table_name='agreement_members')
    op.drop_table('agreement_members')
    op.drop_table('tariff_versions')
    op.drop_table('tariff_rates')
    op.drop_index('ix_record_steps_record', table_name='record_steps')
    op.drop_table('record_steps')
    op.drop_index(op.f('ix_questionnaires_branch'), table_name='questionnaires')
    op.drop_table('questionnaires')
    op.drop_index('ix_pre_reviews_org_status', table_name='pre_reviews')
    op.drop_index('ix_pre_reviews_hs', table_name='pre_reviews')
    op.drop_table('pre_reviews')
    op.drop_index('ix_parties_org_kind', table_name='parties')
    op.drop_table('parties')
    op.drop_table('number_counters')
    op.drop_table('hs_items')
    op.drop_index(op.f('ix_enterprises_branch'), table_name='enterprises')
    op.drop_table('enterprises')
    op.drop_table('countries')
    op.drop_index(op.f('ix_certificates_visa_officer_id'), table_name='certificates')
    op.drop_index('ix_certificates_org_status', table_name='certificates')
    op.drop_index(op.f('ix_certificates_invoice_number'), table_name='certificates')
    op.drop_index(op.f('ix_certificates_importer_name'), table_name='certificates')
    op.drop_index('ix_certificates_branch_status', table_name='certificates')
    op.drop_index(op.f('ix_certificates_amends_id'), table_name='certificates')
    op.drop_table('certificates')
    op.drop_table('branches')
    op.drop_index('ix_branch_migrations_target', table_name='branch_migrations')
    op.drop_index(op.f('ix_branch_migrations_organization_id'), table_name='branch_migrations')
    op.drop_table('branch_migrations')
    op.drop_table('agreements')
    drop_attachment_tables(op)
