"""A throwaway OpenLDAP server (Debian ``slapd``) for directory tests: its own config, database
and free port under the test's directory; the system's slapd (if any) is never touched."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tests.harness.ports import free_port

SLAPD = "/usr/sbin/slapd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")


def available() -> bool:
    return Path(SLAPD).exists() and shutil.which("ldapadd") is not None


class Slapd:
    def __init__(self, workdir: Path, *, suffix: str = "dc=example,dc=com",
                 admin_password: str = "admin-secret") -> None:
        self.workdir = workdir
        self.suffix = suffix
        self.admin_dn = f"cn=admin,{suffix}"
        self.admin_password = admin_password
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def __enter__(self) -> Slapd:
        self.workdir.mkdir(parents=True, exist_ok=True)
        db = self.workdir / "db"
        db.mkdir(exist_ok=True)
        conf = self.workdir / "slapd.conf"
        conf.write_text("\n".join([
            *(f"include {SCHEMA_DIR / name}.schema"
              for name in ("core", "cosine", "nis", "inetorgperson")),
            f"pidfile {self.workdir / 'slapd.pid'}",
            f"argsfile {self.workdir / 'slapd.args'}",
            f"modulepath {MODULE_DIR}",
            "moduleload back_mdb",
            "database mdb",
            "maxsize 10485760",
            f"suffix \"{self.suffix}\"",
            f"rootdn \"{self.admin_dn}\"",
            f"rootpw {self.admin_password}",
            f"directory {db}",
            "access to * by * read",
            "",
        ]))
        self.log = open(self.workdir / "slapd.log", "wb")
        # -d: stay in the foreground (we own the process); -h: only our loopback port
        self.proc = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", self.url + "/", "-d", "0"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("slapd exited: " + (self.workdir / "slapd.log").read_text())
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("slapd did not listen in 20 s")
            time.sleep(0.05)
        dc = self.suffix.split(",")[0].split("=")[1]
        self.add(f"dn: {self.suffix}\nobjectClass: dcObject\nobjectClass: organization\n"
                 f"dc: {dc}\no: Example\n\n"
                 f"dn: ou=people,{self.suffix}\nobjectClass: organizationalUnit\nou: people\n")
        return self

    def add(self, ldif: str) -> None:
        """``ldapadd`` as the admin (raises with its output on failure)."""
        done = subprocess.run(
            ["ldapadd", "-x", "-H", self.url, "-D", self.admin_dn, "-w", self.admin_password],
            input=ldif.encode(), capture_output=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"ldapadd failed: {done.stderr.decode()} {done.stdout.decode()}")

    def person(self, uid: str, name: str, *, sn: str, phones: list[str] = (),  # type: ignore[assignment]
               mobiles: list[str] = (), mail: str | None = None, title: str | None = None,  # type: ignore[assignment]
               department: str | None = None) -> str:
        lines = [f"dn: uid={uid},ou=people,{self.suffix}", "objectClass: inetOrgPerson",
                 f"uid: {uid}", f"cn: {name}", f"displayName: {name}", f"sn: {sn}"]
        lines += [f"telephoneNumber: {p}" for p in phones]
        lines += [f"mobile: {m}" for m in mobiles]
        if mail:
            lines.append(f"mail: {mail}")
        if title:
            lines.append(f"title: {title}")
        if department:
            lines.append(f"ou: {department}")
        return "\n".join(lines) + "\n"

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

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections hang, as with a directory that is down
        behind a firewall that drops packets."""
        import signal

        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        import signal

        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.resume()
        self.stop()
