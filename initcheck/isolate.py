"""Running checks in a worker process that can be stopped or can crash.

``--timeout SECONDS``: every check runs in a worker process; one that takes longer is
stopped (the worker is killed: a hung C extension ignores everything gentler), the
check is recorded as ``error`` and a fresh worker takes the remaining checks.

``--isolate``: each initializer's checks run in a worker of their own, so a backend
that crashes the interpreter (abort, segfault) costs that check, recorded as
``error`` with the signal and the worker's last words on stderr, and the run goes on.

The worker is ``python -m initcheck.isolate``; it loads the backend by the same name
the parent was given, runs the cases it is sent (pickled, length-prefixed, over a
private pipe: whatever the backend prints to stdout is moved to stderr), and answers
with each CheckResult and, for a failure, its diagnosis in words.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from typing import Any, BinaryIO, Callable, Iterable

from initcheck.results import CheckResult

__all__ = ["WorkerPool", "group_key", "run_isolated"]

#: How long a worker may take to import and load its backend (torch, mindspore, jax
#: need a few seconds; a minute means something is wrong).
LOAD_TIMEOUT_S = 120.0
#: How long explaining a failure (one re-drawn fill and a few KS tests) may take; it
#: is not part of the check, so --timeout does not apply to it.
DIAGNOSIS_TIMEOUT_S = 120.0

_HEADER = struct.Struct("!I")


def _send(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def group_key(case) -> str:
    """The initializer a case belongs to (capability checks: their own name)."""
    if case.spec is not None:
        return case.spec.name
    return case.detail or case.check


def error_result(case, message: str, backend_ref: str) -> CheckResult:
    """An ``error`` CheckResult for `case`, which did not finish."""
    from initcheck.runner import repro_command

    spec = case.spec
    return CheckResult(
        id=case.id,
        spec=str(spec) if spec is not None else (case.detail or case.check),
        initializer=spec.name if spec is not None else (case.detail or case.check),
        params=spec.params if spec is not None else {},
        shape=list(case.shape) if case.shape is not None else None,
        dtype=case.dtype,
        check=case.check,
        outcome="error",
        seed=int(case.seed),
        message=message,
        repro=repro_command(case, backend_ref),
    )


class _Worker:
    """One worker process and the thread that reads its answers."""

    def __init__(self, backend_ref: str) -> None:
        self.stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        # the worker must find the modules the parent found (a backend named
        # module:attr may live on a path added at run time)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "initcheck.isolate"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env,
        )
        self.answers: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        _send(self.proc.stdin, backend_ref)
        ready = self._wait(LOAD_TIMEOUT_S)
        if ready is None:
            self.kill()
            raise RuntimeError(f"the worker did not load backend {backend_ref!r} within "
                               f"{LOAD_TIMEOUT_S:.0f} s")
        if ready is EOFError:
            death = self.death()
            self.kill()
            raise RuntimeError(f"the worker died loading backend {backend_ref!r}: {death}")
        if ready[0] != "ready":
            self.kill()
            raise RuntimeError(f"the worker could not load backend {backend_ref!r}: {ready[1]}")

    def _read(self) -> None:
        while True:
            try:
                self.answers.put(_receive(self.proc.stdout))
            except (EOFError, OSError, pickle.UnpicklingError):
                self.answers.put(EOFError)
                return

    def _wait(self, timeout: float | None):
        try:
            return self.answers.get(timeout=timeout)
        except queue.Empty:
            return None

    def run(self, case, timeout: float | None):
        """The CheckResult, or None on timeout, or EOFError if the worker died."""
        try:
            _send(self.proc.stdin, case)
        except (BrokenPipeError, OSError):
            return EOFError
        return self._wait(timeout)

    def diagnosis(self):
        """The explanation the worker sends after a failed result (a str or None),
        or EOFError / None (timeout) when it does not come."""
        return self._wait(DIAGNOSIS_TIMEOUT_S)

    def stderr_tail(self, lines: int = 4) -> str:
        """The worker's last words: for a fatal signal, faulthandler's headline and the
        innermost frames (it prints the most recent call first); else the last lines."""
        self.stderr.seek(0)
        text = [line.strip() for line in
                self.stderr.read().decode("utf-8", "replace").strip().splitlines()]
        fatal = [i for i, line in enumerate(text) if line.startswith("Fatal Python error")]
        if fatal:
            start = fatal[-1]
            frames = [line for line in text[start + 1:] if line.startswith("File ")]
            return " | ".join([text[start], *frames[:lines - 1]])
        return " | ".join(text[-lines:])

    def death(self) -> str:
        rc = self.proc.wait()
        if rc < 0:
            try:
                what = f"killed by signal {signal.Signals(-rc).name}"
            except ValueError:
                what = f"killed by signal {-rc}"
        else:
            what = f"exited with status {rc}"
        tail = self.stderr_tail()
        return f"{what}{'; its stderr ends: ' + tail if tail else ''}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr.close()

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # end of input: the worker exits
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class WorkerPool:
    """At most one live worker; a new one after a timeout, a crash or `renew()`."""

    def __init__(self, backend_ref: str) -> None:
        self.backend_ref = backend_ref
        self.worker: _Worker | None = None

    def renew(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def run(self, case, timeout: float | None) -> tuple[CheckResult, str | None]:
        if self.worker is None:
            try:
                self.worker = _Worker(self.backend_ref)
            except RuntimeError as exc:
                return error_result(case, str(exc), self.backend_ref), None
        answer = self.worker.run(case, timeout)
        if answer is None:
            self.worker.kill()
            self.worker = None
            return error_result(
                case, f"timed out: the check did not finish within {timeout:g} s "
                      "(--timeout); the backend was stopped", self.backend_ref), None
        if answer is EOFError:
            death = self.worker.death()
            self.worker.kill()
            self.worker = None
            return error_result(
                case, f"the backend crashed the worker process running this check "
                      f"({death})", self.backend_ref), None
        if answer.outcome != "failed":
            return answer, None
        diagnosis = self.worker.diagnosis()
        if diagnosis is None or diagnosis is EOFError:
            # the explanation is a courtesy: the verdict stands without it
            self.worker.kill()
            self.worker = None
            return answer, None
        return answer, diagnosis or None

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None


def run_isolated(
    backend_ref: str,
    cases: Iterable,
    *,
    timeout: float | None = None,
    isolate: bool = False,
    on_result: Callable[[CheckResult, str | None], None] | None = None,
) -> list[tuple[CheckResult, str | None]]:
    """Run `cases` in worker processes; ``(result, diagnosis)`` per case.

    isolate: a fresh worker per initializer (cases with the same `group_key`; the
    results come grouped so, initializers in order of first appearance). timeout: seconds per check, None for no limit. `on_result` is
    called after each case (the caller keeps partial results on Ctrl-C: the
    worker is killed and KeyboardInterrupt propagates).
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    pool = WorkerPool(backend_ref)
    out = []
    try:
        if isolate:
            # all of an initializer's checks in one worker, initializers in the order
            # they first appear (the battery interleaves some, e.g. the rejects checks)
            by_key: dict[str, list] = {}
            for case in cases:
                by_key.setdefault(group_key(case), []).append(case)
            groups = list(by_key.values())
        else:
            groups = [cases]
        for group in groups:
            for case in group:
                answer = pool.run(case, timeout)
                out.append(answer)
                if on_result is not None:
                    on_result(*answer)
            if isolate:
                pool.renew()
    finally:
        pool.close()
    return out


