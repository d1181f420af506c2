"""Settings for a worker whose pool processes die inside every chunk (test_pipeline_workers.py).

The chunk is claimed first (its attempt counted), then the process is SIGKILLed before it can say
anything: what the kernel's OOM killer does to a chunk that needs more memory than the host has.
"""

import os
import signal

from celery.signals import worker_process_init

from config.settings_test import *  # noqa: F403


@worker_process_init.connect
def die_inside_every_chunk(**kwargs):
    from tracker.pipeline import chunk

    def load(context, part):
        os.kill(os.getpid(), signal.SIGKILL)

    chunk._load = load
