"""The phone tab's pages that are built when first needed: the calls up (the call panel) and
the wrap-up. An idle start shows the idle page (or the first-start page) and never makes the
others, their widgets, icons and level meters (bench/bench_startup.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtWidgets import QStackedWidget, QWidget

if TYPE_CHECKING:
    from softphone.ui.call_panel import CallPanel
    from softphone.ui.wrapup import WrapupPanel

PageT = TypeVar("PageT", bound=QWidget)


class LazyPage(Generic[PageT]):
    """A page of ``stack`` that ``build`` makes the first time it is asked for."""

    def __init__(self, stack: QStackedWidget, build: Callable[[], PageT]) -> None:
        self._stack = stack
        self._build = build
        self.built: PageT | None = None

    def get(self) -> PageT:
        page = self.built
        if page is None:
            page = self.built = self._build()
            self._stack.addWidget(page)
        return page


def build_call_panel(window: Any) -> CallPanel:
    """The call panel, wired to the window's phone (and given the sound devices if listed)."""
    from softphone.ui.call_panel import CallPanel

    p, ph = CallPanel(window.search_contacts, window), window.phone
    # live figures in a call (the engine may be attached later: read it at each tick)
    p.quality_source = lambda call_id: getattr(
        window.engine, "call_quality", lambda _c: None)(call_id)
    p.hangup_requested.connect(ph.hangup)
    p.hold_requested.connect(ph.hold)
    p.mute_requested.connect(ph.mute)
    p.dtmf_requested.connect(ph.dtmf)
    p.transfer_requested.connect(ph.transfer)
    p.consult_requested.connect(ph.consult)
    p.complete_transfer_requested.connect(ph.complete_transfer)
    p.conference_requested.connect(ph.conference)
    p.record_requested.connect(ph.record)
    p.switch_requested.connect(ph.switch_to)
    p.output_device_chosen.connect(
        lambda name: ph.set_output_device(name, window.settings.audio))
    if window.sound_devices.devices:
        show_output_devices(p, window.sound_devices.devices, window.settings.audio.output)
    return p


def show_output_devices(panel: CallPanel, devices: list[Any], chosen: str | None) -> None:
    panel.set_output_devices([d.name for d in devices if d.max_output_channels > 0], chosen)


def build_wrapup(window: Any) -> WrapupPanel:
    """The wrap-up page with the outcomes of the settings in force, wired to the calls."""
    from softphone.ui.wrapup import WrapupPanel

    page = WrapupPanel(window.settings.calls.outcomes, window)
    window.call_screens.wire_wrapup(page)
    return page
