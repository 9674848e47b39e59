"""The process library and the modeler: process owners change processes themselves (docs/modeler.md).

Drafts, validation, deploy, versions, rollback, owners, migration and test runs; the modeler pages' front-end
sources are in assets/ (bundled into app/static/vendor/modeler by `make install`).
"""
