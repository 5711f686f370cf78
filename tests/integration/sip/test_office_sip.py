"""The office through a PBX, engine level: colleagues' presence through kamailio's presence
server, message-waiting (subscribed through kamailio's presence_mwi, and unsolicited), and
chat (SIP MESSAGE) between engines and with baresip, delivered and refused."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness.raw_sip import RawSip, message_summary
from tests.harness.sip_peers import Baresip, Kamailio, wait_until
from tests.integration.sip.engine_proc import EngineFactory, EngineProcess, kamailio_account

pytestmark = pytest.mark.integration


@pytest.fixture
def presence_server(tmp_path: Path) -> Iterator[Kamailio]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio is not installed (see scripts/bootstrap)")
    with Kamailio(workdir=tmp_path / "kamailio", presence=True) as k:
        yield k


def _registered(make_engine: EngineFactory, k: Kamailio, user: str,
                **extra: object) -> EngineProcess:
    eng = make_engine(user, accounts=[kamailio_account(k, user, **extra)])
    eng.wait_event("RegistrationChanged", 10.0, account=user, state="registered")
    return eng


def _presence(eng: EngineProcess, uri: str, state: str, since: int = 0,
              timeout: float = 15.0) -> dict[str, object]:
    return eng.wait_event("BuddyPresence", timeout, since=since, uri=uri, state=state)


def test_colleagues_presence_through_the_presence_server(
        presence_server: Kamailio, make_engine: EngineFactory) -> None:
    k = presence_server
    bob = _registered(make_engine, k, "bob", publish_presence=True)
    # extensions are made URIs on the account's server; carol never comes online
    alice = _registered(make_engine, k, "alice", colleagues=["bob", k.aor("carol")])
    bob_uri = k.aor("bob")
    _presence(alice, bob_uri, "available")
    carol = alice.wait_for(lambda e: e.get("event") == "BuddyPresence"
                           and e["uri"] == k.aor("carol") and e["subscription"] == "active",
                           15.0, "carol's subscription")
    assert carol["state"] in ("offline", "unknown"), carol

    mark = alice.mark()
    bob.command("set_call_settings", calls={"dnd": True})
    _presence(alice, bob_uri, "dnd", since=mark)

    # a call makes both busy: bob publishes "on the phone"; alice (no PUBLISH configured:
    # no colleagues of her own... she has colleagues, so she publishes too)
    mark = alice.mark()
    bob.command("set_call_settings", calls={"dnd": False})
    _presence(alice, bob_uri, "available", since=mark)
    mark = alice.mark()
    call_id = bob.command("dial", target=k.aor("alice"))
    incoming = alice.wait_event("IncomingCall", 10.0, since=mark)
    alice.command("answer", call_id=incoming["call_id"])
    bob.wait_state(call_id, "confirmed")
    _presence(alice, bob_uri, "in_call", since=mark)
    mark = alice.mark()
    bob.command("hangup", call_id=call_id)
    _presence(alice, bob_uri, "available", since=mark)

    # bob's phone stops: the server has nothing published for him any more
    mark = alice.mark()
    bob.close()
    _presence(alice, bob_uri, "offline", since=mark, timeout=20.0)
    assert [ln for ln in k.log().splitlines() if "publish presence" in ln]


def test_colleagues_added_at_run_time(presence_server: Kamailio,
                                      make_engine: EngineFactory) -> None:
    """``watch_presence``: colleagues from the CRM, besides the settings' (and removed)."""
    k = presence_server
    _registered(make_engine, k, "bob", publish_presence=True)
    alice = _registered(make_engine, k, "alice")
    mark = alice.mark()
    alice.command("watch_presence", account="alice", targets=["bob"])
    _presence(alice, k.aor("bob"), "available", since=mark)
    alice.command("watch_presence", account="alice", targets=[])
    wait_until(lambda: any("subscribe presence to" in ln and "alice" in ln
                           and ln.rstrip().endswith("expires 0")
                           for ln in k.log().splitlines()), 10.0, "the subscription to end")


