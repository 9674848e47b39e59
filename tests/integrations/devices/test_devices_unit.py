"""The client's retry loop, command checks, answer mapping, results and webhook signatures: no server.
The transport is a scripted stand-in; the real adapters are tested against the simulator."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from integrations.devices.client import DeviceClient
from integrations.devices.commands import Device, print_params
from integrations.devices.errors import (
    DeviceFault,
    DeviceRejected,
    DeviceTimeout,
    DeviceUnreachable,
    InvalidCommand,
)
from integrations.devices.files import download
from integrations.devices.policy import RetryPolicy
from integrations.devices.protocol import error_body, interpret, ok_body
from integrations.devices.results import DeviceEvent, PrintJob, PrintJobStatus, RecordingFile
from integrations.devices.settings import DeviceSettings
from integrations.devices.webhook import InvalidSignature, sign, verify

STUDIO = Device("studio-1", "studio")
POWERED = {"powered": True, "lights": 0, "cameras": [], "preset": None, "recording_id": None}


class Scripted(DeviceClient):
    """Answers (or raises) from a script, one item per attempt, and records what it was sent."""

    def __init__(self, script, policy):
        super().__init__(policy)
        self.script = list(script)
        self.sent: list[tuple[str, str | None, float]] = []

    def _exchange(self, device, command, params, key, timeout):
        self.sent.append((command, key, timeout))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def _policy(**overrides) -> tuple[RetryPolicy, list[float]]:
    sleeps: list[float] = []
    values = dict(max_attempts=5, backoff_base_s=0.1, backoff_max_s=0.5, attempt_timeout_s=2.0,
                  call_timeout_s=60.0, sleep=sleeps.append)
    return RetryPolicy(**(values | overrides)), sleeps


def test_backoff_grows_exponentially_with_full_jitter_up_to_the_cap():
    policy, sleeps = _policy(max_attempts=8)
    bounds = [min(0.5, 0.1 * 2 ** n) for n in range(7)]  # 0.1 0.2 0.4 0.5 0.5 0.5 0.5
    for _ in range(30):
        sleeps.clear()
        client = Scripted([DeviceFault("busy")] * 7 + [(200, ok_body(POWERED))], policy)
        assert client.call(STUDIO, "power_on").attempts == 8
        assert len(sleeps) == 7 and all(0 <= s <= b for s, b in zip(sleeps, bounds))
    # jitter: the waits are spread, not the same schedule every time
    samples = []
    for _ in range(20):
        sleeps.clear()
        Scripted([DeviceFault("busy"), (200, ok_body(POWERED))], policy).call(STUDIO, "power_on")
        samples.append(sleeps[0])
    assert len(set(samples)) > 1


def test_every_attempt_carries_the_same_idempotency_key():
    policy, _ = _policy()
    client = Scripted([DeviceTimeout("t"), DeviceUnreachable("u"), (200, ok_body(POWERED, replayed=True))], policy)
    result = client.call(STUDIO, "power_on", idempotency_key="job-7:power_on")
    assert (result.attempts, result.replayed, result.idempotency_key) == (3, True, "job-7:power_on")
    assert {key for _c, key, _t in client.sent} == {"job-7:power_on"}


def test_without_a_key_a_state_change_gets_one_for_the_call_and_a_read_none():
    policy, _ = _policy()
    client = Scripted([DeviceTimeout("t"), (200, ok_body(POWERED)), (200, ok_body(POWERED))], policy)
    client.call(STUDIO, "power_on")
    first, second = client.sent[0][1], client.sent[1][1]
    assert first and first == second
    client.call(STUDIO, "status")
    assert client.sent[2][1] is None


def test_retries_stop_after_the_last_attempt_with_the_last_error():
    policy, sleeps = _policy(max_attempts=3)
    client = Scripted([DeviceTimeout("t1"), DeviceFault("f2"), DeviceTimeout("t3")], policy)
    with pytest.raises(DeviceTimeout) as err:
        client.call(STUDIO, "power_on")
    assert (err.value.attempts, err.value.device_id, err.value.command) == (3, "studio-1", "power_on")
    assert "after 3 attempts" in str(err.value) and len(sleeps) == 2


def test_a_refusal_is_not_retried():
    policy, sleeps = _policy()
    client = Scripted([(409, error_body("not_powered", "off"))], policy)
    with pytest.raises(DeviceRejected) as err:
        client.call(STUDIO, "start_recording")
    assert (err.value.code, err.value.attempts, err.value.retryable, sleeps) == ("not_powered", 1, False, [])


def test_an_attempt_never_waits_past_the_call_deadline():
    policy, _ = _policy(attempt_timeout_s=5.0)
    client = Scripted([(200, ok_body(POWERED))], policy)
    client.call(STUDIO, "power_on", timeout=0.25)
    assert client.sent[0][2] <= 0.25


def test_bad_commands_and_parameters_are_refused_before_sending():
    policy, _ = _policy()
    client = Scripted([], policy)
    with pytest.raises(InvalidCommand, match="a studio has no command 'print'"):
        client.call(STUDIO, "print", print_params(b"%PDF-1.7"))
    with pytest.raises(InvalidCommand) as err:
        client.call(STUDIO, "configure", {"lights": 140, "cameras": "main", "fog": True})
    text = str(err.value)
    assert "lights" in text and "cameras" in text and "fog" in text
    with pytest.raises(InvalidCommand):
        client.call(Device("screen-1", "screen"), "show", {"url": "javascript:alert(1)"})
    with pytest.raises(InvalidCommand):
        client.call(STUDIO, "power_on", idempotency_key="k" * 201)
    with pytest.raises(InvalidCommand):
        Device("studio/1/#", "studio")  # would escape its MQTT topic
    assert client.sent == []


@pytest.mark.parametrize("status, error", [
    (400, DeviceRejected), (401, DeviceRejected), (404, DeviceRejected), (409, DeviceRejected),
    (422, DeviceRejected), (408, DeviceFault), (429, DeviceFault), (500, DeviceFault), (503, DeviceFault),
    (302, DeviceFault),
])
def test_answers_map_to_typed_errors(status, error):
    with pytest.raises(error) as err:
        interpret(status, error_body("code_x", "message"))
    assert err.value.retryable is (error is not DeviceRejected)


def test_an_unreadable_answer_is_a_fault():
    policy, _ = _policy(max_attempts=1)
    client = Scripted([(200, ok_body({"powered": "not-a-bool-but-truthy", "lights": "x"}))], policy)
    with pytest.raises(DeviceFault) as err:
        client.call(STUDIO, "power_on")
    assert err.value.code == "bad_answer"


def test_results_are_json_for_task_data():
    job = {"job_id": "job-1", "status": "printing", "title": "协议", "pages": 2, "copies": 1, "printed": 1,
           "error": None}
    client = Scripted([(200, ok_body(job))], _policy()[0])
    result = client.call(Device("printer-1", "printer"), "job_status", {"job_id": "job-1"})
    assert result.value == PrintJob("job-1", PrintJobStatus.PRINTING, "协议", 2, 1, 1, None)
    assert json.loads(json.dumps(result.to_json()))["value"] == job


def _event() -> DeviceEvent:
    return DeviceEvent("e1", "printer-1", "printer", "print_job", 7, datetime(2026, 3, 1, tzinfo=timezone.utc),
                       {"job_id": "job-1", "status": "done", "pages": 1, "copies": 1, "printed": 1})


def test_webhook_signatures_verify_and_refuse_tampering_replay_and_wrong_secrets():
    body = json.dumps(_event().to_json()).encode()
    header = sign(body, "s3cret", timestamp=1_000_000)
    event = verify(body, header, "s3cret", now=1_000_010)
    assert event.print_job.status is PrintJobStatus.DONE
    for bad_body, bad_header, secret, now in [
        (body.replace(b"done", b"error"), header, "s3cret", 1_000_010),  # tampered
        (body, header, "other", 1_000_010),  # wrong secret
        (body, header, "s3cret", 1_000_000 + 301),  # too old: a replay
        (body, "v1=abc", "s3cret", 1_000_010),  # no timestamp
        (body, None, "s3cret", 1_000_010),
        (b"[]", sign(b"[]", "s3cret", 1_000_000), "s3cret", 1_000_010),  # signed, but not an event
        (body, header, "", 1_000_010),  # no secret configured: refuse rather than accept anything
    ]:
        with pytest.raises(InvalidSignature):
            verify(bad_body, bad_header, secret, now=now)


def test_settings_from_the_platform_config():
    settings = DeviceSettings.from_mapping({"DEVICE_GATEWAY_URL": "mqtt://broker:1883", "DEVICE_MAX_ATTEMPTS": "2",
                                            "DEVICE_SIMULATOR": "off", "DEVICE_SIMULATOR_URL": "http://127.0.0.1:9"})
    assert (settings.transport, settings.policy.max_attempts, settings.simulator) == ("mqtt", 2, False)
    assert settings.file_server == "http://127.0.0.1:9"
    plain = DeviceSettings.from_mapping({})
    assert (plain.transport, plain.file_server) == ("http", "http://127.0.0.1:8765")


def test_files_are_fetched_only_from_the_gateway(tmp_path):
    made = RecordingFile("rec-1", "rec-1.wav", 10, "0" * 64, "http://169.254.169.254/latest/meta-data",
                         "audio/wav", datetime.now(timezone.utc), datetime.now(timezone.utc))
    with pytest.raises(DeviceRejected) as err:
        download(made, tmp_path / "x.wav", "http://127.0.0.1:8765", token="secret")
    assert err.value.code == "foreign_url" and not (tmp_path / "x.wav").exists()
