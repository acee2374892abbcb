"""isolations and gas readings

Revision ID: e7f8a9b0c1d2
Revises: b4e2d3c5f6a7
Create Date: 2026-12-01 16:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'e7f8a9b0c1d2'
down_revision = 'b4e2d3c5f6a7'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ENERGY = "energy_type IN ('ELECTRICAL','MECHANICAL','HYDRAULIC','PNEUMATIC','CHEMICAL','THERMAL','GRAVITY','STORED')"


def upgrade():
    op.add_column('permits', sa.Column('suspended_at', TS, nullable=True))
    op.create_table(
        'isolation_points',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('tag', sa.String(length=60), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('equipment', sa.String(length=200), nullable=False),
        sa.Column('energy_type', sa.String(length=12), nullable=False),
        sa.Column('method', sa.Text(), nullable=False),
        sa.Column('verification', sa.Text(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.CheckConstraint(ENERGY, name=op.f('ck_isolation_points_energy_type')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_isolation_points')),
        sa.UniqueConstraint('project_id', 'tag', name='uq_isolation_points_project_tag'),
    )
    op.create_index(op.f('ix_isolation_points_project_id'), 'isolation_points', ['project_id'])
    op.create_table(
        'isolation_certificates',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('prepared_by', sa.Uuid(), nullable=False),
        sa.Column('prepared_at', TS, nullable=False),
        sa.Column('approved_by', sa.Uuid(), nullable=True),
        sa.Column('approved_at', TS, nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('PENDING_APPROVAL','APPROVED')", name=op.f('ck_isolation_certificates_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_isolation_certificates')),
    )
    op.create_index(op.f('ix_isolation_certificates_project_id'), 'isolation_certificates', ['project_id'])
    op.create_table(
        'certificate_permits',
        sa.Column('certificate_id', sa.Uuid(), nullable=False),
        sa.Column('permit_id', sa.Uuid(), nullable=False),
        sa.Column('linked_by', sa.Uuid(), nullable=False),
        sa.Column('linked_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['certificate_id'], ['isolation_certificates.id'],
                                name=op.f('fk_certificate_permits_certificate_id_isolation_certificates')),
        sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_certificate_permits_permit_id_permits')),
        sa.PrimaryKeyConstraint('certificate_id', 'permit_id', name=op.f('pk_certificate_permits')),
    )
    op.create_index(op.f('ix_certificate_permits_permit_id'), 'certificate_permits', ['permit_id'])
    op.create_table(
        'certificate_points',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('certificate_id', sa.Uuid(), nullable=False),
        sa.Column('point_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('isolated_by', sa.Uuid(), nullable=True),
        sa.Column('isolated_at', TS, nullable=True),
        sa.Column('lock_number', sa.String(length=60), nullable=True),
        sa.Column('tag_number', sa.String(length=60), nullable=True),
        sa.Column('verified_by', sa.Uuid(), nullable=True),
        sa.Column('verified_at', TS, nullable=True),
        sa.Column('verification_note', sa.Text(), nullable=True),
        sa.Column('removed_by', sa.Uuid(), nullable=True),
        sa.Column('removed_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['certificate_id'], ['isolation_certificates.id'],
                                name=op.f('fk_certificate_points_certificate_id_isolation_certificates')),
        sa.ForeignKeyConstraint(['point_id'], ['isolation_points.id'],
                                name=op.f('fk_certificate_points_point_id_isolation_points')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_points')),
        sa.UniqueConstraint('certificate_id', 'point_id', name='uq_certificate_points_point'),
    )
    op.create_index(op.f('ix_certificate_points_certificate_id'), 'certificate_points', ['certificate_id'])
    op.create_index(op.f('ix_certificate_points_point_id'), 'certificate_points', ['point_id'])
    op.create_table(
        'personal_locks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('certificate_point_id', sa.Uuid(), nullable=False),
        sa.Column('worker_name', sa.String(length=200), nullable=False),
        sa.Column('lock_number', sa.String(length=60), nullable=False),
        sa.Column('applied_by', sa.Uuid(), nullable=False),
        sa.Column('applied_at', TS, nullable=False),
        sa.Column('removed_by', sa.Uuid(), nullable=True),
        sa.Column('removed_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['certificate_point_id'], ['certificate_points.id'],
                                name=op.f('fk_personal_locks_certificate_point_id_certificate_points')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_locks')),
    )
    op.create_index(op.f('ix_personal_locks_certificate_point_id'), 'personal_locks', ['certificate_point_id'])
    op.create_table(
        'gas_readings',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('permit_id', sa.Uuid(), nullable=False),
        sa.Column('work_date', sa.Date(), nullable=False),
        sa.Column('taken_at', TS, nullable=False),
        sa.Column('tester_id', sa.Uuid(), nullable=False),
        sa.Column('instrument_id', sa.String(length=60), nullable=False),
        sa.Column('calibration_due', sa.Date(), nullable=False),
        sa.Column('location', sa.String(length=200), nullable=True),
        sa.Column('values', sa.dialects.postgresql.JSONB(), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_gas_readings_permit_id_permits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gas_readings')),
    )
    op.create_index('ix_gas_readings_permit_taken', 'gas_readings', ['permit_id', 'taken_at'])
    # Readings are append-only: the database itself refuses to change or delete one.
    op.execute("""
        CREATE FUNCTION gas_readings_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'gas readings are append-only'; END; $$ LANGUAGE plpgsql;
        CREATE TRIGGER gas_readings_append_only BEFORE UPDATE OR DELETE ON gas_readings
        FOR EACH ROW EXECUTE FUNCTION gas_readings_append_only();
    """)


def downgrade():
    op.execute("DROP TRIGGER gas_readings_append_only ON gas_readings; DROP FUNCTION gas_readings_append_only();")
    op.drop_table('gas_readings')
    op.drop_table('personal_locks')
    op.drop_table('certificate_points')
    op.drop_table('certificate_permits')
    op.drop_table('isolation_certificates')
    op.drop_table('isolation_points')
    op.drop_column('permits', 'suspended_at')
