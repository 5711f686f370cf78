"""SQLite: a change log written by triggers (``change_log``), which the change feed reads past
the last entry it saw when ``PRAGMA data_version`` moves (softphone/crm/changes.py). Before,
the feed re-read whole tables at every commit (~0.75 s of CPU on a million contacts).

Every insert, update and delete in the CRM tables, whoever makes it (the Store, the light
reader, the command line, another program), records (table, op, row id, agent). A run of
changes of one table with the same op and agent to the same or the next row id (an import's
batch, a copy) extends the last entry instead of adding one, and the log keeps its last
``KEEP`` entries (a reader that falls further behind reloads everything). PostgreSQL keeps
its LISTEN/NOTIFY triggers (installed by the feed): nothing to do there.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEEP = 1000
#: table -> (reported as, row id column, agent column); a phone is reported as its contact
TRACKED = {
    "companies": ("companies", "id", None),
    "contacts": ("contacts", "id", None),
    "phones": ("contacts", "contact_id", None),
    "calls": ("calls", "id", "agent"),
    "wrapups": ("wrapups", "call_id", "author"),
    "tasks": ("tasks", "id", None),
    "ignored_numbers": ("ignored_numbers", "id", None),
    "missed_inbox": ("missed_inbox", "id", None),
    "deals": ("deals", "id", None),
    "messages": ("messages", "id", "agent"),
    # what a sync conflict replaced, shown on the contact's card
    "contact_history": ("contact_history", "id", None),
}
OPS = {"INSERT": ("ins", "NEW"), "UPDATE": ("upd", "NEW"), "DELETE": ("del", "OLD")}

CREATE_LOG = [
    # n: how many row changes the entry holds (a reader tells a repeat from nothing new)
    "CREATE TABLE change_log ("
    "id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, "
    "first_id INTEGER, last_id INTEGER, agent TEXT, n INTEGER NOT NULL DEFAULT 1)",
    # the log is never empty: a reader starts after its last entry
    "INSERT INTO change_log (tbl, op) VALUES ('*', 'START')",
    "CREATE TRIGGER change_log_keep AFTER INSERT ON change_log BEGIN "
    f"DELETE FROM change_log WHERE id <= NEW.id - {KEEP}; END",
]


def trigger_sql(table: str, operation: str) -> str:
    reported, id_column, agent_column = TRACKED[table]
    suffix, ref = OPS[operation]
    reported_op = "UPDATE" if table == "phones" else operation
    rid = f"{ref}.{id_column}"
    agent = f"{ref}.{agent_column}" if agent_column else "NULL"
    return (
        f"CREATE TRIGGER change_log_{table}_{suffix} AFTER {operation} ON {table} BEGIN "
        f"UPDATE change_log SET last_id = {rid}, n = n + 1 "
        f"WHERE id = (SELECT max(id) FROM change_log) AND tbl = '{reported}' "
        f"AND op = '{reported_op}' AND agent IS {agent} "
        f"AND {rid} BETWEEN last_id AND last_id + 1; "
        f"INSERT INTO change_log (tbl, op, first_id, last_id, agent) "
        f"SELECT '{reported}', '{reported_op}', {rid}, {rid}, {agent} WHERE changes() = 0; "
        f"END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in CREATE_LOG:
        op.execute(statement)
    for table in TRACKED:
        for operation in OPS:
            op.execute(trigger_sql(table, operation))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TRACKED:
        for suffix, _ref in OPS.values():
            op.execute(f"DROP TRIGGER IF EXISTS change_log_{table}_{suffix}")
    op.execute("DROP TABLE IF EXISTS change_log")
