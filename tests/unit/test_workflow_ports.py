"""The workflow's store seam: the full Store, the light reader and the unit tests' fake
implement :class:`softphone.workflow_ports.CallStore` with the protocol's own signatures
(mypy checks the two stores too; the fake is checked here, so a changed signature cannot hide
behind ``**kw``)."""

from __future__ import annotations

import inspect

import pytest

from softphone.crm.light import LightStore
from softphone.crm.store import Store
from softphone.workflow_ports import CallStore
from tests.unit.test_workflow import FakeStore

METHODS = sorted(name for name, value in vars(CallStore).items()
                 if inspect.isfunction(value) and not name.startswith("_"))


def _params(fn: object) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
            if p.name != "self"]


def test_the_protocol_has_the_workflows_methods() -> None:
    assert len(METHODS) >= 15
    assert {"lookup", "call_started", "call_ended", "save_wrapup", "load_full"} <= set(METHODS)


@pytest.mark.parametrize("implementation", [Store, LightStore, FakeStore])
@pytest.mark.parametrize("name", METHODS)
def test_each_store_takes_the_protocols_arguments(implementation: type, name: str) -> None:
    wanted = _params(getattr(CallStore, name))
    method = getattr(implementation, name, None)
    assert method is not None, f"{implementation.__name__} has no {name}"
    given = {p.name: p for p in _params(method)}
    for p in wanted:
        assert p.name in given, f"{implementation.__name__}.{name} lacks {p.name}"
        q = given[p.name]
        assert q.kind == p.kind, f"{implementation.__name__}.{name}({p.name}): {q.kind}"
        assert q.default == p.default, f"{implementation.__name__}.{name}({p.name}) default"
    extra = [q for q in given.values() if q.name not in {p.name for p in wanted}]
    for q in extra:  # more is fine when nobody has to pass it
        assert q.default is not inspect.Parameter.empty or q.kind in (
            inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL), \
            f"{implementation.__name__}.{name} requires {q.name}"
    assert not any(q.kind is inspect.Parameter.VAR_KEYWORD for q in given.values()), \
        f"{implementation.__name__}.{name} takes **kwargs: signature changes would hide"
