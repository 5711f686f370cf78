"""Click-to-call: what counts as a number, the token and Host checks, the answers' codes and
bodies — through a real server on a free loopback port."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from softphone.integrations.click_to_call import ClickToCallServer, valid_target

TOKEN = "t0ken-abc"


class Phone:
    def __init__(self) -> None:
        self.dialled: list[str] = []
        self.result: tuple[bool, str] | Exception = (True, "calling")

    def dial(self, number: str) -> tuple[bool, str]:
        self.dialled.append(number)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[ClickToCallServer, Phone]]:
    phone = Phone()
    server = ClickToCallServer(0, TOKEN, lambda n: phone.dial(n))
    server.start()
    yield server, phone
    server.stop()


@pytest.fixture
def server(running: tuple[ClickToCallServer, Phone]) -> ClickToCallServer:
    return running[0]


@pytest.fixture
def phone(running: tuple[ClickToCallServer, Phone]) -> Phone:
    running[1].dialled.clear()
    running[1].result = (True, "calling")
    return running[1]


def _get(server: ClickToCallServer, target: str, method: str = "GET",
         **headers: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, target, headers=headers)
        response = conn.getresponse()
        return (response.status, json.loads(response.read()),
                {k.lower(): v for k, v in response.getheaders()})
    finally:
        conn.close()


@pytest.mark.parametrize("text", ["+7 (916) 123-45-67", "101", "8.800.555.35.35",
                                  "sip:bob@example.com", "SIPS:bob@example.com:5061",
                                  "tel:+1-555-0100", "99#"])
def test_numbers_and_sip_addresses_are_dialable(text: str) -> None:
    assert valid_target(text)


@pytest.mark.parametrize("text", ["", "   ", "1", "abc", "+7 916 abc", "javascript:alert(1)",
                                  "sip:bob <x>", "1" * 201, "http://evil/"])
def test_anything_else_is_not(text: str) -> None:
    assert not valid_target(text)


def test_only_the_loopback_address_is_allowed() -> None:
    with pytest.raises(ValueError, match="loopback"):
        ClickToCallServer(0, TOKEN, lambda n: (True, ""), host="0.0.0.0")


def test_a_number_with_the_token_is_dialled(server: ClickToCallServer, phone: Phone) -> None:
    status, body, headers = _get(server, f"/dial?number=%2B7%20916%20123&token={TOKEN}")
    assert status == 200 and body == {"ok": True, "number": "+7 916 123", "message": "calling"}
    assert phone.dialled == ["+7 916 123"]
    assert headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    assert server.url == f"http://127.0.0.1:{server.port}/dial"


@pytest.mark.parametrize("headers", [{"X-Softphone-Token": TOKEN},
                                     {"Authorization": f"Bearer {TOKEN}"}])
def test_the_token_may_come_in_a_header(server: ClickToCallServer, phone: Phone,
                                        headers: dict[str, str]) -> None:
    status, _, _ = _get(server, "/dial/?number=101", "POST", **headers)
    assert status == 200 and phone.dialled == ["101"]


@pytest.mark.parametrize("target", ["/dial?number=101", "/dial?number=101&token=wrong",
                                    f"/dial?number=101&token={TOKEN}x"])
def test_a_missing_or_wrong_token_is_forbidden(server: ClickToCallServer, phone: Phone,
                                               target: str) -> None:
    status, body, _ = _get(server, target)
    assert status == 403 and body["ok"] is False and "token" in body["error"]
    assert phone.dialled == []


def test_a_foreign_host_name_is_forbidden_even_with_the_token(server: ClickToCallServer,
                                                              phone: Phone) -> None:
    status, body, _ = _get(server, f"/dial?number=101&token={TOKEN}",
                           Host=f"evil.example:{server.port}")
    assert (status, body["error"]) == (403, "forbidden: wrong Host")
    assert _get(server, f"/dial?number=101&token={TOKEN}",
                Host=f"localhost:{server.port}")[0] == 200
    assert phone.dialled == ["101"]


@pytest.mark.parametrize(("target", "method", "status", "error"), [
    ("/call?number=101", "GET", 404, "the endpoint is /dial"),
    (f"/dial?number=101&token={TOKEN}", "PUT", 405, "use GET"),
    (f"/dial?token={TOKEN}", "GET", 400, "no number"),
    (f"/dial?number=%20&token={TOKEN}", "GET", 400, "no number"),
    (f"/dial?number=drop%20table&token={TOKEN}", "GET", 400,
     "not a phone number or SIP address: 'drop table'"),
])
def test_bad_requests_get_a_clear_answer(server: ClickToCallServer, phone: Phone, target: str,
                                         method: str, status: int, error: str) -> None:
    got, body, _ = _get(server, target, method)
    assert got == status and error in body["error"]
    assert phone.dialled == []


def test_a_phone_that_cannot_dial_answers_503(server: ClickToCallServer, phone: Phone) -> None:
    phone.result = (False, "no account is registered")
    assert _get(server, f"/dial?number=101&token={TOKEN}")[:2] == (
        503, {"ok": False, "error": "no account is registered"})
    phone.result = RuntimeError("engine gone")
    assert _get(server, f"/dial?number=101&token={TOKEN}")[:2] == (
        503, {"ok": False, "error": "engine gone"})
