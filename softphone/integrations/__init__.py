"""The phone and the rest of the office: CardDAV contacts, an LDAP directory, webhooks, Bitrix24
and a local click-to-call endpoint. No Qt here; ``softphone/app.py`` wires these to the window.

Importing this package costs nothing: each module is imported only when its feature is
configured (HTTP and HMAC load OpenSSL, which an idle phone does without)."""
