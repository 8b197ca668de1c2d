"""A Celery worker that stops once inside one function, so a test can kill it right there.

    python -m tests.resilience.paused_worker <module>:<function> <marker> <worker options...>

The first call of the function, in whichever process of the worker runs it, writes that
process's id to <marker> and hangs (the test SIGKILLs it there); every later call, in any
process, runs the function. A test thus kills a worker "mid-routing" at a chosen line, on
any database and broker, without sleeping and hoping.
"""

import importlib
import os
import sys
import time

import django


def pause_once(module_name: str, name: str, marker: str) -> None:
    module = importlib.import_module(module_name)
    original = getattr(module, name)

    def paused(*args, **kwargs):
        try:  # the first caller of all the worker's processes takes the pause
            os.close(os.open(f"{marker}.taken", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return original(*args, **kwargs)
        with open(f"{marker}.tmp", "w") as file:
            file.write(str(os.getpid()))
        os.replace(f"{marker}.tmp", marker)  # whole, or not there yet
        time.sleep(600)  # killed here
        raise SystemExit("the test never killed this paused worker")

    setattr(module, name, paused)  # callers in the module look it up at call time


def main() -> None:
    target, marker, *options = sys.argv[1:]
    django.setup()
    module_name, name = target.split(":")
    pause_once(module_name, name, marker)
    from config.celery import app  # after django.setup(): the app reads settings

    app.worker_main(["worker", *options])


if __name__ == "__main__":
    main()
