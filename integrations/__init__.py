"""Outside systems: notifications (a simulator for now), devices (docs/devices.md), later SSO. No Flask requests."""
