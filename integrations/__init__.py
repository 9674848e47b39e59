"""Outside systems: mail (SMTP), devices (docs/devices.md), later SMS, WeChat and SSO. No Flask requests."""
