"""The small HTTP client against a real local server: request shape, Basic auth, redirects
(same host only, with a limit) and clear errors for what gets no HTTP answer."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import ssl
import subprocess

import pytest
from local_http import LocalServer, running_server

from softphone.integrations.http import USER_AGENT, HttpClient, HttpError, Response, json_body


def test_a_request_carries_method_path_query_body_and_headers(local_server: LocalServer) -> None:
    local_server.answer(201, b"created", **{"X-Thing": "1"})
    response = HttpClient().request("PUT", f"{local_server.url}/a/b?x=1&y=%20", b"data",
                                    {"Content-Type": "text/plain"})
    (seen,) = local_server.requests
    assert (seen.method, seen.path, seen.body) == ("PUT", "/a/b?x=1&y=%20", b"data")
    assert seen.headers["content-type"] == "text/plain"
    assert seen.headers["user-agent"] == USER_AGENT
    assert "authorization" not in seen.headers
    assert response.ok and response.status == 201 and response.text() == "created"
    assert response.header("X-THING") == "1"  # header names are case-insensitive


def test_an_empty_path_asks_for_the_root(local_server: LocalServer) -> None:
    HttpClient().request("GET", local_server.url)
    assert local_server.requests[0].path == "/"


def test_basic_auth_is_sent_with_an_empty_password_allowed(local_server: LocalServer) -> None:
    HttpClient(username="agent", password="pä:ss").request("GET", local_server.url)
    HttpClient(username="agent").request("GET", local_server.url)
    sent = [base64.b64decode(r.headers["authorization"].removeprefix("Basic "))
            for r in local_server.requests]
    assert sent == ["agent:pä:ss".encode(), b"agent:"]


def test_the_password_is_not_in_the_repr() -> None:
    assert "secret" not in repr(HttpClient(username="u", password="secret"))


def test_a_redirect_on_the_same_host_is_followed(local_server: LocalServer) -> None:
    local_server.answer(302, Location="/moved")
    local_server.answer(200, b"here")
    response = HttpClient().request("GET", f"{local_server.url}/old")
    assert response.text() == "here"
    assert response.url == f"{local_server.url}/moved"
    assert [r.path for r in local_server.requests] == ["/old", "/moved"]


def test_no_redirect_is_followed_when_told_not_to(local_server: LocalServer) -> None:
    local_server.answer(307, Location="/moved")
    response = HttpClient().request("POST", local_server.url, b"x", follow=False)
    assert response.status == 307 and len(local_server.requests) == 1


def test_a_redirect_to_another_host_is_not_followed(local_server: LocalServer) -> None:
    local_server.answer(301, Location="http://elsewhere.invalid/x")
    response = HttpClient(username="u", password="p").request("GET", local_server.url)
    assert response.status == 301 and len(local_server.requests) == 1


def test_endless_redirects_end_with_an_error(local_server: LocalServer) -> None:
    local_server.default.status = 302
    local_server.default.headers = {"Location": "/again"}
    with pytest.raises(HttpError, match="too many redirects"):
        HttpClient().request("GET", local_server.url)
    assert len(local_server.requests) == 6


@pytest.mark.parametrize("url", ["ftp://host/x", "not a url", "http:///nohost"])
def test_a_url_that_is_not_http_is_refused_clearly(url: str) -> None:
    with pytest.raises(HttpError, match="not an http"):
        HttpClient().request("GET", url)


def test_a_closed_port_says_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HttpError, match=f"127.0.0.1:{port}: connection refused"):
        HttpClient(timeout=5).request("GET", f"http://127.0.0.1:{port}/")


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection in the kernel, never answers
        port = listener.getsockname()[1]
        with pytest.raises(HttpError, match="no answer in time"):
            HttpClient(timeout=0.2).request("GET", f"http://127.0.0.1:{port}/")


def test_response_ok_is_2xx_only() -> None:
    assert [Response(s, "", {}, b"").ok for s in (199, 200, 299, 300, 404)] == \
        [False, True, True, False, False]


def test_json_body_is_compact_sorted_utf8() -> None:
    body = json_body({"b": 1, "a": "Иван"})
    assert body == '{"a":"Иван","b":1}'.encode()
    assert json.loads(body) == {"a": "Иван", "b": 1}


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1 (openssl, from the
    test packages of scripts/bootstrap.sh)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_an_unverifiable_certificate_is_refused_unless_told_otherwise(
        self_signed: ssl.SSLContext) -> None:
    with running_server(self_signed) as server:
        server.answer(200, b"secure")
        with pytest.raises(HttpError, match=f"127.0.0.1:{server.port}: .*certificate"):
            HttpClient(timeout=10).request("GET", f"{server.url}/x")
        assert server.requests == []  # nothing was sent over an unverified connection
        response = HttpClient(timeout=10, verify_tls=False).request("GET", f"{server.url}/x")
        assert response.text() == "secure" and server.requests[0].path == "/x"
