"""Every command over HTTP and MQTT against the running simulator; its state matches what it was told;
print job statuses flow back as events."""
from __future__ import annotations

import wave

import pytest

from integrations.devices.commands import print_params
from integrations.devices.errors import DeviceRejected
from integrations.devices.files import download
from integrations.devices.results import (
    PrinterState,
    PrintJob,
    PrintJobStatus,
    RecordingFile,
    ScreenState,
    StudioState,
)
from tests.integrations.devices.helpers import sample_pdf, statuses


def test_a_studio_session_powers_configures_records_and_makes_a_file(simulator, client, events, tmp_path):
    studio = simulator.add("studio")
    assert client.call(studio, "power_on", idempotency_key=f"{studio.id}:on").value.powered
    state = client.call(studio, "configure", {"lights": 80, "cameras": ["main", "slides"], "preset": "interview"}).value
    assert state == StudioState(True, 80, ("main", "slides"), "interview", None, state.available_cameras,
                                state.available_presets)
    started = client.call(studio, "start_recording", {"title": "空中面试"}, idempotency_key=f"{studio.id}:start")
    assert client.call(studio, "status").value.recording_id == started.value.recording_id
    made = client.call(studio, "stop_recording", idempotency_key=f"{studio.id}:stop").value
    assert isinstance(made, RecordingFile) and made.recording_id == started.value.recording_id
    assert made.stopped_at >= made.started_at

    path = download(made, tmp_path / made.name, simulator.url, simulator.token)
    with wave.open(str(path)) as wav:  # a real media file of the recording's length
        assert wav.getnframes() > 0
    client.call(studio, "power_off")

    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is False
    assert [r["sha256"] for r in seen["recordings"]] == [made.sha256]
    assert seen["recordings"][0]["title"] == "空中面试"
    assert seen["executed"] == {"power_on": 1, "configure": 1, "start_recording": 1, "status": 1,
                                "stop_recording": 1, "power_off": 1}
    got = events.wait_for(lambda evs: any(e.device_id == studio.id and e.type == "power"
                                          and not e.data["powered"] for e in evs))
    types = [e.type for e in got if e.device_id == studio.id]
    assert types == ["power", "configured", "recording_started", "recording_stopped", "power"]
    assert next(e for e in got if e.device_id == studio.id and e.type == "recording_stopped").recording == made


def test_a_studio_refuses_what_its_state_does_not_allow(simulator, client):
    studio = simulator.add("studio")
    with pytest.raises(DeviceRejected) as off:
        client.call(studio, "start_recording")
    assert (off.value.code, off.value.attempts) == ("not_powered", 1)  # no retry: it would say no again
    client.call(studio, "power_on")
    with pytest.raises(DeviceRejected) as preset:
        client.call(studio, "configure", {"preset": "disco"})
    assert preset.value.code == "unknown_preset"
    with pytest.raises(DeviceRejected) as stop:
        client.call(studio, "stop_recording")
    assert stop.value.code == "not_recording"
    client.call(studio, "start_recording")
    with pytest.raises(DeviceRejected) as again:
        client.call(studio, "start_recording")  # another key: a second recording would be a new request
    assert again.value.code == "already_recording"
    with pytest.raises(DeviceRejected) as power_off:
        client.call(studio, "power_off")
    assert power_off.value.code == "recording"
    assert simulator.inspect(studio)["executed"]["start_recording"] == 1


def test_a_print_job_goes_queued_printing_done_and_its_events_come_back(simulator, client, events):
    printer = simulator.add("printer", paper=100)
    job = client.call(printer, "print", print_params(sample_pdf(3), "就业协议书", copies=2),
                      idempotency_key=f"{printer.id}:print").value
    assert isinstance(job, PrintJob) and (job.status, job.pages, job.copies) == (PrintJobStatus.QUEUED, 3, 2)
    got = events.wait_for(lambda evs: "done" in statuses(evs, job.job_id))
    assert statuses(got, job.job_id) == ["queued", "printing", "done"]
    done = client.call(printer, "job_status", {"job_id": job.job_id}).value
    assert (done.status, done.printed) == (PrintJobStatus.DONE, 6)
    state = client.call(printer, "status").value
    assert state == PrinterState("idle", 94, None, 0)
    assert [j["status"] for j in simulator.inspect(printer)["jobs"]] == ["done"]


