"""The tripartite employment agreement (三方协议) and its rescission: one package, the shape docs/areas.md
describes (domain, models, services, queries, routes and templates, documents glue, registration)."""
