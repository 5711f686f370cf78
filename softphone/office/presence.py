"""Colleagues on the LAN, found without configuration (mDNS / DNS-SD).

Every running softphone with a LAN account announces one ``_softphone._udp.local.`` service
whose TXT record says who it is (name, extension, SIP URI, state, a per-instance id) and
browses for the others. Calls between colleagues are direct SIP calls to
``sip:<extension>@<address>:<port>``.

Threads: zeroconf runs its own event-loop thread and a browser thread; :class:`Presence` adds
one worker thread that registers/updates/unregisters our service, resolves colleagues and
calls ``on_change`` with the full, sorted list of colleagues (never including ourselves)
whenever it changes. ``on_change`` runs on that worker thread: it must be cheap (the UI queues
the list into the Qt main thread). Nothing here blocks the caller except :meth:`Presence.stop`
(at most ``timeout`` seconds, used at shutdown).

A colleague who quits sends goodbye packets and disappears from the others' lists at once. A
colleague who crashes (or whose cable is pulled) stops answering the refresh queries and
disappears when its records expire: ``ttl`` seconds (default 10) plus at most one second.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import queue
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zeroconf import ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

    from softphone.settings import Settings

log = logging.getLogger("softphone.office")

SERVICE_TYPE = "_softphone._udp.local."
STATES = ("available", "in_call", "dnd")
DEFAULT_TTL = 10  # seconds: how long a crashed colleague stays listed (plus <= 1 s)
TXT_VERSION = "1"
_SWEEP_INTERVAL = 1.0  # seconds between checks for expired colleagues
_RESOLVE_TIMEOUT_MS = 3000


class PresenceError(Exception):
    """Presence cannot run (no usable network interface, bad arguments)."""


@dataclass(frozen=True)
class Colleague:
    """Another softphone on the LAN, as its own announcement describes it.

    ``uri`` is where to call it directly: ``sip:<extension>@<address>:<port>``.
    """

    id: str
    name: str
    extension: str
    uri: str
    address: str
    state: str
    port: int = 0


def extension_of(sip_uri: str) -> str:
    """The user part of ``sip:user@host`` (the colleague's extension); ``""`` if none."""
    m = re.match(r"^sips?:([^@;:]+)@", sip_uri.strip())
    return m.group(1) if m else ""


def direct_uri(extension: str, address: str, port: int) -> str:
    """``sip:ext@address:port`` (IPv6 addresses bracketed)."""
    host = f"[{address}]" if ":" in address else address
    user = f"{extension}@" if extension else ""
    return f"sip:{user}{host}:{port}" if port else f"sip:{user}{host}"


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that colleagues can reach (not loopback, not link-local)."""
    import ifaddr

    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not ip.is_IPv4 or not isinstance(ip.ip, str):
                continue
            addr = ipaddress.IPv4Address(ip.ip)
            if addr.is_loopback or addr.is_link_local or addr.is_unspecified:
                continue
            if ip.ip not in found:
                found.append(ip.ip)
    return found


def pick_address(candidates: Sequence[str], ours: Iterable[str],
                 prefixes: dict[str, int] | None = None) -> str | None:
    """The candidate address to call: one on a subnet we share, else the first one.

    ``prefixes`` maps our addresses to their prefix lengths (``/24``); missing ones count as
    ``/24``, the usual office LAN.
    """
    if not candidates:
        return None
    prefixes = prefixes or {}
    for own in ours:
        try:
            net = ipaddress.ip_network(f"{own}/{prefixes.get(own, 24)}", strict=False)
        except ValueError:
            continue
        for cand in candidates:
            try:
                if ipaddress.ip_address(cand) in net:
                    return cand
            except ValueError:
                continue
    return candidates[0]


def build_txt(instance_id: str, name: str, extension: str, uri: str, state: str,
              seq: int = 0) -> dict[str, str]:
    """The TXT record we announce (every value a short string).

    ``seq`` grows with every update: it makes each TXT record unique (zeroconf does not
    report a record it still holds, e.g. going back to "available" within the TTL) and lets
    the reader pick the newest one when its cache briefly holds several.
    """
    return {"v": TXT_VERSION, "id": instance_id, "name": name, "ext": extension, "uri": uri,
            "state": state, "seq": str(seq)}


def parse_txt(text: bytes) -> dict[str, str | None]:
    """Decode DNS TXT rdata (length-prefixed ``key=value`` strings, RFC 6763 6.3)."""
    result: dict[str, str | None] = {}
    i = 0
    while i < len(text):
        length = text[i]
        item = text[i + 1:i + 1 + length]
        i += 1 + length
        key, eq, value = item.partition(b"=")
        name = key.decode("utf-8", "replace").lower()
        if name and name not in result:  # the first occurrence wins (RFC 6763 6.4)
            result[name] = value.decode("utf-8", "replace") if eq else None
    return result


def txt_seq(txt: dict[str, str | None]) -> int:
    try:
        return int(txt.get("seq") or 0)
    except ValueError:
        return 0


def colleague_from_txt(txt: dict[str, str | None], addresses: Sequence[str], port: int,
                       ours: Iterable[str] = (), prefixes: dict[str, int] | None = None,
                       ) -> Colleague | None:
    """A :class:`Colleague` from a resolved announcement, or ``None`` if it is unusable."""
    instance_id = txt.get("id") or ""
    address = pick_address(list(addresses), ours, prefixes)
    if not instance_id or address is None:
        return None
    extension = txt.get("ext") or extension_of(txt.get("uri") or "")
    state = txt.get("state") or "available"
    if state not in STATES:
        state = "available"
    return Colleague(
        id=instance_id,
        name=txt.get("name") or extension or address,
        extension=extension,
        uri=direct_uri(extension, address, port),
        address=address,
        state=state,
        port=port,
    )


def instance_label(name: str, instance_id: str) -> str:
    """A DNS-SD instance name: readable, unique, at most 63 bytes, no dots."""
    clean = re.sub(r"[.\x00-\x1f]", " ", name).strip() or "softphone"
    suffix = f" [{instance_id[:8]}]"
    while len((clean + suffix).encode()) > 63:
        clean = clean[:-1]
    return clean + suffix


class Presence:
    """Announce ourselves and keep the list of colleagues on the LAN.

    Args:
        name: who we are, as colleagues see it (the agent's name).
        sip_uri: our LAN account's address (``sip:anna@0.0.0.0``); its user part is our
            extension.
        port: the SIP port our engine actually listens on.
        addresses: our IPv4 addresses to announce (and the interfaces mDNS runs on); empty or
            ``0.0.0.0`` means every non-loopback address of this machine.
        on_change: called with the sorted list of colleagues whenever it changes (on the
            presence worker thread; keep it cheap).
        state: initial state, one of :data:`STATES`.
        ttl: seconds our records live in others' caches; a crashed instance disappears after
            about this long.
        instance_id: stable id of this instance (default: a new random one).
        service_type: the DNS-SD type; tests may use their own to stay apart.
    """

    def __init__(
        self,
        name: str,
        sip_uri: str,
        port: int,
        addresses: Sequence[str],
        on_change: Callable[[list[Colleague]], None],
        *,
        state: str = "available",
        ttl: int = DEFAULT_TTL,
        instance_id: str | None = None,
        service_type: str = SERVICE_TYPE,
    ) -> None:
        if state not in STATES:
            raise PresenceError(f"unknown state {state!r} (expected one of {', '.join(STATES)})")
        if not 0 < port < 65536:
            raise PresenceError(f"invalid SIP port {port}")
        self.name = name
        self.extension = extension_of(sip_uri)
        self.port = port
        self.ttl = ttl
        self.instance_id = instance_id or uuid.uuid4().hex
        self.service_type = service_type
        wanted = [a for a in addresses if a and a != "0.0.0.0"]
        self.addresses = wanted or lan_addresses()
        if not self.addresses:
            raise PresenceError("no network address to announce (is the network up?)")
        self._prefixes = _prefix_lengths(self.addresses)
        self._on_change = on_change
        self._state = state
        self._seq = 0
        self._commands: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._colleagues: dict[str, Colleague] = {}  # service name -> colleague
        self._lock = threading.Lock()
        # Names are resolved on a few helper threads: one that does not answer (a crashed
        # colleague whose pointer some cache still holds) costs up to 3 s, and must not hold
        # up the others, state updates or stop(). Per name, operations run in order.
        self._resolver: ThreadPoolExecutor | None = None
        self._name_ops: dict[str, list[str]] = {}  # name -> pending ops (under _lock)
        self._notify_lock = threading.Lock()  # snapshots reach on_change in order
        self._zc: Zeroconf | None = None
        self._browser: ServiceBrowser | None = None
        self._info: ServiceInfo | None = None
        self._worker: threading.Thread | None = None
        self.registered = threading.Event()

    # -- public API (any thread) ----------------------------------------------------------

    @property
    def uri(self) -> str:
        """Where colleagues call us (first announced address)."""
        return direct_uri(self.extension, self.addresses[0], self.port)

    @property
    def state(self) -> str:
        return self._state

    @property
    def colleagues(self) -> list[Colleague]:
        with self._lock:
            return sorted(self._colleagues.values(), key=_sort_key)

    def start(self) -> None:
        """Open the mDNS sockets and start announcing and browsing (returns at once)."""
        from zeroconf import IPVersion, ServiceBrowser, Zeroconf

        if self._zc is not None:
            return
        try:
            self._zc = Zeroconf(interfaces=list(self.addresses), ip_version=IPVersion.V4Only)
        except OSError as exc:
            raise PresenceError(f"cannot open mDNS on {', '.join(self.addresses)}: {exc}") from exc
        self._resolver = ThreadPoolExecutor(max_workers=4,
                                            thread_name_prefix="softphone-presence-resolve")
        self._worker = threading.Thread(target=self._run, name="softphone-presence", daemon=True)
        self._worker.start()
        self._commands.put(("register",))
        self._browser = ServiceBrowser(self._zc, self.service_type,
                                       handlers=[self._on_service_state_change])

    def set_state(self, state: str) -> None:
        """Announce a new state (``available``, ``in_call``, ``dnd``)."""
        if state not in STATES:
            raise PresenceError(f"unknown state {state!r} (expected one of {', '.join(STATES)})")
        self._state = state
        self._commands.put(("state", state))

    def stop(self, timeout: float = 5.0) -> None:
        """Say goodbye (colleagues drop us at once) and close everything."""
        worker = self._worker
        if worker is None:
            return
        self._commands.put(("stop",))
        worker.join(timeout)
        if worker.is_alive():
            log.warning("presence did not stop within %.1f s", timeout)
        self._worker = None

    # -- zeroconf browser thread ----------------------------------------------------------

    def _on_service_state_change(self, zeroconf: Zeroconf, service_type: str, name: str,
                                 state_change: ServiceStateChange) -> None:
        self._commands.put(("service", name, state_change.name))

    # -- worker thread --------------------------------------------------------------------

    def _run(self) -> None:
        next_sweep = time.monotonic() + _SWEEP_INTERVAL
        while True:
            try:
                command = self._commands.get(timeout=max(0.0, next_sweep - time.monotonic()))
            except queue.Empty:
                command = ("sweep",)
            try:
                if command[0] == "stop":
                    self._shutdown()
                    return
                self._handle(command)
            except Exception:
                log.exception("presence: %s failed", command[0])
            if time.monotonic() >= next_sweep:
                try:
                    self._sweep()
                except Exception:
                    log.exception("presence: sweep failed")
                next_sweep = time.monotonic() + _SWEEP_INTERVAL

    def _handle(self, command: tuple[Any, ...]) -> None:
        kind = command[0]
        if kind == "register":
            self._register()
        elif kind == "state":
            self._announce_state()
        elif kind == "service":
            _, name, change = command
            self._queue_name_op(name, "forget" if change == "Removed" else "resolve")

    def _queue_name_op(self, name: str, op: str) -> None:
        with self._lock:
            ops = self._name_ops.get(name)
            if ops is not None:  # a job for this name runs: it takes this op next
                if not ops or ops[-1] != op:
                    ops.append(op)
                return
            self._name_ops[name] = []
        if self._resolver is not None:
            try:
                self._resolver.submit(self._run_name_ops, name, op)
                return
            except RuntimeError:  # shut down meanwhile
                pass
        with self._lock:
            self._name_ops.pop(name, None)

    def _run_name_ops(self, name: str, op: str) -> None:
        """(A resolver thread.) ``op`` for ``name``, then any queued meanwhile, in order."""
        while True:
            try:
                if self._zc is None:
                    pass  # stopping
                elif op == "forget":
                    self._forget(name)
                else:
                    self._resolve(name)
            except Exception:
                if self._zc is not None:
                    log.exception("presence: %s of %s failed", op, name)
            with self._lock:
                ops = self._name_ops.get(name) or []
                if not ops:
                    self._name_ops.pop(name, None)
                    return
                op = ops.pop(0)

    def _make_info(self, name: str | None = None) -> ServiceInfo:
        from zeroconf import ServiceInfo

        label = instance_label(self.name, self.instance_id)
        return ServiceInfo(
            self.service_type,
            name or f"{label}.{self.service_type}",
            port=self.port,
            properties=build_txt(self.instance_id, self.name, self.extension, self.uri,
                                 self._state, self._seq),
            server=f"softphone-{self.instance_id[:12]}.local.",
            host_ttl=self.ttl,
            other_ttl=self.ttl,
            parsed_addresses=list(self.addresses),
        )

    def _register(self) -> None:
        assert self._zc is not None
        info = self._make_info()
        self._zc.register_service(info, allow_name_change=True)
        self._info = info
        self.registered.set()
        log.info("presence: announced %s as %s", info.name, self.uri)

    def _announce_state(self) -> None:
        if self._zc is None or self._info is None:
            return
        self._seq += 1
        info = self._make_info(self._info.name)
        self._zc.update_service(info)
        self._info = info
        log.debug("presence: state %s", self._state)

    def _resolve(self, service_name: str) -> None:
        from zeroconf import IPVersion, ServiceInfo

        assert self._zc is not None and self._zc.loop is not None
        info = ServiceInfo(self.service_type, service_name)
        if not info.request(self._zc, _RESOLVE_TIMEOUT_MS):
            log.debug("presence: %s did not resolve", service_name)
            return
        txt = info.decoded_properties
        future = asyncio.run_coroutine_threadsafe(self._async_texts(self._zc, service_name),
                                                  self._zc.loop)
        texts = [parse_txt(t) for t in future.result(timeout=5)]
        if texts:
            txt = max(texts, key=txt_seq)
        if txt.get("id") == self.instance_id:
            return  # ourselves
        colleague = colleague_from_txt(txt, info.parsed_addresses(IPVersion.V4Only),
                                       info.port or 0, self.addresses, self._prefixes)
        if colleague is None:
            return
        with self._lock:
            if self._colleagues.get(service_name) == colleague:
                return
            self._colleagues[service_name] = colleague
        self._notify()

    async def _async_texts(self, zc: Zeroconf, name: str) -> list[bytes]:
        """(On the zeroconf loop.) Every live TXT record cached for ``name``."""
        from zeroconf import current_time_millis
        from zeroconf.const import _CLASS_IN, _TYPE_TXT

        now = current_time_millis()
        return [bytes(getattr(r, "text", b"")) for r in
                zc.cache.async_all_by_details(name, _TYPE_TXT, _CLASS_IN)
                if not r.is_expired(now)]

    def _forget(self, service_name: str) -> None:
        with self._lock:
            if self._colleagues.pop(service_name, None) is None:
                return
        self._notify()

    def _sweep(self) -> None:
        """Refresh colleagues' records before they expire; drop those that did expire.

        The browser only learns of departures from goodbye packets or PTR expiry, and
        zeroconf raises received PTR TTLs to at least 1125 s. So liveness rides on the SRV
        record (TTL = ``ttl``): when less than ~60 % of its life is left we ask for it again
        (RFC 6762 5.2 cache maintenance); a live colleague answers, a crashed one does not
        and is dropped when the record expires.
        """
        zc = self._zc
        with self._lock:
            known = list(self._colleagues)
        if zc is None or zc.loop is None or not known:
            return
        future = asyncio.run_coroutine_threadsafe(self._async_check(zc, known), zc.loop)
        gone = future.result(timeout=5)
        if gone:
            with self._lock:
                for name in gone:
                    self._colleagues.pop(name, None)
            log.info("presence: %s expired", ", ".join(gone))
            self._notify()

    async def _async_check(self, zc: Zeroconf, names: list[str]) -> list[str]:
        """(On the zeroconf loop.) Names whose SRV expired; queries the ones about to."""
        from zeroconf import DNSOutgoing, DNSQuestion, current_time_millis
        from zeroconf.const import _CLASS_IN, _FLAGS_QR_QUERY, _TYPE_PTR, _TYPE_SRV, _TYPE_TXT

        now = current_time_millis()
        gone: list[str] = []
        out: DNSOutgoing | None = None
        for name in names:
            records = [r for r in zc.cache.async_all_by_details(name, _TYPE_SRV, _CLASS_IN)
                       if not r.is_expired(now)]
            if not records:
                gone.append(name)
                # Forget its pointer too, so that if it comes back (same name) the browser
                # reports it as added again.
                stale = [r for r in zc.cache.async_all_by_details(
                    self.service_type, _TYPE_PTR, _CLASS_IN) if getattr(r, "alias", "") == name]
                zc.cache.async_remove_records(stale)
                continue
            record = max(records, key=lambda r: r.get_remaining_ttl(now))
            if record.get_remaining_ttl(now) < record.ttl * random.uniform(0.5, 0.6):
                if out is None:
                    out = DNSOutgoing(_FLAGS_QR_QUERY)
                out.add_question(DNSQuestion(name, _TYPE_SRV, _CLASS_IN))
                out.add_question(DNSQuestion(name, _TYPE_TXT, _CLASS_IN))
        if out is not None:
            zc.async_send(out)
        return gone

    def _notify(self) -> None:
        with self._notify_lock:  # the list is taken and delivered in one step: in order
            try:
                self._on_change(self.colleagues)
            except Exception:
                log.exception("presence: on_change failed")

    def _shutdown(self) -> None:
        zc = self._zc
        if zc is None:
            return
        if self._browser is not None:
            self._browser.cancel()
            self._browser = None
        if self._resolver is not None:
            self._resolver.shutdown(wait=False, cancel_futures=True)
            self._resolver = None
        if self._info is not None:
            try:
                zc.unregister_service(self._info)
            except Exception:
                log.exception("presence: goodbye failed")
            self._info = None
        zc.close()
        self._zc = None
        log.info("presence: stopped")


def _sort_key(c: Colleague) -> tuple[str, str]:
    return (c.name.casefold(), c.id)


def _prefix_lengths(addresses: Iterable[str]) -> dict[str, int]:
    import ifaddr

    wanted = set(addresses)
    found: dict[str, int] = {}
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and ip.ip in wanted:
                found[ip.ip] = ip.network_prefix
    return found


def presence_from_settings(
    settings: Settings,
    listen_host: str,
    listen_port: int,
    on_change: Callable[[list[Colleague]], None],
    *,
    name: str | None = None,
    state: str = "available",
) -> Presence | None:
    """A :class:`Presence` for the first enabled LAN account, or ``None`` if there is none
    (or ``[office] presence = false``).

    ``listen_host``/``listen_port`` are what the SIP engine actually bound (its
    ``listen_address`` after start). ``name`` defaults to the CRM agent name, else the
    account's user part.
    """
    from softphone.settings import default_lan_account

    if not settings.office.presence:
        return None
    accounts = settings.accounts or (default_lan_account(),)
    account = next((a for a in accounts if a.enabled and a.is_lan), None)
    if account is None:
        return None
    who = name or settings.crm.agent or extension_of(account.address) or account.name
    return Presence(who, account.address, listen_port, [listen_host], on_change, state=state)
