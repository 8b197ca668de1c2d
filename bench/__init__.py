"""The speed bench (`make bench`): Fairlead's timings as ratios to baselines that live here.

Not an app of the product: bench.settings adds it to INSTALLED_APPS for the bench's own
gunicorn and Celery worker only, with a bare one-row insert view and a no-op task as the
yardsticks. README.md, "Benchmarks", says how to run and read it.
"""
