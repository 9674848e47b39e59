"""`make run`: web + worker + scheduler + the live-event stream server in one terminal; Ctrl-C (or SIGTERM)
stops them all, and so does any one of them stopping on its own (its exit code is shown). The embedded Redis
(when REDIS_URL is unset) is stopped last: it runs daemonized, so no signal to the terminal reaches it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    from app import create_app
    from app.platform.queue import is_embedded_redis, redis_url, stop_embedded_redis
    from integrations.devices.launch import device_pieces
    from integrations.devices.settings import DeviceSettings

    app = create_app()
    with app.app_context():
        env = dict(os.environ, REDIS_URL=redis_url())  # every piece shares the (embedded) Redis
    var_dir = Path(app.config["VAR_DIR"])
    owns_redis = is_embedded_redis(env["REDIS_URL"], var_dir)
    port = os.environ.get("PORT", "5000")
    # the simulator's status events (print jobs, screens) come back to the booking area's webhook route
    app.config["DEVICE_WEBHOOK_URL"] = (app.config.get("DEVICE_WEBHOOK_URL")
                                        or f"http://127.0.0.1:{port}/bookings/devices/events")
    try:
        devices, device_env = device_pieces(DeviceSettings.from_mapping(app.config), var_dir)
    except RuntimeError as err:
        if owns_redis:
            stop_embedded_redis(var_dir)
        sys.exit(f"make run: {err}")
    env.update(device_env)  # the gateway URL (a broker of our own may have taken a free port) and secrets
    stream_port = os.environ.get("STREAM_PORT", str(int(port) + 1))
    # Pages open their live events on the stream server (gevent: thousands of open connections, docs/live.md).
    env["LIVE_STREAM_URL"] = os.environ.get("LIVE_STREAM_URL") or f"http://127.0.0.1:{stream_port}/events"
    pieces = {
        "web": [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", port],
        "worker": [sys.executable, "-m", "app.worker"],
        "scheduler": [sys.executable, "-m", "app.scheduler"],
        "stream": [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "10000",
                   "-b", f"127.0.0.1:{stream_port}", "--graceful-timeout", "3", "--log-level", "warning",
                   "app.platform.live_server:create_stream_app()"],
        **devices,
    }
    if env.get("DEVICE_GATEWAY_URL", app.config["DEVICE_GATEWAY_URL"]).startswith("mqtt"):
        # device status events over MQTT (print jobs, screens): applied as the webhook route applies them
        pieces["device-events"] = [sys.executable, "-m", "app.bookings.device_listener"]
    def stop(signum, _frame):  # SIGTERM (a service manager, `timeout`): stop the pieces like Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in pieces.items()}
    from app.identity.demo import DEMO_PASSWORD
    from app.platform.areas import registry

    with app.app_context():
        accounts = registry().demo_accounts()
    print(f"\n  BPM platform running: http://127.0.0.1:{port}/  (health: /healthz, /healthz/pieces)")
    print(f"  database: {app.config['SQLALCHEMY_DATABASE_URI']}\n  redis: {env['REDIS_URL']}")
    print(f"  live events: {env['LIVE_STREAM_URL']}")
    if devices:
        print(f"  devices: simulator {app.config['DEVICE_SIMULATOR_URL']} (state: /_sim/devices), "
              f"gateway {env['DEVICE_GATEWAY_URL']}")
    print(f"  demo accounts (password {DEMO_PASSWORD}):")
    for account in accounts:
        print(f"    {account.username:<14} {','.join(account.roles):<14} {account.name}")
    print(f"  Ctrl-C stops {', '.join(procs)}.\n", flush=True)
    stopped_alone = False
    try:
        while all(p.poll() is None for p in procs.values()):
            time.sleep(0.5)
        stopped_alone = True
        for name, p in procs.items():
            if p.returncode is not None:
                print(f"  {name} stopped (exit code {p.returncode}); stopping the others.", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()  # SIGTERM: each piece stops cleanly on it (SIGINT may be ignored in the background)
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if owns_redis:
            stop_embedded_redis(var_dir)
    if stopped_alone:
        sys.exit(1)


if __name__ == "__main__":
    main()
