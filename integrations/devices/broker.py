"""A local MQTT broker (Debian's mosquitto) for when MQTT is configured and none is reachable:
loopback only, anonymous (nothing but this machine can connect), no persistence, TCP_NODELAY on (without
it every request/answer pair waits ~40 ms for delayed ACKs)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next((p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
                                              if Path(p).exists()), None)


def broker_command(work_dir: Path, port: int) -> list[str]:
    """The command line of a broker on 127.0.0.1:`port`, its configuration written to `work_dir`."""
    binary = mosquitto_binary()
    if binary is None:
        raise RuntimeError("MQTT is configured but no broker is reachable and mosquitto is not installed "
                           "(Debian package mosquitto, listed in config/system-packages.txt)")
    work_dir.mkdir(parents=True, exist_ok=True)
    conf = work_dir / "mosquitto.conf"
    # errors and warnings to stderr: run as root, mosquitto drops to its own user and could not open a log file here
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n"
                    "log_dest stderr\nlog_type error\nlog_type warning\n")
    return [binary, "-c", str(conf)]


def start_broker(work_dir: Path, wait_s: float = 10.0) -> tuple[str, subprocess.Popen]:
    """Start a broker on a free port and wait until it listens: (its URL, its process)."""
    port = free_port()
    command = broker_command(work_dir, port)
    log = work_dir / "mosquitto.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + wait_s
    while not reachable("127.0.0.1", port, 0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"mosquitto did not start: {log.read_text(errors='replace')[-500:]}")
        time.sleep(0.05)
    return f"mqtt://127.0.0.1:{port}", proc
