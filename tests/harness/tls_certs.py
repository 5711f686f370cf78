"""Self-signed certificates for TLS tests, made with the system's ``openssl``.

``self_signed(dir, cn)`` writes ``cn.key`` / ``cn.crt`` (RSA 2048, 2 days, CA:TRUE so that the
certificate can itself be "the trusted CA") and returns their paths.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed(directory: Path, cn: str = "127.0.0.1", days: int = 2) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = cn.replace("/", "_").replace(":", "_")
    key, cert = directory / f"{stem}.key", directory / f"{stem}.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(days),
         "-subj", f"/CN={cn}", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", f"subjectAltName=IP:{cn}" if cn[:1].isdigit() else f"subjectAltName=DNS:{cn}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return key, cert


def subject_and_fingerprint(cert: Path) -> str:
    out = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-subject",
                          "-fingerprint", "-sha256"], check=True, capture_output=True,
                         text=True, timeout=30)
    return " ".join(out.stdout.split())
