"""A device gateway simulator: studio controllers, print robots and big screens behind one HTTP and MQTT
gateway, with state that can be inspected and faults that can be switched on and off. `make run` and
the tests start it as its own process: `python -m integrations.devices.simulator --help`."""
