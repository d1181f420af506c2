"""Demo data generator (``python manage.py generate_demo``): names, distributions, database writes."""
