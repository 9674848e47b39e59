"""Outside systems: notifications (a simulator for now), later the device gateway and SSO. No Flask requests."""
