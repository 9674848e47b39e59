"""Each switchable fault, over HTTP and MQTT: the call succeeds once the device recovers within the retry
budget, or ends in the typed error while it stays broken; a retried "start recording" never starts two."""
from __future__ import annotations

import httpx
import pytest

from integrations.devices.commands import Device
from integrations.devices.errors import (
    DeviceFault,
    DeviceRejected,
    DeviceTimeout,
    DeviceUnreachable,
)
from integrations.devices.http_client import HttpDeviceClient
from integrations.devices.mqtt_client import MqttDeviceClient
from integrations.devices.mqtt_link import publish_once
from integrations.devices.policy import RetryPolicy
from integrations.devices.protocol import presence_topic
from tests.integrations.devices.conftest import FAST

TRANSIENT = ["timeout", "error", "drop"]


def _powered_studio(simulator, client) -> Device:
    studio = simulator.add("studio")
    client.call(studio, "power_on")
    return studio


@pytest.mark.parametrize("mode", TRANSIENT)
def test_a_fault_that_heals_ends_in_success_with_one_recording(simulator, client, mode):
    studio = _powered_studio(simulator, client)
    simulator.fault(studio, mode, count=2, delay_s=1.5)
    result = client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start")
    assert result.attempts == 3
    seen = simulator.inspect(studio)
    assert seen["executed"]["start_recording"] == 1
    assert seen["state"]["recording_id"] == result.value.recording_id
    # "timeout" carried the first attempt out and lost its answer: the retry got that first result
    assert result.replayed == (mode == "timeout")


@pytest.mark.parametrize("mode, error", [("timeout", DeviceTimeout), ("error", DeviceFault)])
def test_a_fault_that_stays_ends_in_its_typed_error(simulator, client, mode, error):
    studio = _powered_studio(simulator, client)
    simulator.fault(studio, mode, delay_s=1.5)
    with pytest.raises(error) as err:
        client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start")
    assert err.value.retryable and err.value.attempts == FAST.max_attempts
    assert err.value.device_id == studio.id and studio.id in str(err.value)
    # staff fix the device and retry the job: the same key, one recording
    simulator.heal(studio)
    again = client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start")
    assert simulator.inspect(studio)["executed"]["start_recording"] == 1
    assert again.replayed == (mode == "timeout")


def test_a_dropped_request_stays_unanswered(simulator, client, transport):
    studio = _powered_studio(simulator, client)
    simulator.fault(studio, "drop")
    # over HTTP the connection breaks at once; over MQTT the request just never gets an answer
    with pytest.raises(DeviceUnreachable if transport == "http" else DeviceTimeout) as err:
        client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start")
    assert err.value.attempts == FAST.max_attempts
    assert simulator.inspect(studio)["executed"].get("start_recording") is None


def test_a_slow_device_answers_within_the_timeout_or_times_out(simulator, client):
    studio = _powered_studio(simulator, client)
    simulator.fault(studio, "slow", count=1, delay_s=0.3)  # below the 1 s attempt timeout
    assert client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start").attempts == 1

    simulator.fault(studio, "slow", delay_s=2.0)  # each attempt gives up first; the device acts anyway
    with pytest.raises(DeviceTimeout):
        client.call(studio, "stop_recording", idempotency_key=f"{studio.id}:stop", timeout=2.5)
    simulator.heal(studio)
    stopped = client.call(studio, "stop_recording", idempotency_key=f"{studio.id}:stop")
    assert stopped.replayed
    assert simulator.inspect(studio)["executed"]["stop_recording"] == 1


def test_duplicate_delivery_starts_one_recording(simulator, client, transport):
    studio = _powered_studio(simulator, client)
    simulator.fault(studio, "duplicate")
    result = client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start")
    assert result.attempts == 1
    seen = simulator.inspect(studio)
    assert seen["executed"]["start_recording"] == 1 and seen["replayed"] >= 1
    assert seen["state"]["recording_id"] == result.value.recording_id