def test_a_printer_out_of_paper_waits_and_prints_on_when_refilled(simulator, client, events):
    printer = simulator.add("printer", paper=2)
    job = client.call(printer, "print", print_params(sample_pdf(3))).value
    events.wait_for(lambda evs: "out_of_paper" in statuses(evs, job.job_id))
    assert client.call(printer, "status").value.state == "out_of_paper"
    simulator.adjust(printer, paper=50)
    got = events.wait_for(lambda evs: "done" in statuses(evs, job.job_id))
    assert statuses(got, job.job_id) == ["queued", "printing", "out_of_paper", "printing", "done"]
    assert simulator.inspect(printer)["state"]["paper"] == 49


def test_print_jobs_can_be_cancelled_and_end_in_error_on_a_jam(simulator, client, events):
    printer = simulator.add("printer", queue_s=30)  # jobs stay queued
    job = client.call(printer, "print", print_params(sample_pdf(1))).value
    cancelled = client.call(printer, "cancel", {"job_id": job.job_id}).value
    assert cancelled.status == PrintJobStatus.CANCELLED
    with pytest.raises(DeviceRejected) as again:
        client.call(printer, "cancel", {"job_id": job.job_id})
    assert again.value.code == "job_finished"
    with pytest.raises(DeviceRejected) as unknown:
        client.call(printer, "job_status", {"job_id": "job-nope"})
    assert unknown.value.code == "unknown_job"

    simulator.adjust(printer, queue_s=0.01, jam_next=True)
    jammed = client.call(printer, "print", print_params(sample_pdf(2))).value
    got = events.wait_for(lambda evs: "error" in statuses(evs, jammed.job_id))
    assert statuses(got, jammed.job_id) == ["queued", "printing", "error"]
    assert client.call(printer, "job_status", {"job_id": jammed.job_id}).value.error == "paper jam"


def test_a_printer_refuses_a_damaged_or_foreign_document(simulator, client):
    printer = simulator.add("printer")
    damaged = print_params(sample_pdf(1)) | {"sha256": "0" * 64}
    with pytest.raises(DeviceRejected) as mismatch:
        client.call(printer, "print", damaged)
    assert mismatch.value.code == "checksum_mismatch"
    with pytest.raises(DeviceRejected) as not_pdf:
        client.call(printer, "print", print_params(b"PK\x03\x04 a zip, not a PDF"))
    assert not_pdf.value.code == "not_a_pdf"
    assert simulator.inspect(printer)["jobs"] == []


def test_a_screen_shows_a_page_or_an_announcement_and_clears(simulator, client, events):
    screen = simulator.add("screen")
    shown = client.call(screen, "show", {"url": "http://127.0.0.1:5000/interviews/fair/7/board"}).value
    assert (shown.showing, shown.url) == ("url", "http://127.0.0.1:5000/interviews/fair/7/board")
    text = client.call(screen, "show", {"text": "双选会 14:00 开始", "title": "通知"}).value
    assert (text.showing, text.text, text.title) == ("text", "双选会 14:00 开始", "通知")
    assert client.call(screen, "status").value == text
    assert client.call(screen, "clear").value.showing is None
    seen = simulator.inspect(screen)
    assert [h["showing"] for h in seen["history"]] == ["url", "text", None]
    got = events.wait_for(lambda evs: sum(e.device_id == screen.id for e in evs) == 3)
    assert [e.data["showing"] for e in got if e.device_id == screen.id] == ["url", "text", None]


@pytest.mark.parametrize("kind, state_type", [("studio", StudioState), ("printer", PrinterState),
                                              ("screen", ScreenState)])
def test_every_kind_answers_status(simulator, client, kind, state_type):
    device = simulator.add(kind)
    result = client.call(device, "status")
    assert isinstance(result.value, state_type) and result.idempotency_key is None
    assert simulator.inspect(device)["executed"] == {"status": 1}


def test_unknown_devices_are_refused(simulator, client):
    from integrations.devices.commands import Device

    with pytest.raises(DeviceRejected) as err:
        client.call(Device("studio-does-not-exist", "studio"), "status")
    assert err.value.code == "unknown_device" and err.value.attempts == 1
