"""email next attempt

Revision ID: c5d6e7f8a9b0
Revises: 17760f6b4717
Create Date: 2026-12-01 11:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'c5d6e7f8a9b0'
down_revision = '17760f6b4717'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('email_deliveries', sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_email_deliveries_pending', 'email_deliveries', ['created_at'], unique=False,
                    postgresql_where=sa.text("status = 'PENDING'"))


def downgrade():
    op.drop_index('ix_email_deliveries_pending', table_name='email_deliveries',
                  postgresql_where=sa.text("status = 'PENDING'"))
    op.drop_column('email_deliveries', 'next_attempt_at')
