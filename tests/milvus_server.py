"""A real Milvus standalone server on loopback ports, for tests (fixtures in tests/conftest.py)
and benchmarks (bench/milvus_server.py, bench/scale_milvus.py).

The server is the official Milvus 2.3.5 standalone binary, installed without Docker by
scripts/install_milvus_server.sh into .milvus/ (or $SABI_MILVUS_HOME). Tests that need it are
skipped when it is missing or will not start, unless SABI_REQUIRE_MILVUS_SERVER=1 (CI), which
turns that into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 90.0

# Every port the standalone server opens; each gets a free one so several runs can coexist.
PORTS = (
    "etcd_port",
    "etcd_peer_port",
    "root_coord_port",
    "proxy_port",
    "proxy_internal_port",
    "query_coord_port",
    "query_node_port",
    "index_coord_port",
    "index_node_port",
    "data_coord_port",
    "data_node_port",
    "metrics_port",
)


# Shorter waits than the production defaults, so that a suite full of tiny collections and
# Strong reads runs in seconds: how often time ticks advance (a Strong read waits for the next),
# how often the query coordinator dispatches and checks loads, how long a flush waits for a
# segment's row assignments to expire. (Load progress is still only observed once a second.)
TUNING: dict[str, object] = {
    "proxy.timeTickInterval": 50,
    "queryCoord.checkInterval": 100,
    "queryCoord.distPullInterval": 100,
    "queryCoord.checkChannelInterval": 100,
    "queryCoord.checkSegmentInterval": 100,
    "queryCoord.leaderViewUpdateInterval": 0.1,
    "dataCoord.segment.assignmentExpiration": 100,
    # After a SIGKILL the old process's components stay registered until their etcd lease
    # runs out; a restart waits for that.
    "common.session.ttl": 5,
}


def set_key(text: str, dotted: str, value: object) -> str:
    """Set one scalar in a YAML file kept as text (the template is not valid YAML), adding it
    under its parent section when the template does not list it."""
    *parent, leaf = dotted.split(".")
    path: list[str] = []
    lines = text.splitlines()
    at = None
    for i, line in enumerate(lines):
        match = re.match(r"^( *)([A-Za-z0-9_]+):", line)
        if not match:
            continue
        depth = len(match.group(1)) // 2
        path = [*path[:depth], match.group(2)]
        if path == [*parent, leaf]:
            lines[i] = f"{match.group(1)}{leaf}: {value}"
            break
        if path == parent and at is None:
            at = i
    else:
        if at is None:
            raise KeyError(f"no section {'.'.join(parent)} in the Milvus config template")
        lines.insert(at + 1, f"{'  ' * len(parent)}{leaf}: {value}")
    return "\n".join(lines) + "\n"


def milvus_home() -> Path:
    return Path(os.environ.get("SABI_MILVUS_HOME") or ROOT / ".milvus")


def server_required() -> bool:
    return os.environ.get("SABI_REQUIRE_MILVUS_SERVER", "") == "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MilvusServer:
    """One standalone Milvus process with its data, config and logs under ``data``."""

    def __init__(self, home: Path, data: Path):
        self.home = home
        self.data = data
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports = {name: _free_port() for name in PORTS}
        self._configure()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.ports['proxy_port']}"

    @property
    def log(self) -> Path:
        return self.data / "logs" / "milvus-stdout.log"

    def _configure(self) -> None:
        configs = self.data / "configs"
        configs.mkdir(parents=True, exist_ok=True)
        (self.data / "logs").mkdir(exist_ok=True)
        storage = self.data / "storage"
        values: dict[str, object] = {
            **self.ports,
            "etcd_log_level": "warn",
            "etcd_log_path": self.data / "logs" / "etcd.log",
            "etcd_data_dir": storage / "etcd",
            "local_storage_dir": storage,
            "rocksmq_data_dir": storage / "rocksmq",
            "system_log_path": self.data / "logs",
        }

        def fill(match: re.Match[str]) -> str:
            # Template slots read {{ name(type): default }}; ours win over the defaults.
            name, _, default = match.group(1).partition(":")
            key = name.split("(")[0].strip()
            return str(values.get(key, default.strip()))

        text = re.sub(r"\{\{(.*?)\}\}", fill, (self.home / "config.yaml.template").read_text())
        # Advertise loopback instead of the first non-loopback address. (2.3's gRPC servers
        # still listen on every interface; only embedded etcd takes a listen address.)
        text = re.sub(r"^(\s+)ip:.*$", r"\g<1>ip: 127.0.0.1", text, flags=re.M)
        text = text.replace("endpoints: localhost:", "endpoints: 127.0.0.1:")
        # Embedded etcd ignores etcd.endpoints and would take 2379/2380 on every interface.
        etcd = configs / "etcd.yaml"
        client, peer = self.ports["etcd_port"], self.ports["etcd_peer_port"]
        etcd.write_text(
            "name: default\n"
            f"data-dir: {storage / 'etcd'}\n"
            f"listen-client-urls: http://127.0.0.1:{client}\n"
            f"advertise-client-urls: http://127.0.0.1:{client}\n"
            f"listen-peer-urls: http://127.0.0.1:{peer}\n"
            f"initial-advertise-peer-urls: http://127.0.0.1:{peer}\n"
            f"initial-cluster: default=http://127.0.0.1:{peer}\n"
        )
        text, found = re.subn(
            r"^  use:\n    embed: true.*$",
            f"  use:\n    embed: true\n  config:\n    path: {etcd}",
            text,
            count=1,
            flags=re.M,
        )
        assert found, "the config template changed: no etcd.use.embed"
        for key, value in TUNING.items():
            text = set_key(text, key, value)
        (configs / "milvus.yaml").write_text(text)
        shutil.copy(self.home / "glog.conf", configs / "glog.conf")

    def start(self, timeout: float = START_TIMEOUT) -> None:
        env = {
            **os.environ,
            "DEPLOY_MODE": "STANDALONE",
            "METRICS_PORT": str(self.ports["metrics_port"]),
            "MILVUSCONF": str(self.data / "configs"),
            "MILVUS_RUN_DIR": str(self.data / "run"),
            "LD_LIBRARY_PATH": os.pathsep.join(
                p for p in (str(self.home / "bin"), os.environ.get("LD_LIBRARY_PATH")) if p
            ),
        }
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(self.home / "bin" / "milvus"), "run", "standalone"],
                cwd=self.data,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        from pymilvus import MilvusClient

        health = f"http://127.0.0.1:{self.ports['metrics_port']}/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"Milvus exited during start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(health, timeout=1) as resp:
                    healthy = b"OK" in resp.read()
            except OSError:
                healthy = False
            if healthy:
                client = MilvusClient(uri=self.uri, timeout=5)
                try:
                    client.list_collections()
                    return
                except Exception:
                    pass
                finally:
                    client.close()
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"Milvus not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: a graceful stop can take minutes, and killing is also the crash test."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _unavailable(reason: str) -> None:
    if server_required():
        pytest.fail(f"SABI_REQUIRE_MILVUS_SERVER=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (run scripts/install_milvus_server.sh)")


def launch_server(data: Path) -> MilvusServer:
    """A started server with its files under ``data``, or a skip/fail saying why not."""
    home = milvus_home()
    if not (home / "bin" / "milvus").is_file():
        _unavailable(f"no Milvus server installed in {home}")
    server = MilvusServer(home, data)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        server.kill()
        _unavailable(f"the Milvus server did not start: {exc}")
    return server
