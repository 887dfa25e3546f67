import os

# The calibrated model (reviews/calibration.py) factors small dense matrices with numpy's and
# scipy's OpenBLAS, whose thread pools, one per core, fight each other and every other process
# on a busy host: a refit's fit took 0.7-4.8 s with two cores loaded, 0.28-0.38 s with one
# thread, and one thread is as fast on an idle host. Set before numpy is first imported (this
# package is, in every process: web, worker, beat, manage.py); an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Load the Celery app with Django so that @shared_task binds to it in every process.
from .celery import app as celery_app

__all__ = ("celery_app",)