def test_duplicate_events_reach_consumers_once(simulator, client, mqtt_events, webhook):
    screen = simulator.add("screen")
    simulator.fault(screen, "duplicate")
    client.call(screen, "show", {"text": "签约仪式"})
    webhook.wait_for(lambda evs: sum(e.device_id == screen.id for e in evs) == 2)  # delivered twice...
    twice = {e.event_id for e in webhook.of(screen)}
    assert len(twice) == 1  # ...as the same event, which a consumer applies once
    mqtt_events.wait_for(lambda evs: any(e.device_id == screen.id for e in evs))
    client.call(screen, "clear")  # events are ordered: once clear arrived, a duplicate "show" would have too
    mqtt_events.wait_for(lambda evs: any(e.device_id == screen.id and e.data["showing"] is None for e in evs))
    assert [e.data["showing"] for e in mqtt_events.of(screen)] == ["text", None]


def test_the_same_key_for_another_request_is_refused(simulator, client):
    studio = _powered_studio(simulator, client)
    client.call(studio, "configure", {"lights": 10}, idempotency_key=f"{studio.id}:k")
    with pytest.raises(DeviceRejected) as err:
        client.call(studio, "configure", {"lights": 90}, idempotency_key=f"{studio.id}:k")
    assert err.value.code == "key_reused"
    assert simulator.inspect(studio)["state"]["lights"] == 10


def test_a_refusal_is_not_remembered_under_its_key(simulator, client):
    """Nothing happened, so after staff fix the cause the same key runs the command."""
    studio = simulator.add("studio")
    with pytest.raises(DeviceRejected):
        client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start")
    client.call(studio, "power_on")
    assert not client.call(studio, "start_recording", idempotency_key=f"{studio.id}:start").replayed


def test_an_unreachable_gateway_is_a_typed_error():
    from integrations.devices.broker import free_port

    port = free_port()  # nothing listens there
    policy = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.02, attempt_timeout_s=0.5)
    studio = Device("studio-1", "studio")
    with HttpDeviceClient(f"http://127.0.0.1:{port}", policy=policy) as http:
        with pytest.raises(DeviceUnreachable) as err:
            http.call(studio, "power_on")
    assert err.value.attempts == 3 and err.value.retryable
    with MqttDeviceClient(f"mqtt://127.0.0.1:{port}", policy=policy) as mqtt:
        with pytest.raises(DeviceUnreachable):
            mqtt.call(studio, "power_on")


def test_an_mqtt_gateway_that_went_offline_is_unreachable(simulator):
    prefix = f"{simulator.prefix}-gone"
    publish_once(simulator.mqtt_url, presence_topic(prefix), b"0", retain=True)
    try:
        with MqttDeviceClient(simulator.mqtt_url, prefix, FAST) as mqtt:
            with pytest.raises(DeviceUnreachable) as err:
                mqtt.call(Device("studio-1", "studio"), "power_on")
        assert err.value.code == "gateway_offline"
    finally:  # a retained message outlives the test: take it back
        publish_once(simulator.mqtt_url, presence_topic(prefix), b"", retain=True)


def test_a_wrong_token_is_refused(simulator):
    with HttpDeviceClient(simulator.url, "not-the-token", FAST) as http:
        with pytest.raises(DeviceRejected) as err:
            http.call(Device("studio-1", "studio"), "status")
    assert (err.value.code, err.value.attempts) == ("unauthorized", 1)
    assert httpx.get(f"{simulator.url}/_sim/devices").status_code == 401


def test_the_same_start_delivered_by_many_workers_at_once_starts_one_recording(simulator, clients, transport):
    """A job delivered twice runs on two workers: each has its own client, the key is the same."""
    from concurrent.futures import ThreadPoolExecutor

    studio = _powered_studio(simulator, clients["http"])
    own = [HttpDeviceClient(simulator.url, simulator.token, FAST) if transport == "http"
           else MqttDeviceClient(simulator.mqtt_url, simulator.prefix, FAST) for _ in range(6)]
    try:
        with ThreadPoolExecutor(len(own)) as pool:
            results = list(pool.map(lambda c: c.call(studio, "start_recording", idempotency_key=f"{studio.id}:s"), own))
    finally:
        for client in own:
            client.close()
    assert len({r.value.recording_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert simulator.inspect(studio)["executed"]["start_recording"] == 1
