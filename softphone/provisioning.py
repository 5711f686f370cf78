"""First-start provisioning: passwords (the account's and its TURN server's) from softphone.toml
into the keyring, out of the file."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from softphone.logs import register_secret
from softphone.secrets import SecretStore
from softphone.settings import (
    AccountSettings,
    Settings,
    default_lan_account,
    strip_passwords_from_file,
)
from softphone.settings_network import turn_secret_name

log = logging.getLogger("softphone")


def accounts_with_passwords(
    profile: Path, settings: Settings, secrets: SecretStore | None = None
) -> tuple[AccountSettings, ...]:
    """The configured accounts with passwords filled in from the secret store.

    A password provisioned in the settings file is stored in the keyring (or the documented
    fallback file) and removed from softphone.toml, keeping every other line as written.
    With no account configured, a LAN account is returned so the phone works with no server.
    """
    secrets = secrets or SecretStore(profile)
    moved = False
    result: list[AccountSettings] = []
    for account in settings.accounts:
        password = account.password
        if password:
            secrets.set(account.name, password)
            moved = True
        else:
            password = secrets.get(account.name)
        register_secret(password)
        turn_password = account.turn_password
        if turn_password:
            secrets.set(turn_secret_name(account.name), turn_password)
            moved = True
        elif account.turn_server:
            turn_password = secrets.get(turn_secret_name(account.name))
        register_secret(turn_password)
        result.append(dataclasses.replace(account, password=password,
                                          turn_password=turn_password))
    if moved and strip_passwords_from_file(profile):
        log.info("Provisioned passwords moved to %s and removed from softphone.toml",
                 secrets.where)
    if not result:
        result.append(default_lan_account())
    return tuple(result)
