"""Settings > Accounts > Advanced: NAT traversal and encrypted media of one account (the keys
of softphone/settings_network.py: STUN, ICE, TURN, public address, keep-alives, SRTP).

Only edits values; the settings dialog stores them with the account and the TURN password
in the keyring like the account's password.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from softphone.settings import AccountSettings
from softphone.settings_network import (
    SRTP_MODES,
    TURN_TRANSPORTS,
    split_host_port,
    valid_public_address,
)

# the AccountSettings fields this box edits (besides the TURN password)
NETWORK_KEYS = ("stun_server", "ice", "turn_server", "turn_username", "turn_transport",
                "public_address", "keepalive_seconds", "srtp", "srtp_require_tls")


class AccountAdvanced(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Advanced: behind a router / over the internet"))
        self.setObjectName("accountAdvanced")
        form = QFormLayout(self)
        self.stun_server = QLineEdit(self)
        self.stun_server.setPlaceholderText(self.tr("stun.example.org:3478 (empty: none)"))
        self.ice = QCheckBox(self.tr("Use ICE (always on with a TURN server)"), self)
        self.turn_server = QLineEdit(self)
        self.turn_server.setPlaceholderText(self.tr("turn.example.org:3478 (empty: none)"))
        self.turn_username = QLineEdit(self)
        self.turn_password = QLineEdit(self)
        self.turn_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.turn_transport = QComboBox(self)
        self.turn_transport.addItems(list(TURN_TRANSPORTS))
        self.public_address = QLineEdit(self)
        self.public_address.setPlaceholderText(
            self.tr("the router's public IP, when it forwards the SIP and media ports"))
        self.keepalive = QSpinBox(self)
        self.keepalive.setRange(0, 3600)
        self.keepalive.setSuffix(self.tr(" s"))
        self.keepalive.setSpecialValueText(self.tr("off"))
        self.srtp = QComboBox(self)
        for mode, text in (("off", self.tr("Off")),
                           ("optional", self.tr("When the other side can (optional)")),
                           ("mandatory", self.tr("Always: refuse unencrypted calls"))):
            self.srtp.addItem(text, mode)
        self.srtp_require_tls = QCheckBox(self.tr("Send the encryption keys only over TLS"),
                                          self)
        for label, field in ((self.tr("STUN server"), self.stun_server),
                             (self.tr("TURN server"), self.turn_server),
                             (self.tr("TURN user name"), self.turn_username),
                             (self.tr("TURN password"), self.turn_password),
                             (self.tr("TURN transport"), self.turn_transport),
                             (self.tr("Public address"), self.public_address),
                             (self.tr("Keep-alive every"), self.keepalive),
                             (self.tr("Encrypted calls (SRTP)"), self.srtp)):
            form.addRow(label, field)
            if field is self.stun_server:
                form.addRow(self.ice)
        form.addRow(self.srtp_require_tls)
        self.turn_server.textChanged.connect(self._on_turn_server_changed)

    def _on_turn_server_changed(self, text: str) -> None:
        # PJSIP relays media only through ICE: with a TURN server, ICE is on
        has_turn = bool(text.strip())
        self.ice.setEnabled(not has_turn)
        if has_turn:
            self.ice.setChecked(True)

    def load(self, account: AccountSettings, turn_password: str | None) -> None:
        self.stun_server.setText(account.stun_server)
        self.turn_server.setText(account.turn_server)
        self.ice.setChecked(account.ice or bool(account.turn_server))
        self.turn_username.setText(account.turn_username)
        self.turn_password.setText(turn_password or account.turn_password or "")
        self.turn_transport.setCurrentText(account.turn_transport)
        self.public_address.setText(account.public_address)
        self.keepalive.setValue(account.keepalive_seconds)
        self.srtp.setCurrentIndex(max(0, self.srtp.findData(account.srtp)))
        self.srtp_require_tls.setChecked(account.srtp_require_tls)

    def values(self, transport: str) -> dict[str, Any]:
        """The fields as AccountSettings values; ValueError with a sentence for the user
        when one is not usable (the same rules as softphone.toml)."""
        stun = self.stun_server.text().strip()
        turn = self.turn_server.text().strip()
        for name, value in ((self.tr("STUN server"), stun), (self.tr("TURN server"), turn)):
            if value:
                try:
                    split_host_port(value.split(":", 1)[1] if value.lower().startswith(
                        ("stun:", "turn:")) else value)
                except ValueError as exc:
                    raise ValueError(self.tr("%1: expected host or host:port (%2)")
                                     .replace("%1", name).replace("%2", str(exc))) from None
        public = self.public_address.text().strip()
        if public and not valid_public_address(public):
            raise ValueError(self.tr("Public address: expected the router's public IP "
                                     "address, e.g. 203.0.113.7"))
        username = self.turn_username.text().strip()
        if (username or self.turn_password.text()) and not turn:
            raise ValueError(self.tr("A TURN user name or password needs a TURN server."))
        srtp = str(self.srtp.currentData() or "optional")
        assert srtp in SRTP_MODES
        require_tls = self.srtp_require_tls.isChecked()
        if srtp == "mandatory" and require_tls and transport != "tls":
            raise ValueError(self.tr(
                "Always-encrypted calls send their keys only over TLS: choose the TLS "
                "transport, or untick \"Send the encryption keys only over TLS\"."))
        return {
            "stun_server": stun, "ice": self.ice.isChecked() or bool(turn),
            "turn_server": turn, "turn_username": username,
            "turn_transport": self.turn_transport.currentText(),
            "public_address": public.strip("[]"),
            "keepalive_seconds": self.keepalive.value(), "srtp": srtp,
            "srtp_require_tls": require_tls,
        }

    def turn_password_value(self) -> str | None:
        return self.turn_password.text() or None
