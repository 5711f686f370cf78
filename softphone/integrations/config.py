"""The integrations' settings in ``softphone.toml`` and their secrets in the keyring.

Sections: ``[carddav]``, ``[directory]`` (LDAP), ``[webhooks]``, ``[bitrix24]``, ``[outbox]``
(retries of both) and ``[click_to_call]``. Secrets (the CardDAV and LDAP passwords, the webhook
signing key, the Bitrix24 webhook URL, which holds its access code) may be provisioned in the
file like account passwords: the first start moves them into the OS keyring (or the
documented fallback file) and removes them from the file; they are never written back.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softphone.settings_file import TableReader

log = logging.getLogger("softphone.integrations")

WEBHOOK_EVENTS = ("ringing", "answered", "ended", "wrapup")
#: (section, settings field, name in the secret store)
SECRET_FIELDS = (
    ("carddav", "password", "integration:carddav"),
    ("directory", "password", "integration:directory"),
    ("webhooks", "secret", "integration:webhooks"),
    ("bitrix24", "webhook_url", "integration:bitrix24"),
)
CLICK_TO_CALL_TOKEN = "integration:click_to_call"
_HTTP_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$", re.IGNORECASE)
_LDAP_URL = re.compile(r"^ldaps?://[^\s/]+/?$", re.IGNORECASE)


@dataclass(frozen=True)
class CardDavSettings:
    #: the address book collection (or any URL of the server: it is discovered from there)
    url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: minutes between two syncs while the app runs; 0 syncs only on demand
    interval: int = 15
    verify_tls: bool = True
    timeout: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class DirectorySettings:
    url: str | None = None  # ldap://host[:port] or ldaps://host[:port]
    base_dn: str = ""
    bind_dn: str | None = None  # none: anonymous
    password: str | None = field(default=None, repr=False)
    #: the caller card never waits longer than this for the directory (seconds)
    timeout: float = 2.0
    phone_attributes: tuple[str, ...] = ("telephoneNumber", "mobile", "homePhone",
                                         "ipPhone", "otherTelephone")
    name_attributes: tuple[str, ...] = ("displayName", "cn")
    #: an extra LDAP filter every search must also match, e.g. (objectClass=person)
    filter: str = "(objectClass=*)"
    verify_tls: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class WebhookSettings:
    url: str | None = None
    secret: str | None = field(default=None, repr=False)
    events: tuple[str, ...] = WEBHOOK_EVENTS
    timeout: float = 10.0
    verify_tls: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class Bitrix24Settings:
    enabled: bool = False
    #: https://PORTAL/rest/USER/CODE/ (an inbound webhook with the telephony scope)
    webhook_url: str | None = field(default=None, repr=False)
    user_id: int | None = None
    user_phone_inner: str | None = None
    crm_create: bool = True
    show_card: bool = False
    attach_recordings: bool = True
    timeout: float = 30.0
    verify_tls: bool = True


@dataclass(frozen=True)
class OutboxSettings:
    """Retries of undelivered events: ``retry_initial`` seconds, doubling up to ``retry_max``."""

    retry_initial: float = 5.0
    retry_max: float = 600.0
    #: delivered events are kept this many days (what was sent, for support), then deleted
    keep_days: int = 7


@dataclass(frozen=True)
class ClickToCallSettings:
    enabled: bool = False
    port: int = 36_137


@dataclass(frozen=True)
class IntegrationSettings:
    carddav: CardDavSettings = field(default_factory=CardDavSettings)
    directory: DirectorySettings = field(default_factory=DirectorySettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    bitrix24: Bitrix24Settings = field(default_factory=Bitrix24Settings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    click_to_call: ClickToCallSettings = field(default_factory=ClickToCallSettings)

    @property
    def uses_outbox(self) -> bool:
        return self.webhooks.enabled or self.bitrix24.enabled


# ---------------------------------------------------------------------------------------------
# Parsing (called by softphone.settings.parse_settings)


def parse_integrations(top: TableReader, path: Path, text: str) -> IntegrationSettings:
    def reader(name: str) -> TableReader:
        return TableReader(path, text, top.get(name, dict, {}), name)

    r = reader("carddav")
    carddav = CardDavSettings(
        url=_http_url(r, "url"), username=r.text_or_none("username"),
        password=r.get("password", str, None),
        interval=r.int_range("interval", 15, 0, 24 * 60),
        verify_tls=r.get("verify_tls", bool, True),
        timeout=_seconds(r, "timeout", 30.0, 1.0, 600.0))
    r.check_unknown()

    r = reader("directory")
    url = r.text_or_none("url")
    if url is not None and not _LDAP_URL.match(url):
        raise r.fail("url", f"expected ldap://host[:port] or ldaps://host[:port], got {url!r}")
    directory = DirectorySettings(
        url=url, base_dn=r.text_or_none("base_dn") or "",
        bind_dn=r.text_or_none("bind_dn"), password=r.get("password", str, None),
        timeout=_seconds(r, "timeout", 2.0, 0.2, 30.0),
        phone_attributes=_names(r, "phone_attributes", DirectorySettings.phone_attributes),
        name_attributes=_names(r, "name_attributes", DirectorySettings.name_attributes),
        filter=_ldap_filter(r, "filter", DirectorySettings.filter),
        verify_tls=r.get("verify_tls", bool, True))
    if url is not None and not directory.base_dn:
        raise r.fail("base_dn", "is required with url (where people are, e.g. "
                      "ou=people,dc=example,dc=com)")
    r.check_unknown()

    r = reader("webhooks")
    events = r.get("events", list, list(WEBHOOK_EVENTS))
    bad = [e for e in events if e not in WEBHOOK_EVENTS]
    if bad:
        raise r.fail("events", f"unknown event {bad[0]!r}; choose from "
                      f"{', '.join(WEBHOOK_EVENTS)}")
    webhooks = WebhookSettings(
        url=_http_url(r, "url"), secret=r.get("secret", str, None),
        events=tuple(dict.fromkeys(events)),
        timeout=_seconds(r, "timeout", 10.0, 1.0, 300.0),
        verify_tls=r.get("verify_tls", bool, True))
    r.check_unknown()

    r = reader("bitrix24")
    user_id = r.get("user_id", int, None)
    if user_id is not None and user_id <= 0:
        raise r.fail("user_id", f"must be a Bitrix24 user ID (1 or more), got {user_id}")
    bitrix = Bitrix24Settings(
        enabled=r.get("enabled", bool, False), webhook_url=_http_url(r, "webhook_url"),
        user_id=user_id, user_phone_inner=r.text_or_none("user_phone_inner"),
        crm_create=r.get("crm_create", bool, True), show_card=r.get("show_card", bool, False),
        attach_recordings=r.get("attach_recordings", bool, True),
        timeout=_seconds(r, "timeout", 30.0, 1.0, 600.0),
        verify_tls=r.get("verify_tls", bool, True))
    if bitrix.enabled and bitrix.user_id is None and not bitrix.user_phone_inner:
        raise r.fail("enabled", "needs user_id or user_phone_inner (whose calls these are)")
    r.check_unknown()

    r = reader("outbox")
    initial = _seconds(r, "retry_initial", 5.0, 0.01, 3600.0)
    outbox = OutboxSettings(retry_initial=initial,
                            retry_max=_seconds(r, "retry_max", 600.0, initial, 86400.0),
                            keep_days=r.int_range("keep_days", 7, 0, 3650))
    r.check_unknown()

    r = reader("click_to_call")
    click = ClickToCallSettings(enabled=r.get("enabled", bool, False),
                                port=r.int_range("port", 36_137, 0, 65535))
    r.check_unknown()
    return IntegrationSettings(carddav=carddav, directory=directory, webhooks=webhooks,
                               bitrix24=bitrix, outbox=outbox, click_to_call=click)


def _http_url(r: TableReader, key: str) -> str | None:
    value = r.text_or_none(key)
    if value is not None and not _HTTP_URL.match(value):
        raise r.fail(key, f"expected an http:// or https:// URL, got {value!r}")
    return value


def _seconds(r: TableReader, key: str, default: float, low: float, high: float) -> float:
    value = float(r.get(key, float, default))
    if not low <= value <= high:
        raise r.fail(key, f"must be between {low:g} and {high:g} seconds, got {value:g}")
    return value


def _names(r: TableReader, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = r.get(key, list, list(default))
    if not value or not all(isinstance(v, str) and re.fullmatch(r"[A-Za-z][\w-]*", v)
                            for v in value):
        raise r.fail(key, "expected a list of LDAP attribute names")
    return tuple(value)


def _ldap_filter(r: TableReader, key: str, default: str) -> str:
    value = r.text_or_none(key) or default
    if not (value.startswith("(") and value.endswith(")")) or value.count("(") != value.count(
            ")"):
        raise r.fail(key, f"expected an LDAP filter in parentheses, got {value!r}")
    return value


def default_integrations() -> IntegrationSettings:
    return IntegrationSettings()


# ---------------------------------------------------------------------------------------------
# Writing (called by softphone.settings.save_settings): every table but the secrets


def integration_tables(it: IntegrationSettings
                       ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(section, values, defaults) for each integration section, secrets left out."""
    secret = {(section, name) for section, name, _ in SECRET_FIELDS}
    out = []
    for section, value, default in (
        ("carddav", it.carddav, CardDavSettings()),
        ("directory", it.directory, DirectorySettings()),
        ("webhooks", it.webhooks, WebhookSettings()),
        ("bitrix24", it.bitrix24, Bitrix24Settings()),
        ("outbox", it.outbox, OutboxSettings()),
        ("click_to_call", it.click_to_call, ClickToCallSettings()),
    ):
        values = {k: v for k, v in dataclasses.asdict(value).items() if (section, k) not in secret}
        defaults = dataclasses.asdict(default)
        out.append((section, values, defaults))
    return out


