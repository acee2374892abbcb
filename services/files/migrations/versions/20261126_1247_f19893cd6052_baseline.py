"""baseline: creates this service's version table; its tables arrive with its features

Revision ID: f19893cd6052
Revises: 
Create Date: 2026-11-26 12:47:49.412386
"""

from alembic import op
import sqlalchemy as sa


revision = 'f19893cd6052'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    pass  # nothing yet


def downgrade():
    pass  # nothing yet
