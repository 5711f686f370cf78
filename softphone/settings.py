"""The profile's ``softphone.toml``: typed settings with defaults and validation.

An office admin provisions this file, so every error names the key and the line, and a file
that is refused is never rewritten. Passwords are moved into the OS keyring (see
:mod:`softphone.secrets`) and removed from the file after the first successful start.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from softphone.integrations.config import IntegrationSettings

from softphone.settings_file import (
    SettingsError,
    TableReader,
    line_of,
    settings_path,
    write_atomically,
)
from softphone.settings_network import account_network_fields, rtp_range

SECRET_KEYS = ("password", "turn_password")  # go to the keyring, never back to the file
TRANSPORTS = ("udp", "tcp", "tls")
DTMF_METHODS = ("rfc4733", "info")


@dataclass(frozen=True)
class SipSettings:
    listen_host: str = "0.0.0.0"
    listen_port: int = 5060
    rtp_port: int = 4000  # the first media port: ``rtp_ports = "4000-4999"`` in the file
    user_agent: str = "softphone"
    rtp_port_count: int = 1000

    @property
    def rtp_ports(self) -> str:
        """The media port range as the file writes it ("4000-4999"): a firewall rule needs it."""
        return f"{self.rtp_port}-{self.rtp_port + self.rtp_port_count - 1}"

    @property
    def listen(self) -> str:
        return f"{self.listen_host}:{self.listen_port}"


@dataclass(frozen=True)
class AccountSettings:
    name: str
    address: str
    registrar: str | None = None
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    transport: str = "udp"
    outbound_proxy: str | None = None
    tls_verify: bool = True
    dtmf_method: str = "rfc4733"
    register_expires: int = 300
    enabled: bool = True
    #: colleagues whose presence this account watches: SIP URIs, or extensions on its server
    colleagues: tuple[str, ...] = ()
    #: what the Voicemail button dials: an extension (``*97``), a number or a SIP URI
    voicemail: str | None = None
    #: subscribe for message-waiting (MWI); None: when ``voicemail`` is set
    mwi: bool | None = None
    #: publish our state (available, on a call, DND) to the server; None: when
    #: ``colleagues`` are listed
    publish_presence: bool | None = None
    # NAT traversal and encrypted media (softphone/settings_network.py validates them)
    stun_server: str = ""  # "stun.example.org:3478"; "": none
    ice: bool = False  # always on while turn_server is set (PJSIP relays only through ICE)
    turn_server: str = ""
    turn_username: str = ""
    turn_password: str | None = dataclasses.field(default=None, repr=False)  # keyring
    turn_transport: str = "udp"  # udp | tcp | tls
    public_address: str = ""  # a fixed public IP (a router forwarding the SIP and RTP ports)
    keepalive_seconds: int = 15  # UDP keep-alives holding the router's mapping; 0: off
    srtp: str = "optional"  # off | optional | mandatory (SDES)
    srtp_require_tls: bool = True  # SDES keys only over TLS

    @property
    def is_lan(self) -> bool:
        """A LAN account registers nowhere and calls peers directly."""
        return not self.registrar

    @property
    def auth_username(self) -> str:
        if self.username:
            return self.username
        m = re.match(r"^sips?:([^@;]+)@", self.address)
        return m.group(1) if m else ""

    @property
    def subscribes_mwi(self) -> bool:
        """Whether the account subscribes for message-waiting at its server."""
        return (self.voicemail is not None) if self.mwi is None else self.mwi

    @property
    def publishes_presence(self) -> bool:
        """Whether the account publishes our presence state to its server."""
        return bool(self.colleagues) if self.publish_presence is None else self.publish_presence


@dataclass(frozen=True)
class CallSettings:
    auto_answer: bool = False
    auto_answer_delay: int = 0
    dnd: bool = False
    forward_always: str | None = None
    forward_busy: str | None = None
    forward_no_answer: str | None = None
    forward_no_answer_after: int = 20
    record_all: bool = False
    #: ghost-call protection: INVITEs only from an account's registrar / outbound proxy (or,
    #: for a LAN account, the local network); others get 403 and never ring
    only_from_my_servers: bool = True
    outcomes: tuple[str, ...] = (
        "Interested",
        "Not interested",
        "Call back",
        "Wrong number",
        "Voicemail",
        "Resolved",
    )


# Codecs the engine can offer, as named in ``[audio] codecs`` (matched without case).
KNOWN_CODECS: tuple[str, ...] = ("opus", "G722", "PCMA", "PCMU", "speex/8000", "speex/16000",
                                 "speex/32000", "iLBC", "GSM")
DEFAULT_CODECS: tuple[str, ...] = ("opus", "G722", "PCMA", "PCMU")
ECHO_TAIL_MIN_MS, ECHO_TAIL_MAX_MS = 50, 800


@dataclass(frozen=True)
class AudioSettings:
    input: str | None = None
    output: str | None = None
    ringer: str | None = None
    ring_volume: float = 0.8
    # offered first, in this order; the engine's other codecs follow
    codecs: tuple[str, ...] = DEFAULT_CODECS
    #: PJSIP's echo canceller on the call (WebRTC; Speex at rates WebRTC does not take)
    echo_cancellation: bool = True
    noise_suppression: bool = True
    automatic_gain: bool = False
    #: the longest echo the canceller covers, ms (the speakers' sound coming back)
    echo_tail_ms: int = 250
    #: "speex" (measured better here, bench/README.md) or "webrtc" (8/16 kHz calls)
    echo_canceller: str = "speex"


@dataclass(frozen=True)
class CrmSettings:
    database_url: str | None = None
    #: ISO country of national numbers ("8 495 ...": RU); "" none: such numbers are kept as
    #: they came and normalised once a region is set (never a guessed country)
    default_region: str = ""
    agent: str | None = None


@dataclass(frozen=True)
class UiSettings:
    language: str | None = None
    start_minimized: bool = False
    close_to_tray: bool = True
    #: an XDG autostart entry (Linux) starts the app, minimized, when the user logs in
    start_at_login: bool = False
    #: a source install registers tel:/sip:/callto: links and a desktop entry for the user
    register_handlers: bool = True
    #: the "Connect your phone" page while no account exists (skipping it turns this off)
    first_start_page: bool = True
    #: desktop-wide keys (X11 only); "" turns one off
    shortcut_answer: str = "Ctrl+Alt+A"
    shortcut_hangup: str = "Ctrl+Alt+H"
    shortcut_mute: str = "Ctrl+Alt+M"


@dataclass(frozen=True)
class OfficeSettings:
    #: announce ourselves to colleagues on the LAN and list theirs (LAN accounts only)
    presence: bool = True


@dataclass(frozen=True)
class Settings:
    sip: SipSettings = field(default_factory=SipSettings)
    accounts: tuple[AccountSettings, ...] = ()
    calls: CallSettings = field(default_factory=CallSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    crm: CrmSettings = field(default_factory=CrmSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    office: OfficeSettings = field(default_factory=OfficeSettings)
    #: CardDAV, LDAP directory, webhooks, Bitrix24, click-to-call (softphone/integrations)
    integrations: IntegrationSettings = field(default_factory=lambda: _default_integrations())


def _default_integrations() -> IntegrationSettings:
    from softphone.integrations.config import default_integrations

    return default_integrations()


def default_lan_account() -> AccountSettings:
    """The account used when none is configured: direct LAN calls, no server."""
    user = re.sub(r"[^A-Za-z0-9._-]", "", os.environ.get("USER", "") or "") or "softphone"
    return AccountSettings(name="LAN", address=f"sip:{user}@0.0.0.0")


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_settings(text: str, path: Path) -> Settings:
    """Parse and validate settings text; raises :class:`SettingsError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None

    top = TableReader(path, text, data, "")
    sip = _parse_sip(_table(top, "sip"), path, text)
    calls = _parse_calls(_table(top, "calls"), path, text)
    audio = _parse_audio(_table(top, "audio"), path, text)
    crm = _parse_crm(_table(top, "crm"), path, text)
    ui = _parse_ui(_table(top, "ui"), path, text)
    office_reader = TableReader(path, text, _table(top, "office"), "office")
    office = OfficeSettings(presence=office_reader.get("presence", bool, True))
    office_reader.check_unknown()
    from softphone.integrations.config import parse_integrations

    integrations = parse_integrations(top, path, text)
    raw_accounts = top.get("accounts", list, [])
    accounts: list[AccountSettings] = []
    names: set[str] = set()
    for i, raw in enumerate(raw_accounts):
        where = f"accounts[{i}]"
        if not isinstance(raw, dict):
            raise SettingsError(f"{path}: {where}: expected a table ([[accounts]])")
        account = _parse_account(TableReader(path, text, raw, where))
        if account.name in names:
            raise SettingsError(
                f"{path}: {where}.name (line {line_of(text, where, 'name')}): "
                f"duplicate account name {account.name!r}"
            )
        names.add(account.name)
        accounts.append(account)
    top.check_unknown()
    return Settings(sip=sip, accounts=tuple(accounts), calls=calls, audio=audio, crm=crm, ui=ui,
                    office=office, integrations=integrations)


def _table(top: TableReader, name: str) -> dict[str, Any]:
    table: dict[str, Any] = top.get(name, dict, {})
    return table


def _parse_sip(table: dict[str, Any], path: Path, text: str) -> SipSettings:
    r = TableReader(path, text, table, "sip")
    listen = r.text_or_none("listen") or "0.0.0.0:5060"
    m = re.match(r"^(\[[0-9a-fA-F:]+\]|[^:\s]+)(?::(\d+))?$", listen)
    if not m:
        raise r.fail("listen", f"expected address:port, got {listen!r}")
    host = m.group(1).strip("[]")
    port = int(m.group(2)) if m.group(2) else 5060
    if not 0 <= port <= 65535:
        raise r.fail("listen", f"port must be between 0 and 65535, got {port}")
    rtp_port, rtp_count = rtp_range(r, SipSettings.rtp_port, SipSettings.rtp_port_count)
    user_agent = r.text_or_none("user_agent") or "softphone"
    r.check_unknown()
    return SipSettings(listen_host=host, listen_port=port, rtp_port=rtp_port, user_agent=user_agent,
                       rtp_port_count=rtp_count)


def _parse_account(r: TableReader) -> AccountSettings:
    name = r.text_or_none("name")
    if not name:
        raise r.fail("name", "is required")
    address = r.sip_uri("address", required=True)
    assert address is not None
    if "@" not in address:
        raise r.fail("address", f"needs a user part (sip:user@host), got {address!r}")
    transport = r.choice("transport", TRANSPORTS, "udp")
    account = AccountSettings(
        name=name,
        address=address,
        registrar=r.sip_uri("registrar"),
        username=r.text_or_none("username"),
        password=r.get("password", str, None),
        transport=transport,
        outbound_proxy=r.sip_uri("outbound_proxy"),
        tls_verify=r.get("tls_verify", bool, True),
        dtmf_method=r.choice("dtmf_method", DTMF_METHODS, "rfc4733"),
        register_expires=r.int_range("register_expires", 300, 30, 86400),
        enabled=r.get("enabled", bool, True),
        colleagues=_parse_colleagues(r),
        voicemail=_parse_dialable(r, "voicemail"),
        mwi=r.get("mwi", bool, None),
        publish_presence=r.get("publish_presence", bool, None),
        **account_network_fields(r, transport),
    )
    r.check_unknown()
    return account


#: an extension (``*97``, ``1001``), a phone number or a SIP URI (voicemail, colleagues)
DIALABLE = re.compile(r"^(sips?:[^\s<>\"]+|[+*#\d][\d\s()*#\-.]*|[A-Za-z0-9._+*#-]+)$")


def _parse_dialable(r: TableReader, key: str) -> str | None:
    """An extension (``*97``, ``1001``), a phone number or a SIP URI."""
    value = r.text_or_none(key)
    if value is not None and not DIALABLE.match(value):
        raise r.fail(key, f"expected an extension, a number or a SIP URI, got {value!r}")
    return value


def _parse_colleagues(r: TableReader) -> tuple[str, ...]:
    values = r.get("colleagues", list, [])
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not DIALABLE.match(value.strip()):
            raise r.fail("colleagues", "expected a list of SIP URIs or extensions, got "
                                        f"{value!r}")
        if value.strip() not in out:
            out.append(value.strip())
    return tuple(out)


def _parse_target(r: TableReader, key: str) -> str | None:
    value = r.text_or_none(key)
    if value is not None and not re.match(r"^(sips?:\S+|[+\d][\d\s()\-.]*)$", value):
        raise r.fail(key, f"expected a SIP URI or a phone number, got {value!r}")
    return value


def _parse_calls(table: dict[str, Any], path: Path, text: str) -> CallSettings:
    r = TableReader(path, text, table, "calls")
    outcomes = r.get("outcomes", list, list(CallSettings.outcomes))
    if not all(isinstance(o, str) and o.strip() for o in outcomes):
        raise r.fail("outcomes", "expected a list of non-empty strings")
    calls = CallSettings(
        auto_answer=r.get("auto_answer", bool, False),
        auto_answer_delay=r.int_range("auto_answer_delay", 0, 0, 600),
        dnd=r.get("dnd", bool, False),
        forward_always=_parse_target(r, "forward_always"),
        forward_busy=_parse_target(r, "forward_busy"),
        forward_no_answer=_parse_target(r, "forward_no_answer"),
        forward_no_answer_after=r.int_range("forward_no_answer_after", 20, 1, 600),
        record_all=r.get("record_all", bool, False),
        only_from_my_servers=r.get("only_from_my_servers", bool, True),
        outcomes=tuple(o.strip() for o in outcomes),
    )
    r.check_unknown()
    return calls


def _parse_audio(table: dict[str, Any], path: Path, text: str) -> AudioSettings:
    r = TableReader(path, text, table, "audio")
    volume = r.get("ring_volume", float, 0.8)
    if not 0.0 <= volume <= 1.0:
        raise r.fail("ring_volume", f"must be between 0.0 and 1.0, got {volume}")
    audio = AudioSettings(
        input=r.text_or_none("input"),
        output=r.text_or_none("output"),
        ringer=r.text_or_none("ringer"),
        ring_volume=volume,
        codecs=_parse_codecs(r),
        echo_cancellation=r.get("echo_cancellation", bool, True),
        noise_suppression=r.get("noise_suppression", bool, True),
        automatic_gain=r.get("automatic_gain", bool, False),
        echo_tail_ms=r.int_range("echo_tail_ms", 250, ECHO_TAIL_MIN_MS, ECHO_TAIL_MAX_MS),
        echo_canceller=r.choice("echo_canceller", ("speex", "webrtc"), "speex"),
    )
    r.check_unknown()
    return audio


def _parse_codecs(r: TableReader) -> tuple[str, ...]:
    names = r.get("codecs", list, list(DEFAULT_CODECS))
    canonical = {c.lower(): c for c in KNOWN_CODECS}
    result: list[str] = []
    for name in names:
        if not isinstance(name, str) or name.strip().lower() not in canonical:
            raise r.fail("codecs", f"unknown codec {name!r}; known: {', '.join(KNOWN_CODECS)}")
        codec = canonical[name.strip().lower()]
        if codec in result:
            raise r.fail("codecs", f"{codec} is listed twice")
        result.append(codec)
    if not result:
        raise r.fail("codecs", "list at least one codec")
    return tuple(result)


def _parse_crm(table: dict[str, Any], path: Path, text: str) -> CrmSettings:
    r = TableReader(path, text, table, "crm")
    region = (r.text_or_none("default_region") or "").upper()
    if region and not re.match(r"^[A-Z]{2}$", region):
        raise r.fail("default_region", f"expected a two-letter country code, got {region!r}")
    url = r.text_or_none("database_url")
    if url is not None and not re.match(r"^[a-z][a-z0-9+]*://", url):
        raise r.fail("database_url", f"expected a database URL (sqlite:///..., "
                      f"postgresql+psycopg://...), got {url!r}")
    crm = CrmSettings(database_url=url, default_region=region, agent=r.text_or_none("agent"))
    r.check_unknown()
    return crm


def _parse_ui(table: dict[str, Any], path: Path, text: str) -> UiSettings:
    r = TableReader(path, text, table, "ui")
    language = r.text_or_none("language")
    if language is not None and language not in ("en", "ru", "system"):
        raise r.fail("language", f"must be en, ru or system, got {language!r}")
    ui = UiSettings(
        language=None if language == "system" else language,
        start_minimized=r.get("start_minimized", bool, False),
        close_to_tray=r.get("close_to_tray", bool, True),
        start_at_login=r.get("start_at_login", bool, False),
        register_handlers=r.get("register_handlers", bool, True),
        first_start_page=r.get("first_start_page", bool, True),
        shortcut_answer=_parse_shortcut(r, "shortcut_answer", UiSettings.shortcut_answer),
        shortcut_hangup=_parse_shortcut(r, "shortcut_hangup", UiSettings.shortcut_hangup),
        shortcut_mute=_parse_shortcut(r, "shortcut_mute", UiSettings.shortcut_mute),
    )
    r.check_unknown()
    taken: dict[str, str] = {}
    for key in ("shortcut_answer", "shortcut_hangup", "shortcut_mute"):
        value = getattr(ui, key)
        if value and value in taken:
            other = taken[value]  # name the line the admin wrote (the other may be a default)
            blamed, first = (key, other) if key in r.table else (other, key)
            raise r.fail(blamed, f"{value} is already the shortcut of {first}")
        taken.setdefault(value, key)
    return ui


def _parse_shortcut(r: TableReader, key: str, default: str) -> str:
    """A global shortcut in its canonical spelling; "" (or blanks) turns it off."""
    from softphone.shortcuts import ShortcutError, parse_shortcut

    value = r.get(key, str, default).strip()
    if not value:
        return ""
    try:
        return str(parse_shortcut(value))
    except ShortcutError as exc:
        raise r.fail(key, str(exc)) from None


# ---------------------------------------------------------------------------------------------
# Files


def load_settings(profile: Path) -> Settings:
    """Read ``<profile>/softphone.toml``; a missing file gives the defaults."""
    path = settings_path(profile)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SettingsError(f"{path}: line {line}: not UTF-8 text") from None
    return parse_settings(text, path)


def _to_toml_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def save_settings(profile: Path, settings: Settings) -> None:
    """Write settings back, keeping the admin's comments and layout; never writes passwords.

    The file is replaced atomically so a crash never leaves half a file.
    """
    import tomlkit  # only when writing: ~8 ms off the start-up path

    path = settings_path(profile)
    try:
        doc = tomlkit.parse(path.read_text("utf-8"))
    except FileNotFoundError:
        doc = tomlkit.document()

    def put(table: Any, values: dict[str, Any], defaults: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None or (key not in table and value == defaults.get(key)):
                if value is None and key in table:
                    del table[key]
                continue
            table[key] = _to_toml_value(value)

    def sip_keys(sip: SipSettings) -> dict[str, Any]:
        values = dataclasses.asdict(sip)
        for key in ("listen_host", "listen_port", "rtp_port", "rtp_port_count"):
            del values[key]
        return {"listen": sip.listen, "rtp_ports": sip.rtp_ports, **values}

    sip_values, sip_defaults = sip_keys(settings.sip), sip_keys(SipSettings())
    if "sip" in doc and "rtp_port" in doc["sip"]:
        del doc["sip"]["rtp_port"]  # the older key; rtp_ports says it now
        sip_defaults.pop("rtp_ports")
    for name, values, defaults in (
        ("sip", sip_values, sip_defaults),
        ("calls", dataclasses.asdict(settings.calls), dataclasses.asdict(CallSettings())),
        ("audio", dataclasses.asdict(settings.audio), dataclasses.asdict(AudioSettings())),
        ("crm", dataclasses.asdict(settings.crm), dataclasses.asdict(CrmSettings())),
        ("ui", dataclasses.asdict(settings.ui), dataclasses.asdict(UiSettings())),
        ("office", dataclasses.asdict(settings.office), dataclasses.asdict(OfficeSettings())),
        *_integration_tables(settings),
    ):
        if name not in doc:
            if values == defaults and name not in _CORE_TABLES:
                continue  # no empty [carddav], [webhooks], ... tables in a file that uses none
            doc[name] = tomlkit.table()
        put(doc[name], values, defaults)

    old_accounts = {a.get("name"): a for a in doc.get("accounts", [])}
    accounts = tomlkit.aot()
    account_defaults = dataclasses.asdict(AccountSettings(name="", address=""))
    for account in settings.accounts:
        table = old_accounts.get(account.name) or tomlkit.table()
        values = dataclasses.asdict(account)
        for secret in SECRET_KEYS:
            values.pop(secret)
        put(table, values, account_defaults)
        for secret in SECRET_KEYS:
            if secret in table:
                del table[secret]
        accounts.append(table)
    if "accounts" in doc:
        del doc["accounts"]
    if settings.accounts:
        doc["accounts"] = accounts
    write_atomically(path, tomlkit.dumps(doc))


_CORE_TABLES = ("sip", "calls", "audio", "crm", "ui", "office")


def _integration_tables(settings: Settings) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    from softphone.integrations.config import integration_tables

    return integration_tables(settings.integrations)


def strip_passwords_from_file(profile: Path) -> bool:
    """Remove provisioned ``password`` / ``turn_password`` keys from the file once they are
    in the keyring.

    Only the password lines go; every comment and other key stays as the admin wrote it.
    Returns True when the file changed.
    """
    import tomlkit

    path = settings_path(profile)
    try:
        doc = tomlkit.parse(path.read_text("utf-8"))
    except (FileNotFoundError, tomlkit.exceptions.ParseError):
        return False
    changed = False
    for table in doc.get("accounts", []):
        for secret in SECRET_KEYS:
            if secret in table:
                del table[secret]
                changed = True
    if changed:
        write_atomically(path, tomlkit.dumps(doc))
    return changed
