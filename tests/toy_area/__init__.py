"""A toy business area, registered in tests only (docs/areas.md walks through it): a BPMN file, a form, a
service operation, a page, permissions, a menu entry, demo data, a report definition and a periodic job."""
