"""work areas, site plans, simops

Revision ID: f8a9b0c1d2e3
Revises: e7f8a9b0c1d2
Create Date: 2026-12-01 17:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'f8a9b0c1d2e3'
down_revision = 'e7f8a9b0c1d2'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'work_areas',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('parent_id', sa.Uuid(), nullable=True),
        sa.Column('shape', postgresql.JSONB(), nullable=True),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['work_areas.id'], name=op.f('fk_work_areas_parent_id_work_areas')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_work_areas')),
        sa.UniqueConstraint('project_id', 'code', name='uq_work_areas_project_code'),
    )
    op.create_index(op.f('ix_work_areas_project_id'), 'work_areas', ['project_id'])
    op.add_column('permits', sa.Column('work_area_id', sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f('fk_permits_work_area_id_work_areas'), 'permits', 'work_areas', ['work_area_id'], ['id'])
    op.create_index(op.f('ix_permits_work_area_id'), 'permits', ['work_area_id'])
    op.create_table(
        'site_plans',
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('storage_key', sa.String(length=400), nullable=False),
        sa.Column('content_type', sa.String(length=50), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('uploaded_by', sa.Uuid(), nullable=False),
        sa.Column('uploaded_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('project_id', name=op.f('pk_site_plans')),
    )
    op.create_table(
        'simops_rules',
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('type_a', sa.String(length=4), nullable=False),
        sa.Column('type_b', sa.String(length=4), nullable=False),
        sa.Column('verdict', sa.String(length=5), nullable=False),
        sa.Column('updated_by', sa.Uuid(), nullable=True),
        sa.Column('updated_at', TS, nullable=False),
        sa.CheckConstraint("verdict IN ('BLOCK','WARN','ALLOW')", name=op.f('ck_simops_rules_verdict')),
        sa.CheckConstraint('type_a <= type_b', name=op.f('ck_simops_rules_pair_order')),
        sa.PrimaryKeyConstraint('project_id', 'type_a', 'type_b', name=op.f('pk_simops_rules')),
    )
    op.create_table(
        'simops_acknowledgements',
        sa.Column('permit_a', sa.Uuid(), nullable=False),
        sa.Column('permit_b', sa.Uuid(), nullable=False),
        sa.Column('acknowledged_by', sa.Uuid(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('acknowledged_at', TS, nullable=False),
        sa.CheckConstraint('permit_a < permit_b', name=op.f('ck_simops_acknowledgements_pair_order')),
        sa.ForeignKeyConstraint(['permit_a'], ['permits.id'], name=op.f('fk_simops_acknowledgements_permit_a_permits')),
        sa.ForeignKeyConstraint(['permit_b'], ['permits.id'], name=op.f('fk_simops_acknowledgements_permit_b_permits')),
        sa.PrimaryKeyConstraint('permit_a', 'permit_b', name=op.f('pk_simops_acknowledgements')),
    )
    op.create_index(op.f('ix_simops_acknowledgements_permit_b'), 'simops_acknowledgements', ['permit_b'])


def downgrade():
    op.drop_table('simops_acknowledgements')
    op.drop_table('simops_rules')
    op.drop_table('site_plans')
    op.drop_index(op.f('ix_permits_work_area_id'), table_name='permits')
    op.drop_constraint(op.f('fk_permits_work_area_id_work_areas'), 'permits', type_='foreignkey')
    op.drop_column('permits', 'work_area_id')
    op.drop_table('work_areas')
