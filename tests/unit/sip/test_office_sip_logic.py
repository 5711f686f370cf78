"""Pure logic of the office features over SIP: message-summary bodies, presence states,
and the account keys that turn them on."""

from __future__ import annotations

import re
from pathlib import Path

import pjsua2 as pj
import pytest

from softphone.settings import AccountSettings, SettingsError, load_settings, save_settings
from softphone.settings import settings_path as path_of
from softphone.sip.messaging import plain_uri
from softphone.sip.presence import colleague_uri, presence_state
from softphone.sip.voicemail import MessageSummary, message_body, parse_message_summary


def test_message_summary_of_rfc_3842() -> None:
    body = ("Messages-Waiting: yes\r\nMessage-Account: sip:*97@pbx.example.com\r\n"
            "Voice-Message: 2/8 (0/2)\r\n")
    assert parse_message_summary(body) == MessageSummary(
        waiting=True, new=2, old=8, urgent_new=0, urgent_old=2,
        message_account="sip:*97@pbx.example.com")


@pytest.mark.parametrize(("body", "expected"), [
    ("messages-waiting: no\n", MessageSummary(waiting=False)),
    ("Messages-Waiting:yes\nvoice-message:3/0\n", MessageSummary(waiting=True, new=3)),
    # no voice class: every class counts
    ("Messages-Waiting: yes\nFax-Message: 1/1\nMultimedia-Message: 2/0 (1/0)\n",
     MessageSummary(waiting=True, new=3, old=1, urgent_new=1)),
    ("Messages-Waiting: yes\nVoice-Message: garbage\n", MessageSummary(waiting=True)),
    ("Voice-Message: 1/1\n", None),  # no Messages-Waiting line: not a summary
    ("", None),
])
def test_message_summary_variants(body: str, expected: MessageSummary | None) -> None:
    assert parse_message_summary(body) == expected


def test_message_body_after_the_headers() -> None:
    assert message_body("NOTIFY sip:a@h SIP/2.0\r\nEvent: x\r\n\r\nbody\r\n") == "body\r\n"
    assert message_body("no body") == ""


@pytest.mark.parametrize(("online", "activity", "note", "state"), [
    (pj.PJSUA_BUDDY_STATUS_ONLINE, pj.PJRPID_ACTIVITY_UNKNOWN, "Available", "available"),
    (pj.PJSUA_BUDDY_STATUS_ONLINE, pj.PJRPID_ACTIVITY_BUSY, "On the phone", "in_call"),
    (pj.PJSUA_BUDDY_STATUS_ONLINE, pj.PJRPID_ACTIVITY_BUSY, "Do not disturb", "dnd"),
    (pj.PJSUA_BUDDY_STATUS_ONLINE, pj.PJRPID_ACTIVITY_UNKNOWN, "Не беспокоить", "dnd"),
    (pj.PJSUA_BUDDY_STATUS_ONLINE, pj.PJRPID_ACTIVITY_AWAY, "", "away"),
    (pj.PJSUA_BUDDY_STATUS_ONLINE, pj.PJRPID_ACTIVITY_UNKNOWN, "On a call", "in_call"),
    (pj.PJSUA_BUDDY_STATUS_OFFLINE, pj.PJRPID_ACTIVITY_UNKNOWN, "Offline", "offline"),
    (pj.PJSUA_BUDDY_STATUS_UNKNOWN, pj.PJRPID_ACTIVITY_UNKNOWN, "", "unknown"),
])
def test_presence_states(online: int, activity: int, note: str, state: str) -> None:
    assert presence_state(online, activity, note) == state


def test_colleague_uris_on_the_account_server() -> None:
    account = AccountSettings(name="o", address="sip:100@pbx.example.com",
                              registrar="sip:pbx.example.com", transport="tcp")
    assert colleague_uri(account, "101") == "sip:101@pbx.example.com;transport=tcp"
    assert colleague_uri(account, "sip:bob@other.example") == "sip:bob@other.example"
    assert plain_uri('"Bob" <sip:bob@h:5060;transport=udp>') == "sip:bob@h:5060"


def test_account_office_keys_defaults_and_round_trip(tmp_path: Path) -> None:
    plain = AccountSettings(name="a", address="sip:a@h", registrar="sip:h")
    assert not plain.subscribes_mwi and not plain.publishes_presence
    path_of(tmp_path).write_text(
        '[[accounts]]\nname = "office"\naddress = "sip:100@pbx"\nregistrar = "sip:pbx"\n'
        'voicemail = "*97"\ncolleagues = ["101", "sip:bob@pbx", "101"]\n', "utf-8")
    account = load_settings(tmp_path).accounts[0]
    assert account.voicemail == "*97" and account.subscribes_mwi
    assert account.colleagues == ("101", "sip:bob@pbx")  # a repeat is listed once
    assert account.publishes_presence  # colleagues listed: our state is published
    save_settings(tmp_path, load_settings(tmp_path))
    assert load_settings(tmp_path).accounts[0] == account
    path_of(tmp_path).write_text(
        '[[accounts]]\nname = "o"\naddress = "sip:1@p"\nmwi = false\npublish_presence = false\n'
        'colleagues = ["7"]\nvoicemail = "*97"\n', "utf-8")
    account = load_settings(tmp_path).accounts[0]
    assert not account.subscribes_mwi and not account.publishes_presence


@pytest.mark.parametrize(("line", "key"), [
    ('voicemail = "call me <maybe>"', "accounts[0].voicemail"),
    ('colleagues = "101"', "accounts[0].colleagues"),
    ('colleagues = ["101", 102]', "accounts[0].colleagues"),
    ('mwi = "yes"', "accounts[0].mwi"),
])
def test_bad_office_keys_name_key_and_line(tmp_path: Path, line: str, key: str) -> None:
    path_of(tmp_path).write_text(
        f'[[accounts]]\nname = "o"\naddress = "sip:1@p"\n{line}\n', "utf-8")
    with pytest.raises(SettingsError, match=re.escape(f"{key} (line 4)")):
        load_settings(tmp_path)
