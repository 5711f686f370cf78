"""The office through a PBX, in the real app (two app processes, offscreen): colleagues'
presence through kamailio's presence server, chat between the apps and with baresip (from
the colleagues list and from the contact card, delivered and refused), voicemail counts from
a subscribed and an unsolicited NOTIFY, and the Voicemail button dialling the mailbox."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from softphone.crm.store import Store
from softphone.settings import AccountSettings, CrmSettings, Settings, SipSettings
from tests.harness.ports import free_port
from tests.harness.raw_sip import RawSip, message_summary
from tests.harness.sip_peers import PASSWORD, Baresip, Kamailio, wait_until
from tests.integration.hardening.apps import AppProcess, write_profile

pytestmark = [pytest.mark.integration, pytest.mark.ui]


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (see scripts/bootstrap.sh)")


@pytest.fixture
def presence_server(tmp_path: Path) -> Iterator[Kamailio]:
    need("kamailio")
    with Kamailio(workdir=tmp_path / "kamailio", presence=True) as k:
        yield k


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., AppProcess]]:
    made: list[AppProcess] = []

    def make(name: str, account: AccountSettings, seed: Callable[[Store], None] | None = None
             ) -> AppProcess:
        profile = tmp_path / name
        settings = Settings(
            sip=SipSettings(listen_host="127.0.0.1", listen_port=0, rtp_port=free_port(8)),
            accounts=(account,), crm=CrmSettings(default_region="RU", agent=name))
        write_profile(profile, settings, {account.name: PASSWORD})
        if seed is not None:  # the CRM as the user left it
            with Store.open(None, profile, default_region="RU", agent=name) as store:
                seed(store)
        app = AppProcess(profile, name=name)
        app.stderr_path = tmp_path / f"{name}.stderr"
        made.append(app)
        app.start()
        app.wait(f"result = engine.registration({account.name!r}) is not None and "
                 f"engine.registration({account.name!r}).state.value == 'registered'",
                 20.0, f"{name} to register")
        return app

    yield make
    bad = []
    for app in reversed(made):  # every app is closed before any complaint
        code = app.close(20.0)
        if code not in (0, None):
            bad.append(f"{app.name} exit code {code}\n{app.stderr_tail()}")
    assert not bad, bad


def account(k: Kamailio, user: str, **extra: object) -> AccountSettings:
    return AccountSettings(name=user, address=k.aor(user), registrar=k.uri, username=user,
                           **extra)  # type: ignore[arg-type]


STATES = "result = [(c.name, c.state) for c in window.colleagues.colleagues]"


def colleague_state(app: AppProcess, name: str, state: str) -> None:
    app.wait(f"{STATES}\nresult = ({name!r}, {state!r}) in result", 20.0,
             f"{name} shown {state} in {app.name}'s Colleagues tab")
    shown = app.run("v = window.colleagues\n"
                    f"row = [c.name for c in v.colleagues].index({name!r})\n"
                    "result = v.table.item(row, 3).text()")
    assert shown, "the state is written in the table"


def test_presence_chat_and_voicemail_between_two_apps(
        presence_server: Kamailio, make_app: Callable[..., AppProcess]) -> None:
    k = presence_server
    alice = make_app("alice", account(k, "alice", colleagues=("bob",), voicemail="*97"))
    bob = make_app("bob", account(k, "bob", colleagues=("alice",)))

    # presence: each sees the other; bob's do-not-disturb shows on alice's screen
    colleague_state(alice, "bob", "available")
    colleague_state(bob, "alice", "available")
    bob.run("window.dnd_action.setChecked(True)")
    colleague_state(alice, "bob", "dnd")
    assert alice.run("v = window.colleagues\nrow = [c.name for c in v.colleagues]"
                     ".index('bob')\nresult = v.table.item(row, 3).text()") == "do not disturb"
    bob.run("window.dnd_action.setChecked(False)")
    colleague_state(alice, "bob", "available")

    # chat from the Colleagues tab: Message opens a window, Enter sends
    alice.run("v = window.colleagues\n"
              "v.table.selectRow([c.name for c in v.colleagues].index('bob'))\n"
              "v.message_button.click()\n"
              "w = window.office_pbx.chat.windows['bob@127.0.0.1']\n"
              "w.pane.edit.setPlainText('Lunch at 1?')\n"
              "w.pane.send_button.click()")
    alice.wait("w = window.office_pbx.chat.windows['bob@127.0.0.1']\n"
               "result = [m.status for m in w.pane.messages] == ['delivered']", 15.0,
               "alice's message to show delivered")
    assert alice.run("w = window.office_pbx.chat.windows['bob@127.0.0.1']\n"
                     "result = w.pane.list.item(0).text()").endswith("delivered")
    # bob is told, and sees it unread in the status bar and beside alice's name
    bob.wait("result = window.office_pbx.chat.badge.isVisibleTo(window) and "
             "window.office_pbx.chat.badge.text()", 15.0, "bob's unread badge")
    assert bob.run("result = window.office_pbx.chat.badge.text()") == "✉ 1"
    assert "Message from alice" in bob.run("result = window.statusBar().currentMessage()")
    assert bob.run(f"{STATES}\nresult = [c.name for c in window.colleagues.colleagues]") == [
        "alice"]
    bob.wait("result = window.colleagues.table.item(0, 0).text()", 10.0, "the name")
    assert bob.run("result = window.colleagues.table.item(0, 0).text()") == "alice  ✉ 1"
    assert "Unread messages: 1" in bob.run("result = window.office_pbx.tray_lines()")
    # bob opens it from the badge: read, the badge goes; he answers
    bob.run("window.office_pbx.chat.badge.click()")
    bob.wait("w = window.office_pbx.chat.windows.get('alice@127.0.0.1')\n"
             "result = w is not None and [m.body for m in w.pane.messages] == ['Lunch at 1?']",
             10.0, "bob's chat window with alice's message")
    bob.wait("result = not window.office_pbx.chat.badge.isVisibleTo(window)", 10.0,
             "the badge to go once read")
    bob.run("w = window.office_pbx.chat.windows['alice@127.0.0.1']\n"
            "w.pane.edit.setPlainText('Sure, see you there')\nw.pane.send_button.click()")
    alice.wait("w = window.office_pbx.chat.windows['bob@127.0.0.1']\n"
               "result = [m.body for m in w.pane.messages]"
               " == ['Lunch at 1?', 'Sure, see you there']", 15.0, "bob's answer at alice's")

    # a message nobody can take: the contact card says it was not delivered, and why
    alice.run("window.test_box = []\n"
              "parts.db.submit(lambda s: s.create_contact('Nobody', phones=['5555']), "
              "window.test_box.append)")
    alice.wait("result = bool(window.test_box)", 10.0, "the contact")
    cid = alice.run("result = window.test_box[0].id")
    alice.run("window.tabs.setCurrentIndex(window.tabs.indexOf(window.contacts))\n"
              f"window.contacts.open_contact({cid})")
    alice.wait(f"c = window.contacts.card\nresult = c.contact is not None and "
               f"c.contact.id == {cid}", 10.0, "the card")
    alice.run("pane = window.contacts.card.chat\npane.edit.setPlainText('hello?')\n"
              "pane.send_button.click()")
    alice.wait("pane = window.contacts.card.chat\n"
               "result = [m.status for m in pane.messages] == ['failed']", 15.0,
               "the failure on the card")
    text = alice.run("result = window.contacts.card.chat.list.item(0).text()")
    assert "not delivered" in text and "404" in text, text

    # voicemail: the server's NOTIFY (alice subscribed) puts a count on the button; the
    # button calls the mailbox
    with RawSip("voicemail") as vm:
        answer = vm.request("PUBLISH", k.aor("alice"), ("127.0.0.1", k.port), to=k.aor("alice"),
                            headers={"Event": "message-summary", "Expires": "3600"},
                            body=message_summary(2, 1),
                            content_type="application/simple-message-summary")
        assert answer.code == 200
        alice.wait("result = window.office_pbx.voicemail.button.text() == 'Voicemail (2)'",
                   15.0, "the voicemail count")
        assert "Voicemail: 2 new" in alice.run("result = window.office_pbx.tray_lines()")
        alice.run("window.office_pbx.voicemail.button.click()")
        wait_until(lambda: [ln for ln in k.received("INVITE") if "sip:*97@" in ln], 10.0,
                   "the call to the mailbox")
        alice.run("engine.hangup_all()")

        # bob's PBX sends NOTIFYs without a subscription; it names the mailbox to call
        listen = bob.run("result = engine.listen_address")
        host, port = listen.rsplit(":", 1)
        answer = vm.request(
            "NOTIFY", f"sip:bob@{listen}", (host, int(port)), to=k.aor("bob"),
            headers={"Event": "message-summary", "Subscription-State": "active"},
            body=message_summary(4, 0, f"sip:*98@127.0.0.1:{k.port}"),
            content_type="application/simple-message-summary")
        assert answer.code == 200
    bob.wait("b = window.office_pbx.voicemail.button\n"
             "result = b.isVisibleTo(window) and b.text() == 'Voicemail (4)'", 15.0,
             "bob's voicemail count")
    bob.run("window.office_pbx.voicemail.button.click()")
    wait_until(lambda: [ln for ln in k.received("INVITE") if "sip:*98@" in ln], 10.0,
               "bob's call to the mailbox the NOTIFY named")
    bob.run("engine.hangup_all()")

    # bob quits: alice sees him offline at once (his phone withdrew its presence)
    bob.close(20.0)
    colleague_state(alice, "bob", "offline")


def test_crm_colleague_and_chat_from_the_contact_card_with_baresip(
        presence_server: Kamailio, make_app: Callable[..., AppProcess],
        tmp_path: Path) -> None:
    need("baresip")
    k = presence_server

    def seed(store: Store) -> None:
        store.create_contact("Carol Baker", phones=["7001"], tags=["colleague"],
                             company="Acme")

    alice = make_app("alice", account(k, "alice"), seed=seed)
    carol = Baresip(user="7001", register_with=k, workdir=tmp_path / "baresip",
                    contacts=[f'"Alice" <{k.aor("alice")}>']).start()
    try:
        # a contact tagged "colleague" is watched and listed under its CRM name
        alice.wait(f"{STATES}\nresult = any(n == 'Carol Baker' for n, _ in result)", 20.0,
                   "the CRM colleague in the Colleagues tab")
        alice.run("window.test_box = []\n"
                  "parts.db.submit(lambda s: s.search('Carol'), window.test_box.append)")
        alice.wait("result = bool(window.test_box)", 10.0, "the search")
        cid = alice.run("result = window.test_box[0][0].id")
        alice.run("window.tabs.setCurrentIndex(window.tabs.indexOf(window.contacts))\n"
                  f"window.contacts.open_contact({cid})")
        alice.wait("c = window.contacts.card\nresult = c.contact is not None", 10.0, "card")
        alice.run("pane = window.contacts.card.chat\n"
                  "pane.edit.setPlainText('Your order has shipped')\n"
                  "pane.send_button.click()")
        wait_until(lambda: "Your order has shipped" in carol.console(), 15.0,
                   "baresip to show the message")
        alice.wait("result = [m.status for m in window.contacts.card.chat.messages]"
                   " == ['delivered']", 15.0, "delivered on the card")
        # the answer lands on the open card (matched to Carol by her number) and is read
        carol.command("message", "Thanks!")
        alice.wait("result = [m.body for m in window.contacts.card.chat.messages]"
                   " == ['Your order has shipped', 'Thanks!']", 15.0, "the answer on the card")
        timeline = alice.run("from PySide6.QtWidgets import QLabel\n"
                             "result = [w.text() for w in window.contacts.card"
                             ".findChildren(QLabel) if '✉' in w.text()]")
        assert any("Thanks!" in t and "✉↘" in t for t in timeline), timeline
        assert any("Your order has shipped" in t and "✉↗" in t for t in timeline), timeline
        # read, in the database too (the badge stays away)
        alice.run("window.test_unread = None\n"
                  "def ask():\n"
                  "    parts.db.submit(lambda s: s.unread_conversations(),\n"
                  "                    lambda u: setattr(window, 'test_unread', u))\n"
                  "window.test_ask = ask")
        alice.wait("window.test_ask()\nresult = window.test_unread == []", 10.0,
                   "the answer read on the open card")
        assert alice.run("result = window.office_pbx.chat.unread_total == 0 and not "
                         "window.office_pbx.chat.badge.isVisibleTo(window)")
    finally:
        carol.stop()