def test_voicemail_subscribed_notify_through_presence_mwi(
        presence_server: Kamailio, make_engine: EngineFactory) -> None:
    k = presence_server
    alice = _registered(make_engine, k, "alice", voicemail="*97")
    wait_until(lambda: any("subscribe message-summary" in ln for ln in k.log().splitlines()),
               10.0, "alice's MWI subscription at the server")
    mark = alice.mark()
    with RawSip("voicemail") as vm:
        answer = vm.request("PUBLISH", k.aor("alice"), ("127.0.0.1", k.port), to=k.aor("alice"),
                            headers={"Event": "message-summary", "Expires": "3600"},
                            body=message_summary(2, 5, f"sip:*97@127.0.0.1:{k.port}"),
                            content_type="application/simple-message-summary")
        assert answer.code == 200, answer
        ev = alice.wait_event("VoicemailStatus", 10.0, since=mark, new=2)
        assert ev["waiting"] is True and ev["old"] == 5 and ev["subscribed"] is True, ev
        assert ev["message_account"] == f"sip:*97@127.0.0.1:{k.port}"
        mark = alice.mark()
        etag = answer.header("sip-etag")
        answer = vm.request("PUBLISH", k.aor("alice"), ("127.0.0.1", k.port), to=k.aor("alice"),
                            headers={"Event": "message-summary", "Expires": "3600",
                                     "SIP-If-Match": etag},
                            body=message_summary(0, 7),
                            content_type="application/simple-message-summary")
        assert answer.code == 200, answer
        ev = alice.wait_event("VoicemailStatus", 10.0, since=mark, waiting=False)
        assert ev["new"] == 0 and ev["old"] == 7, ev


def test_voicemail_unsolicited_notify(kamailio: Kamailio, make_engine: EngineFactory) -> None:
    """A PBX that sends NOTIFYs without a subscription (Asterisk's ``mailboxes``)."""
    alice = _registered(make_engine, kamailio, "alice", voicemail="*97", mwi=False)
    host, port = alice.command("listen_address").rsplit(":", 1)
    mark = alice.mark()
    with RawSip("asterisk") as pbx:
        answer = pbx.request(
            "NOTIFY", f"sip:alice@{host}:{port}", (host, int(port)), to=kamailio.aor("alice"),
            headers={"Event": "message-summary", "Subscription-State": "active"},
            body=message_summary(3, 1), content_type="application/simple-message-summary")
    assert answer.code == 200, answer
    ev = alice.wait_event("VoicemailStatus", 10.0, since=mark, new=3)
    assert ev["waiting"] is True and ev["old"] == 1 and ev["subscribed"] is False, ev
    assert ev["account"] == "alice"


def test_chat_between_engines_through_kamailio(kamailio: Kamailio,
                                               make_engine: EngineFactory) -> None:
    alice = _registered(make_engine, kamailio, "alice")
    bob = _registered(make_engine, kamailio, "bob")
    mark_a, mark_b = alice.mark(), bob.mark()
    text = "Привет, Bob — the offer is in your inbox ✉"
    message_id = alice.command("send_message", target="bob", text=text)
    got = bob.wait_event("MessageReceived", 10.0, since=mark_b)
    assert got["body"] == text and got["number"] == "alice", got
    assert got["remote_uri"].startswith("sip:alice@127.0.0.1"), got
    status = alice.wait_event("MessageStatus", 10.0, since=mark_a, message_id=message_id)
    assert status["delivered"] is True and status["code"] == 200, status
    assert kamailio.relayed("MESSAGE")

    # the same text twice and a reply: each answer matches its own message
    mark_a = alice.mark()
    first = alice.command("send_message", target=kamailio.aor("bob"), text="ok")
    second = alice.command("send_message", target=kamailio.aor("bob"), text="ok")
    bob.command("send_message", target="alice", text="thanks!")
    for message_id in (first, second):
        alice.wait_event("MessageStatus", 10.0, since=mark_a, message_id=message_id,
                         delivered=True)
    assert alice.wait_event("MessageReceived", 10.0, since=mark_a)["body"] == "thanks!"


def test_chat_to_someone_not_registered_fails_with_the_reason(
        kamailio: Kamailio, make_engine: EngineFactory) -> None:
    alice = _registered(make_engine, kamailio, "alice")
    mark = alice.mark()
    message_id = alice.command("send_message", target="nobody", text="are you there?")
    status = alice.wait_event("MessageStatus", 10.0, since=mark, message_id=message_id)
    assert status["delivered"] is False and status["code"] == 404, status
    with pytest.raises(Exception, match="empty"):
        alice.command("send_message", target="bob", text="   ")
    with pytest.raises(Exception, match="too long"):
        alice.command("send_message", target="bob", text="x" * 5000)


def test_chat_with_baresip(kamailio: Kamailio, make_engine: EngineFactory,
                           make_baresip: Callable[..., Baresip]) -> None:
    alice = _registered(make_engine, kamailio, "alice")
    carol = make_baresip("carol", register_with=kamailio,
                         contacts=[f'"Alice" <{kamailio.aor("alice")}>'])
    mark = alice.mark()
    message_id = alice.command("send_message", target="carol", text="Hello from the softphone")
    status = alice.wait_event("MessageStatus", 10.0, since=mark, message_id=message_id)
    assert status["delivered"] is True, status
    wait_until(lambda: "Hello from the softphone" in carol.console(), 10.0,
               "baresip to show the message")
    carol.command("message", "Hi, softphone")
    got = alice.wait_event("MessageReceived", 10.0, since=mark)
    assert got["body"] == "Hi, softphone" and got["number"] == "carol", got
