"""The recompute pipeline: load facts in bulk, evaluate every tier, write only what changed.

Django-side glue around the pure engine in tracker/rules/. PostgreSQL gets binary COPY in and out;
other databases take a portable path that is fine at demo scale.
"""
