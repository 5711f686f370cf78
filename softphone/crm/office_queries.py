"""The office's start-up reads (our conversations with unread chat messages; the contacts
tagged as colleagues): SQL that the light start-up reader (``crm/light.py``, plain sqlite3)
and the full Store both run, so the unread badge and the colleagues show at start without
loading SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from softphone.crm.queries import (
    Runner,
    bind_dt,
    contact_views_by_id,
    fold,
    to_dt,
    to_json,
    utcnow,
)
from softphone.crm.views import ContactView

__all__ = ["ConversationView", "close_unanswered_messages", "contacts_tagged",
           "unread_conversations"]

#: a MESSAGE gets its final answer within ~32 s (PJSIP's transaction timeout)
UNANSWERED_AFTER = timedelta(seconds=60)
UNANSWERED_REASON = "no answer before the phone stopped"


@dataclass(frozen=True)
class ConversationView:
    """One conversation with unread messages: who, how many, the latest."""

    peer_key: str
    remote_uri: str
    display_name: str
    contact_id: int | None
    contact_name: str | None
    unread: int
    last_at: datetime
    last_body: str


def unread_conversations(db: Runner, agent: str | None) -> list[ConversationView]:
    """``agent``'s conversations with unread incoming messages, the most recent first (on a
    shared database a colleague's conversations are not unread for us)."""
    ours = "u.agent = :agent" if agent else "u.agent IS NULL"
    sql = ("SELECT m.peer_key, m.remote_uri, m.display_name, m.contact_id, c.name, g.n, "
           "m.sent_at, m.body FROM (SELECT u.peer_key AS peer, count(*) AS n, "
           "max(u.id) AS last_id FROM messages u WHERE u.direction = 'in' AND "
           f"u.read_at IS NULL AND {ours} GROUP BY u.peer_key) g "
           "JOIN messages m ON m.id = g.last_id "
           "LEFT OUTER JOIN contacts c ON c.id = m.contact_id "
           "ORDER BY m.sent_at DESC, m.id DESC")
    return [
        ConversationView(peer_key=key, remote_uri=uri, display_name=display or "",
                         contact_id=cid, contact_name=name, unread=int(count),
                         last_at=to_dt(at), last_body=body)
        for key, uri, display, cid, name, count, at, body in db.rows(
            sql, {"agent": agent} if agent else {})
    ]


def contacts_tagged(db: Runner, tags: list[str] | tuple[str, ...],
                    limit: int = 500) -> list[ContactView]:
    """Contacts that carry any of ``tags`` (any case), by name."""
    wanted = {t.casefold() for t in tags if t.strip()}
    if not wanted:
        return []
    # the folded search text holds every tag: a first sieve, then the exact check. On SQLite
    # the sieve is the trigram index (contact_fts): a LIKE read all of a million contacts
    # (~2.5 s at every start, and ~250 MiB of the file mapped into the idle app).
    folded = sorted({fold(t) for t in wanted})
    if db.dialect == "sqlite" and all(len(t) >= 3 for t in folded):
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in folded)
        rows = db.rows("SELECT c.id, c.tags FROM contact_fts f JOIN contacts c ON c.id = f.rowid "
                       "WHERE contact_fts MATCH :m ORDER BY c.name_fold, c.id", {"m": match})
    else:
        likes = " OR ".join(f"search_fold LIKE :t{i}" for i in range(len(folded)))
        params = {f"t{i}": f"%{t}%" for i, t in enumerate(folded)}
        rows = db.rows(f"SELECT id, tags FROM contacts WHERE {likes} ORDER BY name_fold, id",
                       params)
    ids = [cid for cid, raw in rows
           if {str(t).casefold() for t in (to_json(raw) or [])} & wanted][:limit]
    views = {v.id: v for v in contact_views_by_id(db, ids)}
    return [views[i] for i in ids if i in views]


def close_unanswered_messages(db: Runner, agent: str | None) -> int:
    """Our sent messages still ``sending`` from a run that stopped before the server answered
    become ``failed`` (the user sees they may not have arrived). Returns how many."""
    ours = "agent = :agent" if agent else "agent IS NULL"
    params = {"reason": UNANSWERED_REASON,
              "before": bind_dt(db.dialect, utcnow() - UNANSWERED_AFTER)}
    if agent:
        params["agent"] = agent
    return db.run("UPDATE messages SET status = 'failed', reason = :reason "
                  f"WHERE direction = 'out' AND status = 'sending' AND {ours} "
                  "AND sent_at < :before", params)
