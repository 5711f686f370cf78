"""ServerWatch: a registrar's name looked up again on a timer; when it no longer points at the
address that answered the last REGISTER, the account registers again (the network lab moves a
real registrar in tests/integration/network/test_registrar_moves.py)."""

from __future__ import annotations

from collections.abc import Callable

from softphone.sip.server_watch import RECHECK_SECONDS, ServerWatch


class ScriptedResolver:
    def __init__(self) -> None:
        self.names: dict[str, tuple[str, ...]] = {}
        self.error: str | None = None
        self.asked: list[tuple[str, bool]] = []

    def addresses(self, host: str) -> tuple[str, ...]:
        return self.names.get(host, ())

    def resolve(self, host: str, done: Callable[[str | None], None], fresh: bool = False
                ) -> None:
        self.asked.append((host, fresh))
        done(self.error)


class Timers:
    def __init__(self) -> None:
        self.due: list[tuple[float, Callable[[], None]]] = []

    def schedule(self, delay: float, fn: Callable[[], None]) -> None:
        self.due.append((delay, fn))

    def fire(self) -> None:
        due, self.due = self.due, []
        for _delay, fn in due:
            fn()


def watch() -> tuple[ServerWatch, ScriptedResolver, Timers, list[str]]:
    resolver, timers, again = ScriptedResolver(), Timers(), []
    return (ServerWatch(resolver, timers.schedule, again.append),  # type: ignore[arg-type]
            resolver, timers, again)


def test_a_name_that_moved_registers_again() -> None:
    w, resolver, timers, again = watch()
    resolver.names["pbx.example.com"] = ("192.0.2.10",)
    w.registered("Office", "pbx.example.com", "192.0.2.10:5060")
    assert [d for d, _ in timers.due] == [RECHECK_SECONDS]
    timers.fire()  # still there: looked up fresh, checked again later
    assert resolver.asked == [("pbx.example.com", True)] and again == []
    assert len(timers.due) == 1
    resolver.names["pbx.example.com"] = ("192.0.2.20",)  # DNS failover
    timers.fire()
    assert again == ["Office"] and timers.due == []  # the new registration watches anew


def test_literals_failures_and_forgotten_accounts_never_reregister() -> None:
    w, resolver, timers, again = watch()
    w.registered("Lan", "192.0.2.5", "192.0.2.5:5060")
    w.registered("Local", "localhost", "127.0.0.1:5060")
    assert timers.due == []  # nothing to watch
    resolver.names["pbx.example.com"] = ("192.0.2.10",)
    w.registered("Office", "pbx.example.com", "192.0.2.10:5060")
    resolver.error, resolver.names["pbx.example.com"] = "cannot resolve", ()
    timers.fire()  # a failed lookup is no move: the registration stays
    assert again == [] and len(timers.due) == 1
    w.forget("Office")
    resolver.error, resolver.names["pbx.example.com"] = None, ("192.0.2.20",)
    timers.fire()
    assert again == [] and resolver.asked == [("pbx.example.com", True)]


def test_registering_again_replaces_the_old_watch() -> None:
    w, resolver, timers, again = watch()
    resolver.names["pbx.example.com"] = ("192.0.2.20",)
    w.registered("Office", "pbx.example.com", "192.0.2.10:5060")
    w.registered("Office", "pbx.example.com", "192.0.2.20:5060")  # the new server answered
    timers.fire()  # the old watch's timer does nothing; the new one finds no move
    assert again == [] and resolver.asked == [("pbx.example.com", True)]
