"""Small stand-ins shared by unit tests: each answers only what the code under test asks."""

from __future__ import annotations

from collections.abc import Callable


class MemorySecretStore:
    """An in-memory secret store with the interface the settings and integrations use."""

    where = "the test store"

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


class FakeResolver:
    """The name lookup, answered by the test: hosts under ``.org`` need one."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Callable[[str | None], None]]] = []

    def needs_lookup(self, host: str) -> bool:
        return host.endswith(".org")

    def resolve(self, host: str, done: Callable[[str | None], None]) -> None:
        self.asked.append((host, done))
