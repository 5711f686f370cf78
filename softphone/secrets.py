"""Account passwords: the OS keyring, with an explicit file fallback.

The keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) is used
whenever a real backend is available. When there is none (a headless box, a minimal desktop),
passwords go to ``<profile>/credentials.toml`` readable only by the user (mode 0600), and a
warning says so once. ``SOFTPHONE_KEYRING=file`` forces the file; ``=keyring`` forbids it.
Passwords never go to the settings file, the database or a log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tomllib
from pathlib import Path

from softphone.settings_file import write_atomically

log = logging.getLogger("softphone.secrets")
SERVICE = "softphone"
FALLBACK_FILE = "credentials.toml"


def _keyring_usable() -> bool:
    choice = os.environ.get("SOFTPHONE_KEYRING", "auto")
    if choice == "file":
        return False
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        usable = not isinstance(backend, fail.Keyring) and backend.priority > 0
    except Exception:
        usable = False
    if not usable and choice == "keyring":
        raise RuntimeError("SOFTPHONE_KEYRING=keyring but no OS keyring backend is available")
    return usable


class SecretStore:
    """Get and set account passwords for one profile."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self._use_keyring: bool | None = None
        if os.environ.get("SOFTPHONE_KEYRING", "auto") != "auto":
            _ = self.use_keyring  # an explicit choice is checked (and refused) at once

    @property
    def use_keyring(self) -> bool:
        """Probed on first use: loading the keyring backends costs ~90 ms of CPU, which the
        window should not wait for (bench/bench_startup.py)."""
        if self._use_keyring is None:
            self._use_keyring = _keyring_usable()
            if not self._use_keyring:
                log.warning(
                    "No OS keyring available: account passwords are kept in %s (mode 0600). "
                    "Install a Secret Service (e.g. gnome-keyring) to use the OS keyring.",
                    self.fallback_path,
                )
        return self._use_keyring

    @property
    def fallback_path(self) -> Path:
        return self.profile / FALLBACK_FILE

    @property
    def where(self) -> str:
        return "OS keyring" if self.use_keyring else str(self.fallback_path)

    def _key(self, account: str) -> str:
        return f"{self.profile}:{account}"

    def get(self, account: str) -> str | None:
        if self.use_keyring:
            import keyring

            return keyring.get_password(SERVICE, self._key(account))
        try:
            data = tomllib.loads(self.fallback_path.read_text("utf-8"))
        except (FileNotFoundError, tomllib.TOMLDecodeError):
            return None
        value = data.get("passwords", {}).get(account)
        return value if isinstance(value, str) else None

    def set(self, account: str, password: str | None) -> None:
        if self.use_keyring:
            import keyring

            if password is None:
                with contextlib.suppress(keyring.errors.PasswordDeleteError):
                    keyring.delete_password(SERVICE, self._key(account))
            else:
                keyring.set_password(SERVICE, self._key(account), password)
            return
        import tomlkit  # only when writing the fallback file

        try:
            doc = tomlkit.parse(self.fallback_path.read_text("utf-8"))
        except (FileNotFoundError, tomlkit.exceptions.ParseError):
            doc = tomlkit.document()
            doc.add(tomlkit.comment("softphone account passwords (no OS keyring available)"))
        table = doc.setdefault("passwords", tomlkit.table())
        if password is None:
            table.pop(account, None)
        else:
            table[account] = password
        write_atomically(self.fallback_path, tomlkit.dumps(doc), mode=0o600)
        os.chmod(self.fallback_path, 0o600)