# ---------------------------------------------------------------------------------------------
# Secrets


def provision_secrets(profile: Path, it: IntegrationSettings, secrets: Any
                      ) -> IntegrationSettings:
    """The integration settings with their secrets from the secret store.

    A secret provisioned in softphone.toml is stored in the secret store and removed from the
    file (every other line stays as the admin wrote it)."""
    from softphone.logs import register_secret

    moved = False
    for section, name, key in SECRET_FIELDS:
        part = getattr(it, section)
        value = getattr(part, name)
        if value:
            if secrets is not None:
                secrets.set(key, value)
                moved = True
        elif secrets is not None:
            try:
                value = secrets.get(key)
            except Exception as exc:
                log.warning("cannot read the %s secret: %s", section, exc)
                value = None
        register_secret(value)
        it = dataclasses.replace(it, **{section: dataclasses.replace(part, **{name: value})})
    if moved and strip_secrets_from_file(profile):
        log.info("Provisioned integration secrets moved to %s and removed from softphone.toml",
                 secrets.where)
    return it


def strip_secrets_from_file(profile: Path) -> bool:
    import tomlkit

    from softphone.settings_file import settings_path, write_atomically

    path = settings_path(profile)
    try:
        doc = tomlkit.parse(path.read_text("utf-8"))
    except (FileNotFoundError, tomlkit.exceptions.ParseError):
        return False
    changed = False
    for section, name, _key in SECRET_FIELDS:
        table = doc.get(section)
        if table is not None and name in table:
            del table[name]
            changed = True
    if changed:
        write_atomically(path, tomlkit.dumps(doc))
    return changed


