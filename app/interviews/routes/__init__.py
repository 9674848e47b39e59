"""The area's pages: positions and applications, fairs (with the student's queue page, the kiosk, the staff
overview and the halls' boards), booth consoles and check-in, invitations, reports. Thin: parse, call one
service or query, map a refusal to a message (4xx), render."""
from app.interviews.routes.fairs import bp as fairs_bp
from app.interviews.routes.invitations import bp as invitations_bp
from app.interviews.routes.positions import bp as positions_bp
from app.interviews.routes.queue import bp as booths_bp
from app.interviews.routes.queue import checkin_bp
from app.interviews.routes.reports import bp as reports_bp

BLUEPRINTS = (positions_bp, fairs_bp, booths_bp, checkin_bp, invitations_bp, reports_bp)
