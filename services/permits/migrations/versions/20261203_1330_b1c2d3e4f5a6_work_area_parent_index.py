"""work areas: an index on parent_id

A permit's page and the lifecycle's SIMOPS check walk an area's nesting in PostgreSQL (the areas inside
it, level by level); each level finds the children of the last by parent_id.

Revision ID: b1c2d3e4f5a6
Revises: acf69f2dbb2b
Create Date: 2026-12-03 13:30:00
"""

from alembic import op

revision = 'b1c2d3e4f5a6'
down_revision = 'acf69f2dbb2b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_work_areas_parent_id'), 'work_areas', ['parent_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_work_areas_parent_id'), table_name='work_areas')
