"""Call statistics: one grouped query per figure, hour buckets folded into days/weeks here.

Calls are grouped by ``start_hour`` (hours since the epoch, stored with each call) through the
covering index ``ix_calls_stats``, so a month of calls is one index range scan; days, weeks and
hours of the day are then computed in Python in any time zone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.orm import Session

from softphone.crm.models import Call, Contact, MissedEntry
from softphone.crm.views import MISSED_OUTCOMES, Stats


def _bucket_start(moment: datetime, bucket: str) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    return day


def compute_statistics(
    s: Session,
    *,
    since: datetime,
    until: datetime,
    account: str | None,
    agent: str | None,
    bucket: str,
    tz: tzinfo | None,
    top: int,
) -> Stats:
    if bucket not in ("day", "week"):
        raise ValueError("bucket must be 'day' or 'week'")
    zone = tz or UTC
    first_hour = int(since.timestamp()) // 3600
    last_hour = int(until.timestamp()) // 3600
    conditions: list[Any] = [
        Call.start_hour >= first_hour,
        Call.start_hour <= last_hour,
        Call.started_at >= since,
        Call.started_at < until,
    ]
    if account is not None:
        conditions.append(Call.account == account)
    if agent is not None:
        conditions.append(Call.agent == agent)
    answered = case((Call.outcome == "answered", 1), else_=0)
    missed = case(
        (and_(Call.direction == "in", Call.outcome.in_(MISSED_OUTCOMES)), 1), else_=0
    )
    inbound = case((Call.direction == "in", 1), else_=0)
    ring = case((Call.outcome == "answered", func.coalesce(Call.ring_seconds, 0)), else_=0)
    rows = s.execute(
        select(
            Call.start_hour,
            func.count(),
            func.sum(answered),
            func.sum(missed),
            func.sum(func.coalesce(Call.talk_seconds, 0)),
            func.sum(ring),
            func.sum(inbound),
        )
        .where(*conditions)
        .group_by(Call.start_hour)
    )

    totals = Counter[str]()
    buckets: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_hour = Counter[int]()
    for hour, calls, ans, mis, talk, ring_sum, inb in rows:
        moment = datetime.fromtimestamp(int(hour) * 3600, UTC).astimezone(zone)
        totals.update(calls=calls, answered=int(ans or 0), missed=int(mis or 0),
                      talk=int(talk or 0), ring=int(ring_sum or 0), inbound=int(inb or 0))
        b = buckets[_bucket_start(moment, bucket)]
        b[0] += calls
        b[1] += int(ans or 0)
        b[2] += int(mis or 0)
        b[3] += int(talk or 0)
        by_hour[moment.hour] += calls

    per_bucket: list[tuple[datetime, int, int, int, int]] = []
    cursor = _bucket_start(since.astimezone(zone), bucket)
    step = timedelta(days=7 if bucket == "week" else 1)
    end = until.astimezone(zone)
    while cursor < end:
        figures = buckets.get(cursor, [0, 0, 0, 0])
        per_bucket.append((cursor, *figures))  # type: ignore[arg-type]
        cursor = _bucket_start(cursor + step + timedelta(hours=3), bucket)  # DST-safe step

    top_rows = s.execute(
        select(Call.contact_id, Contact.name, func.count().label("n"))
        .join(Contact, Contact.id == Call.contact_id)
        .where(*conditions, Call.contact_id.is_not(None))
        .group_by(Call.contact_id, Contact.name)
        .order_by(func.count().desc(), Call.contact_id)
        .limit(top)
    )

    callback_conditions: list[Any] = [
        MissedEntry.cleared_at >= since,
        MissedEntry.cleared_at < until,
        MissedEntry.callback_seconds.is_not(None),
    ]
    if account is not None:
        callback_conditions.append(MissedEntry.account == account)
    avg_callback = s.scalar(
        select(func.avg(MissedEntry.callback_seconds.cast(Integer))).where(*callback_conditions)
    )

    calls_total = totals["calls"]
    answered_total = totals["answered"]
    return Stats(
        calls=calls_total,
        answered=answered_total,
        missed=totals["missed"],
        missed_rate=totals["missed"] / totals["inbound"] if totals["inbound"] else 0.0,
        total_talk_seconds=totals["talk"],
        avg_talk_seconds=totals["talk"] / answered_total if answered_total else 0.0,
        avg_ring_seconds=totals["ring"] / answered_total if answered_total else 0.0,
        avg_time_to_callback_seconds=float(avg_callback) if avg_callback is not None else None,
        per_bucket=per_bucket,
        busiest_hours=sorted(by_hour.items(), key=lambda kv: (-kv[1], kv[0])),
        top_contacts=[(int(cid), name, int(n)) for cid, name, n in top_rows],
        inbound=totals["inbound"],
        outbound=calls_total - totals["inbound"],
    )
