"""Real servers for the end-to-end tests: moto's S3 server over HTTP, an OpenSSH ``sshd`` on a
random loopback port (host key and client key generated per session), and a TCP proxy that
can cut a connection in the middle of a transfer, the way a flaky network does."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from recon_pipeline.demo_month import generate_month
from recon_pipeline.settings import Settings, load_settings
from tests.conftest import built_once, land_days, memory_instance

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def _land_locally(folder: Path) -> None:
    summary = generate_month(folder / "tree")
    settings = load_settings(
        {"RECON_HOME": str(folder / "home"), "RECON_LANDING_DIR": str(folder / "tree")}
    )
    with memory_instance() as instance:
        land_days(settings, instance, summary.start.isoformat(), summary.end.isoformat())


@pytest.fixture(scope="session")
def landed_locally(request: pytest.FixtureRequest) -> Settings:
    """The demo month (``generate_month``'s defaults: the same bytes every time, as
    tests/test_demo.py checks) landed day by day from a local folder, once a session: what
    every remote source must land the same month as. Tests only read it."""
    folder = built_once(request, "e2e_landed_locally", _land_locally)
    return load_settings(
        {"RECON_HOME": str(folder / "home"), "RECON_LANDING_DIR": str(folder / "tree")}
    )


@pytest.fixture(scope="session")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def keygen(path: Path) -> str:
    """A new ed25519 key pair at ``path``; returns the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_name(path.name + ".pub").read_text().strip()


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    root: Path
    client_key: Path
    known_hosts: Path
    host_public_key: str

    def known_hosts_line(self, port: int | None = None) -> str:
        kind, key = self.host_public_key.split()[:2]
        return f"[127.0.0.1]:{port or self.port} {kind} {key}\n"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server, key authentication only, serving ``root`` over SFTP."""
    if not Path(SSHD).exists():
        pytest.fail("sshd is not installed: `apt-get install -y openssh-server` (.ci/run does)")
    home = tmp_path_factory.mktemp("sshd")
    host_key, client_key = home / "host_key", home / "client_key"
    host_public = keygen(host_key)
    (home / "authorized_keys").write_text(keygen(client_key) + "\n")
    port = free_port()
    (home / "sshd_config").write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {home / 'sshd.pid'}",
                f"AuthorizedKeysFile {home / 'authorized_keys'}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(home / "sshd_config")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port)
    except TimeoutError:
        process.kill()
        raise RuntimeError(f"sshd did not start: {process.stderr.read().decode()}") from None
    root = home / "sftp_root"
    root.mkdir()
    server = SshServer(port, getpass.getuser(), root, client_key, home / "known_hosts", host_public)
    server.known_hosts.write_text(server.known_hosts_line())
    yield server
    process.terminate()
    process.wait(timeout=10)


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to a server; the first ``cuts`` connections that carry more
    than ``cut_after`` bytes towards the client are closed right there, mid-transfer."""

    def __init__(self, upstream_port: int, cut_after: int, cuts: int = 1) -> None:
        self.upstream_port, self.cut_after, self.cuts_left = upstream_port, cut_after, cuts
        self.cuts_made = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, reader: socket.socket, writer: socket.socket, downstream: bool) -> None:
        carried = 0
        try:
            while chunk := reader.recv(16384):
                carried += len(chunk)
                if downstream and carried > self.cut_after:
                    with self._lock:
                        cut = self.cuts_left > 0
                        if cut:
                            self.cuts_left -= 1
                            self.cuts_made += 1
                    if cut:
                        writer.sendall(chunk[: len(chunk) // 2])
                        break
                writer.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (reader, writer):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def cutting_proxy():
    proxies: list[CuttingProxy] = []

    def start(upstream_port: int, cut_after: int, cuts: int = 1) -> CuttingProxy:
        proxies.append(CuttingProxy(upstream_port, cut_after, cuts))
        return proxies[-1]

    yield start
    for proxy in proxies:
        proxy.close()
