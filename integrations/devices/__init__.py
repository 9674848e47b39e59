"""Devices: studio controllers, print robots and big screens behind a gateway (HTTP or MQTT), and a
simulator of that gateway. docs/devices.md describes the interface, the adapters and the simulator."""
from integrations.devices.client import DeviceClient
from integrations.devices.commands import COMMANDS, Device, print_params
from integrations.devices.errors import (
    DeviceError,
    DeviceFault,
    DeviceRejected,
    DeviceTimeout,
    DeviceUnreachable,
    InvalidCommand,
)
from integrations.devices.policy import RetryPolicy
from integrations.devices.results import (
    DeviceEvent,
    DeviceKind,
    DeviceResult,
    PrinterState,
    PrintJob,
    PrintJobStatus,
    RecordingFile,
    RecordingStarted,
    ScreenState,
    StudioState,
)
from integrations.devices.settings import DeviceSettings, connect, shared_client

__all__ = [
    "COMMANDS", "Device", "DeviceClient", "DeviceError", "DeviceEvent", "DeviceFault", "DeviceKind", "DeviceRejected",
    "DeviceResult", "DeviceSettings", "DeviceTimeout", "DeviceUnreachable", "InvalidCommand", "PrintJob",
    "PrintJobStatus", "PrinterState", "RecordingFile", "RecordingStarted", "RetryPolicy", "ScreenState",
    "StudioState", "connect", "print_params", "shared_client",
]
