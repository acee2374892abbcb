"""project first-day grace

Revision ID: a3f1c2d4e5b6
Revises: e0380a159555
Create Date: 2026-12-01 10:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'a3f1c2d4e5b6'
down_revision = 'e0380a159555'
branch_labels = None
depends_on = None


def upgrade():
    # A constant server default: PostgreSQL adds the column without rewriting the table.
    op.add_column('projects', sa.Column('first_day_grace_minutes', sa.Integer(), server_default='60', nullable=False))
    op.create_check_constraint(op.f('ck_projects_first_day_grace'), 'projects',
                               'first_day_grace_minutes BETWEEN 0 AND 480')


def downgrade():
    op.drop_constraint(op.f('ck_projects_first_day_grace'), 'projects', type_='check')
    op.drop_column('projects', 'first_day_grace_minutes')
