"""baseline: creates this service's version table; its tables arrive with its features

Revision ID: 828969784e9f
Revises: 
Create Date: 2026-11-26 12:47:46.618455
"""

from alembic import op
import sqlalchemy as sa


revision = '828969784e9f'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    pass  # nothing yet


def downgrade():
    pass  # nothing yet