def click_to_call_token(secrets: Any, *, renew: bool = False) -> str:
    """The profile's click-to-call token (made on first use; ``renew`` makes a new one)."""
    import secrets as random_source

    token = None if renew else secrets.get(CLICK_TO_CALL_TOKEN)
    if not token:
        token = random_source.token_urlsafe(24)
        secrets.set(CLICK_TO_CALL_TOKEN, token)
    return str(token)


def diagnostics_lines(profile: Path, it: IntegrationSettings) -> list[str]:
    """What is on, and what waits in the outbox (for ``softphone diagnostics``; no secrets)."""
    lines = [
        f"CardDAV: {it.carddav.url} (every {it.carddav.interval} min)" if it.carddav.enabled
        else "CardDAV: off",
        f"directory: {it.directory.url} {it.directory.base_dn} (timeout "
        f"{it.directory.timeout:g} s)" if it.directory.enabled else "directory: off",
        f"webhooks: {it.webhooks.url} ({', '.join(it.webhooks.events)})"
        if it.webhooks.enabled else "webhooks: off",
        f"Bitrix24: on (user {it.bitrix24.user_id or it.bitrix24.user_phone_inner})"
        if it.bitrix24.enabled else "Bitrix24: off",
        f"click-to-call: 127.0.0.1:{it.click_to_call.port}" if it.click_to_call.enabled
        else "click-to-call: off",
    ]
    from softphone.integrations.outbox import OUTBOX_FILE, REFUSED, Outbox

    if (profile / OUTBOX_FILE).exists():
        try:
            outbox = Outbox.in_profile(profile)
            try:
                for target in outbox.pending_targets():
                    head = outbox.head(target)
                    lines.append(f"outbox {target}: {outbox.pending_count(target)} waiting"
                                 + (f", last error: {head.last_error}" if head is not None
                                    and head.last_error else ""))
                refused = outbox.events(state=REFUSED, limit=5)
                lines += [f"outbox {e.target}: refused {e.kind} {e.event_id}: {e.last_error}"
                          for e in refused]
            finally:
                outbox.close()
        except Exception as exc:
            lines.append(f"outbox: cannot be read: {exc}")
    return lines
