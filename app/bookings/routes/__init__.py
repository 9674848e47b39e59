"""The booking area's blueprints: bookings (catalogue, calendars, bookings, staff desk), the catalogue's
management with its Excel import/export, usage statistics, printing and screens with the devices' webhook."""
from app.bookings.routes.bookings import bp as bookings_bp
from app.bookings.routes.catalogue import bp as catalogue_bp
from app.bookings.routes.devices import bp as devices_bp
from app.bookings.routes.reports import bp as reports_bp

BLUEPRINTS = (bookings_bp, catalogue_bp, reports_bp, devices_bp)
