"""Call statistics: one grouped query per figure, hour buckets folded into days/weeks here.

Calls are grouped by ``start_hour`` (hours since the epoch, stored with each call), direction
and outcome through the covering index ``ix_calls_stats``, so a month of calls is one index
range scan without sorting; days, weeks, hours of the day, answered/missed figures are then
computed in Python from at most a few thousand groups, in any time zone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Integer, func, or_, select
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
    since_s, until_s = since.timestamp(), until.timestamp()
    first_hour = int(since_s // 3600)
    last_hour = int(-(-until_s // 3600)) - 1  # the hour holding the last instant before until
    conditions: list[Any] = [Call.start_hour >= first_hour, Call.start_hour <= last_hour]
    if since_s % 3600:  # started_at is only read for the partial boundary hours
        conditions.append(or_(Call.start_hour > first_hour, Call.started_at >= since))
    if until_s % 3600:
        conditions.append(or_(Call.start_hour < last_hour, Call.started_at < until))
    if account is not None:
        conditions.append(Call.account == account)
    if agent is not None:
        conditions.append(Call.agent == agent)
    rows = s.execute(
        select(
            Call.start_hour,
            Call.direction,
            Call.outcome,
            func.count(),
            func.sum(Call.talk_seconds),
            func.sum(Call.ring_seconds),
        )
        .where(*conditions)
        .group_by(Call.start_hour, Call.direction, Call.outcome)
    )

    totals = Counter[str]()
    buckets: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_hour = Counter[int]()
    moments: dict[int, datetime] = {}
    for hour, direction, outcome, calls, talk, ring in rows:
        moment = moments.get(hour)
        if moment is None:
            moment = datetime.fromtimestamp(int(hour) * 3600, UTC).astimezone(zone)
            moments[hour] = moment
        answered = calls if outcome == "answered" else 0
        missed = calls if direction == "in" and outcome in MISSED_OUTCOMES else 0
        talk = int(talk or 0)
        totals.update(calls=calls, answered=answered, missed=missed, talk=talk,
                      ring=int(ring or 0) if answered else 0,
                      inbound=calls if direction == "in" else 0)
        b = buckets[_bucket_start(moment, bucket)]
        b[0] += calls
        b[1] += answered
        b[2] += missed
        b[3] += talk
        by_hour[moment.hour] += calls

    per_bucket: list[tuple[datetime, int, int, int, int]] = []
    cursor = _bucket_start(since.astimezone(zone), bucket)
    step = timedelta(days=7 if bucket == "week" else 1)
    end = until.astimezone(zone)
    while cursor < end:
        figures = buckets.get(cursor, [0, 0, 0, 0])
        per_bucket.append((cursor, *figures))  # type: ignore[arg-type]
        cursor = _bucket_start(cursor + step + timedelta(hours=3), bucket)  # DST-safe step

    top_counts = s.execute(
        select(Call.contact_id, func.count().label("n"))
        .where(*conditions, Call.contact_id.is_not(None))
        .group_by(Call.contact_id)
        .order_by(func.count().desc(), Call.contact_id)
        .limit(top)
    ).all()
    names = dict(
        s.execute(
            select(Contact.id, Contact.name).where(
                Contact.id.in_([cid for cid, _ in top_counts])
            )
        ).all()
    ) if top_counts else {}

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
        top_contacts=[
            (int(cid), names[cid], int(n)) for cid, n in top_counts if cid in names
        ],
        inbound=totals["inbound"],
        outbound=calls_total - totals["inbound"],
    )
