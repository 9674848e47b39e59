"""Device calls against the simulator: latency and throughput of the client over HTTP and MQTT.

Run from the repository root:  .venv/bin/python bench/devices.py [--calls 500 --threads 8]

Starts a mosquitto of its own (TCP_NODELAY on, a free loopback port) and the simulator as a subprocess,
then per transport:
  1. `--calls` sequential `status` calls from one client: calls/s, p50/p95 ms;
  2. `--calls`/5 sequential start_recording + stop_recording pairs with idempotency keys (state changes,
     a recording file written per pair): p95 ms of a command;
  3. `--calls` x 4 `status` calls from `--threads` threads, each with its own client (as workers would):
     calls/s.
Then 50 sequential MQTT calls through the machine's broker on 127.0.0.1:1883 when one answers there
(its TCP_NODELAY setting decides whether each call waits ~40 ms on delayed ACKs).
Prints the figures, and as its last line one JSON object. No assertions: it only measures.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402 - first: it keeps bench/queue.py from shadowing the stdlib's queue

import argparse  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import httpx  # noqa: E402

from integrations.devices import Device  # noqa: E402
from integrations.devices.broker import free_port, reachable, start_broker  # noqa: E402
from integrations.devices.http_client import HttpDeviceClient  # noqa: E402
from integrations.devices.mqtt_client import MqttDeviceClient  # noqa: E402
from integrations.devices.mqtt_link import publish_once  # noqa: E402
from integrations.devices.protocol import presence_topic  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STUDIO = Device("studio-1", "studio")


def _timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _wait_until_ready(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).json().get("mqtt"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the simulator did not come up")


def _measure(name: str, make_client, calls: int, threads: int) -> dict:
    client = make_client()
    client.call(STUDIO, "power_on")
    client.call(STUDIO, "status")  # connections warm
    status = _timed(lambda _i: client.call(STUDIO, "status"), calls)
    run = uuid.uuid4().hex[:8]
    commands: list[float] = []
    for i in range(calls // 5):
        for command in ("start_recording", "stop_recording"):
            commands += _timed(lambda _j, i=i, c=command: client.call(STUDIO, c, idempotency_key=f"{run}:{i}:{c}"), 1)
    client.close()
    own = [make_client() for _ in range(threads)]
    for c in own:
        c.call(STUDIO, "status")
    per_thread = calls * 4 // threads
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda c: [c.call(STUDIO, "status") for _ in range(per_thread)], own))
    parallel = per_thread * threads / (time.perf_counter() - t0)
    for c in own:
        c.close()
    figures = {"seq_calls_per_s": round(calls / (sum(status) / 1000), 1),
               "p50_ms": round(common.median(status), 2), "p95_ms": round(common.percentile(status, 95), 2),
               "command_p95_ms": round(common.percentile(commands, 95), 2),
               f"par{threads}_calls_per_s": round(parallel, 1)}
    print(f"{name:5} sequential status: {figures['seq_calls_per_s']:8.1f} calls/s  p50 {figures['p50_ms']:6.2f} ms"
          f"  p95 {figures['p95_ms']:6.2f} ms | start/stop p95 {figures['command_p95_ms']:6.2f} ms"
          f" | {threads} threads: {parallel:8.1f} calls/s", flush=True)
    return {f"{name}_{k}": v for k, v in figures.items()}


def _through_system_broker(prefix: str, tmp: Path) -> dict:
    sim_url = f"http://127.0.0.1:{free_port()}"
    sim = subprocess.Popen([sys.executable, "-m", "integrations.devices.simulator", "--listen", sim_url, "--mqtt",
                            "mqtt://127.0.0.1:1883", "--prefix", prefix, "--files", str(tmp / "files2")], cwd=ROOT,
                           stdout=subprocess.DEVNULL)
    try:
        _wait_until_ready(sim_url)
        client = MqttDeviceClient("mqtt://127.0.0.1:1883", prefix)
        client.call(STUDIO, "status")
        latencies = _timed(lambda _i: client.call(STUDIO, "status"), 50)
        client.close()
    finally:
        sim.terminate()
        sim.wait(timeout=15)
        publish_once("mqtt://127.0.0.1:1883", presence_topic(prefix), b"", retain=True)  # take back the retained flag
    p50 = round(common.median(latencies), 2)
    print(f"mqtt through the machine's broker on :1883: p50 {p50} ms", flush=True)
    return {"mqtt_system_broker_p50_ms": p50}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    common.sigterm_as_exit()
    tmp = Path(tempfile.mkdtemp(prefix="bench-devices-"))
    broker_url, broker = start_broker(tmp / "mosquitto")
    token, prefix, port = secrets.token_urlsafe(16), f"bench-{uuid.uuid4().hex[:6]}", free_port()
    url = f"http://127.0.0.1:{port}"
    sim = subprocess.Popen([sys.executable, "-m", "integrations.devices.simulator", "--listen", url, "--mqtt",
                            broker_url, "--prefix", prefix, "--files", str(tmp / "files")], cwd=ROOT,
                           env=dict(os.environ, DEVICE_GATEWAY_TOKEN=token), stdout=subprocess.DEVNULL)
    result: dict = {}
    try:
        _wait_until_ready(url)
        print(f"simulator {url}, broker {broker_url} (TCP_NODELAY on), {os.cpu_count()} cores", flush=True)
        result |= _measure("http", lambda: HttpDeviceClient(url, token), args.calls, args.threads)
        result |= _measure("mqtt", lambda: MqttDeviceClient(broker_url, prefix), args.calls, args.threads)
        if reachable("127.0.0.1", 1883):
            result |= _through_system_broker(prefix, tmp)
    finally:
        sim.terminate()
        sim.wait(timeout=15)
        broker.terminate()
        broker.wait(timeout=10)
    common.emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
