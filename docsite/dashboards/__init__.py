"""The admins' dashboards: overview, automation, model, labeling and drift.

Each page is a module with ``build(filters) -> Page``; ``views`` renders any of them the same
way (filter form, one card per chart, its data table and a CSV download). Every figure is
aggregated by the database; a built page is cached for ``DOCSITE_DASHBOARD_CACHE_SECONDS``.
"""
