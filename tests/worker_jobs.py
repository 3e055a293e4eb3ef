"""A job kind for the real-worker tests (tests/test_celery_worker.py), imported by the test
and by the worker (`celery worker -I tests.worker_jobs`).

`tests.worker_parts` makes `parts` parts, one after another, each after a pause of
`pause` seconds; each part is kept in the job's media storage and checkpointed, and a line
"<attempt> <part>" is appended to the file `log` as each is made, so a test can count
which run made which part across processes.
"""

import time
from pathlib import Path

from jobs.registry import JobResult, register_job

PARTS_JOB = "tests.worker_parts"


def part_text(n: int, total: int) -> str:
    return f"part {n + 1} of {total}\n"


def run_parts(context) -> JobResult:
    total = int(context.params["parts"])
    pause = float(context.params.get("pause", 0.3))
    log = Path(context.params["log"])
    first = context.state.get("done", 0)
    context.progress(done=first, total=total, message=f"Made {first} of {total} parts")
    for n in range(first, total):
        time.sleep(pause)
        context.save_part(f"part-{n:03d}.txt", part_text(n, total).encode())
        with log.open("a") as f:
            f.write(f"{context.attempt} {n}\n")
        context.checkpoint({"done": n + 1}, done=n + 1, message=f"Made {n + 1} of {total} parts")
    names = [f"part-{n:03d}.txt" for n in range(total)]
    data = b"".join(context.read_part(name) for name in names)
    context.delete_parts(names)
    return JobResult("parts.txt", "text/plain", data)


register_job(PARTS_JOB, "Parts (worker test)", "audit.view_events", run=run_parts)
