"""The open database as the store's parts use it (:mod:`softphone.crm.store` composes them):
short transactions, the SQL runner of ``softphone.crm.queries``, numbers read in the default
region, and the agent whose writes these are. The region and the agent change while the app
runs (the settings); every part reads them here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from softphone.crm.convert import SqlRunner
from softphone.crm.errors import known_errors
from softphone.crm.phones import normalize
from softphone.crm.views import NormalizedNumber


class Database:
    def __init__(self, engine: Engine, profile: Path, *, region: str = "",
                 agent: str | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.profile = Path(profile)
        #: ISO region for national numbers; "" none (such numbers wait: crm.regions)
        self.region = (region or "").upper()
        self.agent = agent

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; known driver errors become StoreError subclasses."""
        with (
            known_errors(),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    def runner(self, s: Session) -> SqlRunner:
        return SqlRunner(s, self.dialect)

    def normalize(self, raw: str) -> NormalizedNumber:
        return normalize(raw or "", self.region)
