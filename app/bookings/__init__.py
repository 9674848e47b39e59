"""Device and room booking (设备与场地预约): the catalogue of recording studios, interview rooms, print robots
and big screens; bookings with approval, reminders, check-in, no-shows, a waitlist and a credit score; the
devices a booking switches on and off through the worker (integrations/devices). docs/bookings.md."""
