"""Two databases: the application's (engine1) and an audit log (engine2)."""

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

app_metadata = MetaData()
audit_metadata = MetaData()

users = Table(
    "users",
    app_metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
)

audit_log = Table(
    "audit_log",
    audit_metadata,
    Column("id", Integer, primary_key=True),
    Column("happened_at", DateTime, nullable=False),
    Column("entry", Text),
)
