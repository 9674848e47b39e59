"""Reporting's blueprints: operations (admins), analytics (process owners), reports (the office)."""
from app.reporting.routes.analytics import bp as analytics_bp
from app.reporting.routes.bigscreen import bp as bigscreen_bp
from app.reporting.routes.operations import ops_bp
from app.reporting.routes.reports import bp as reports_bp

BLUEPRINTS = (ops_bp, analytics_bp, reports_bp, bigscreen_bp)
