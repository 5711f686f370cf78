"""The click-to-call endpoint with a real HTTP client: only the right token dials, only on the
loopback address, only a number or SIP address; every refusal is a clear JSON answer."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from softphone.integrations.click_to_call import ClickToCallServer, valid_target

TOKEN = "t0ken-for-tests_abc"


@pytest.fixture
def dialled() -> list[str]:
    return []


@pytest.fixture
def server(dialled: list[str]) -> Iterator[ClickToCallServer]:
    def dial(number: str) -> tuple[bool, str]:
        if number == "+15550009999":
            return False, "no account is registered"
        dialled.append(number)
        return True, f"calling {number}"

    srv = ClickToCallServer(0, TOKEN, dial)
    srv.start()
    yield srv
    srv.stop()


def get(server: ClickToCallServer, path: str, *, method: str = "GET",
        headers: dict[str, str] | None = None, host: str | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        all_headers = dict(headers or {})
        if host is not None:
            all_headers["Host"] = host
        conn.request(method, path, headers=all_headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_the_right_token_dials_through_the_dial_path(server: ClickToCallServer,
                                                     dialled: list[str]) -> None:
    status, body = get(server, f"/dial?number=%2B7%20495%20123-45-67&token={TOKEN}")
    assert (status, body["ok"], body["number"]) == (200, True, "+7 495 123-45-67")
    status, _ = get(server, "/dial?number=sip:bob@127.0.0.1:5070",
                    headers={"X-Softphone-Token": TOKEN})
    assert status == 200
    status, _ = get(server, "/dial?number=101", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert dialled == ["+7 495 123-45-67", "sip:bob@127.0.0.1:5070", "101"]


@pytest.mark.parametrize("path", ["/dial?number=123", "/dial?number=123&token=",
                                  "/dial?number=123&token=wrong",
                                  f"/dial?number=123&token={TOKEN[:-1]}"])
def test_a_missing_or_wrong_token_is_refused(server: ClickToCallServer, dialled: list[str],
                                             path: str) -> None:
    status, body = get(server, path)
    assert status == 403 and body["ok"] is False and "token" in body["error"]
    assert dialled == []


def test_another_host_name_is_refused(server: ClickToCallServer, dialled: list[str]) -> None:
    # a page on evil.example that resolves its own name to 127.0.0.1 (DNS rebinding)
    status, body = get(server, f"/dial?number=123&token={TOKEN}",
                       host=f"evil.example:{server.port}")
    assert status == 403 and "Host" in body["error"]
    assert dialled == []


@pytest.mark.parametrize(("path", "status"), [
    (f"/dial?token={TOKEN}", 400),
    (f"/dial?number=&token={TOKEN}", 400),
    (f"/dial?number=hello&token={TOKEN}", 400),
    (f"/dial?number=%3Cscript%3E&token={TOKEN}", 400),
    (f"/dial?number={'1' * 300}&token={TOKEN}", 400),
    (f"/other?number=123&token={TOKEN}", 404),
    (f"/dial?number=%2B15550009999&token={TOKEN}", 503),
])
def test_bad_requests_get_a_clear_answer(server: ClickToCallServer, dialled: list[str],
                                         path: str, status: int) -> None:
    got, body = get(server, path)
    assert got == status and body["ok"] is False and body["error"]
    assert dialled == []


def test_only_get_and_post(server: ClickToCallServer) -> None:
    status, _ = get(server, f"/dial?number=123&token={TOKEN}", method="DELETE")
    assert status == 405


def test_it_listens_on_the_loopback_address_only(server: ClickToCallServer) -> None:
    assert server._server.server_address[0] == "127.0.0.1"
    with pytest.raises(ValueError, match="loopback"):
        ClickToCallServer(0, TOKEN, lambda n: (True, ""), host="0.0.0.0")


def test_what_counts_as_a_number() -> None:
    for good in ("+7 (495) 123-45-67", "8 800 555 35 35", "101", "sip:alice@pbx.example",
                 "tel:+15551234567", "2301#"):
        assert valid_target(good), good
    for bad in ("", "x", "1", "drop table", "javascript:alert(1)", "sip:a b@c", "+" * 50):
        assert not valid_target(bad), bad
