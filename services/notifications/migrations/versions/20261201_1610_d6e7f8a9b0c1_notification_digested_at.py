"""notification digested at

Revision ID: d6e7f8a9b0c1
Revises: c5d6e7f8a9b0
Create Date: 2026-12-01 16:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'd6e7f8a9b0c1'
down_revision = 'c5d6e7f8a9b0'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('notifications', sa.Column('digested_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_notifications_undigested', 'notifications', ['created_at'], unique=False,
                    postgresql_where=sa.text("type = 'DAILY_REMINDER' AND digested_at IS NULL"))


def downgrade():
    op.drop_index('ix_notifications_undigested', table_name='notifications',
                  postgresql_where=sa.text("type = 'DAILY_REMINDER' AND digested_at IS NULL"))
    op.drop_column('notifications', 'digested_at')
