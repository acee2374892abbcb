"""permit first-day grace

Revision ID: b4e2d3c5f6a7
Revises: 054ea5b024f5
Create Date: 2026-12-01 10:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'b4e2d3c5f6a7'
down_revision = '054ea5b024f5'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('permits', sa.Column('first_day_grace_minutes', sa.Integer(), server_default='60', nullable=False))


def downgrade():
    op.drop_column('permits', 'first_day_grace_minutes')