def _worker_main() -> int:
    # the protocol owns the real stdout; anything the backend prints goes to stderr
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    protocol_in = sys.stdin.buffer
    # Ctrl-C is the parent's to handle: it kills us and keeps its partial results
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.enable()  # a segfault leaves a traceback in the stderr tail

    from initcheck.backends import BackendLoadError, load_backend

    backend_ref = _receive(protocol_in)
    try:
        backend = load_backend(backend_ref)
    except BackendLoadError as exc:
        _send(protocol_out, ("failed", str(exc)))
        return 2
    # import everything a check may need before saying ready, so that --timeout
    # measures the check and not the import of scipy
    import initcheck.checks  # noqa: F401
    import initcheck.laws  # noqa: F401
    import initcheck.statistics  # noqa: F401
    from initcheck.diagnose import diagnose_result
    from initcheck.runner import FillCache, run_case

    _send(protocol_out, ("ready", None))

    cache = FillCache()
    while True:
        try:
            case = _receive(protocol_in)
        except EOFError:
            return 0
        result = run_case(backend, case, cache=cache, backend_ref=backend_ref)
        _send(protocol_out, result)  # the verdict first: --timeout is for the check alone
        if result.outcome == "failed":
            _send(protocol_out, diagnose_result(backend, result) or "")


if __name__ == "__main__":
    sys.exit(_worker_main())
