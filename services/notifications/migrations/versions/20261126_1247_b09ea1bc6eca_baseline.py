"""baseline: creates this service's version table; its tables arrive with its features

Revision ID: b09ea1bc6eca
Revises: 
Create Date: 2026-11-26 12:47:52.415275
"""

from alembic import op
import sqlalchemy as sa


revision = 'b09ea1bc6eca'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    pass  # nothing yet


def downgrade():
    pass  # nothing yet
