"""`python manage.py bench`: the recompute pipeline measured against its I/O floor (DESIGN §9).

Pieces: dataset (build or reuse demo data), floor (T_io: COPY out the loader's SELECTs, COPY the
results into a staging table), runs (cold / nightly / incremental recomputes), workers (the same
cold recompute in 1 and 2 child processes), orm_path (the per-enterprise ORM baseline), report.
"""
