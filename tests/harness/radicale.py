"""A throwaway Radicale CardDAV server (PyPI ``radicale``, a test dependency) on a free port,
with a user, a password and an empty address book, all under the test's directory."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from softphone.integrations.http import HttpClient
from tests.harness.ports import free_port

MKCOL_ADDRESSBOOK = (
    b'<?xml version="1.0" encoding="utf-8"?><mkcol xmlns="DAV:" '
    b'xmlns:CR="urn:ietf:params:xml:ns:carddav"><set><prop><resourcetype><collection/>'
    b"<CR:addressbook/></resourcetype><displayname>Contacts</displayname></prop></set></mkcol>"
)


class Radicale:
    def __init__(self, workdir: Path, *, user: str = "anna", password: str = "s3cret-pass",
                 book: str = "contacts") -> None:
        self.workdir = workdir
        self.user = user
        self.password = password
        self.book = book
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def book_url(self) -> str:
        return f"{self.base}/{self.user}/{self.book}/"

    def http(self) -> HttpClient:
        return HttpClient(timeout=10, username=self.user, password=self.password)

    def start(self) -> Radicale:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "users").write_text(f"{self.user}:{self.password}\n")
        config = self.workdir / "config"
        config.write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {self.workdir / 'users'}\n"
            "htpasswd_encryption = plain\n"
            f"[storage]\nfilesystem_folder = {self.workdir / 'collections'}\n"
            "[rights]\ntype = owner_only\n"
            "[logging]\nlevel = warning\n")
        self.log = open(self.workdir / "radicale.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                log = (self.workdir / "radicale.log").read_text()
                raise RuntimeError(f"radicale exited: {log}")
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("radicale did not listen in 30 s")
            time.sleep(0.05)
        return self

    def __enter__(self) -> Radicale:
        self.start()
        response = self.http().request("MKCOL", self.book_url, MKCOL_ADDRESSBOOK,
                                       {"Content-Type": "application/xml"})
        if response.status not in (201, 405):
            raise RuntimeError(f"cannot create the address book: HTTP {response.status}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "log", None) is not None:
            self.log.close()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- what another CardDAV client (a phone, Nextcloud's web UI) would do -------------------
    def put(self, name: str, card: str, etag: str | None = None) -> str:
        headers = {"Content-Type": "text/vcard; charset=utf-8"}
        if etag:
            headers["If-Match"] = etag
        response = self.http().request("PUT", self.book_url + name, card.encode(), headers)
        assert response.ok, (response.status, response.text())
        return response.header("etag") or ""

    def get(self, name: str) -> tuple[str, str] | None:
        response = self.http().request("GET", self.book_url + name)
        if response.status == 404:
            return None
        assert response.ok, response.status
        return response.header("etag") or "", response.text()

    def delete(self, name: str) -> None:
        response = self.http().request("DELETE", self.book_url + name)
        assert response.ok, response.status

    def names(self) -> list[str]:
        """The card file names in the address book."""
        folder = self.workdir / "collections" / "collection-root" / self.user / self.book
        return sorted(p.name for p in folder.iterdir() if p.suffix == ".vcf")
