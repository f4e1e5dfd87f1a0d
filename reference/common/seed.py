"""The global seed, mirroring ``mindspore.common.seed``.

The reference owns its random state: a ``numpy.random.SeedSequence`` from which every
initialization spawns its own independent stream (``_next_stream``). After
``set_seed(s)`` the n-th initialization therefore always gets the same stream, so a
sequence of initializations is reproducible bit for bit, and two initializations never
share random numbers. numpy's global legacy state is never drawn from; ``set_seed``
also seeds it, as MindSpore's does, so that a user's own initializer written with
``np.random`` (as in MindSpore's tutorial) is reproducible too.
"""

from __future__ import annotations

import operator
import threading

import numpy as np

__all__ = ["get_seed", "set_seed"]

_GLOBAL_SEED: int | None = None
# The root SeedSequence, kept as its entropy and the number of children spawned so far
# (building the child directly costs half of ``SeedSequence.spawn``, and set_seed need
# not hash a root it never draws from). Fresh OS entropy until set_seed is called:
# unseeded runs differ, as in MindSpore.
_ENTROPY = np.random.SeedSequence().entropy
_SPAWNED = 0
_LOCK = threading.Lock()


def set_seed(seed: int) -> None:
    """Set the global seed: every following initialization is reproducible.

    Raises:
        TypeError: `seed` is not an int (bool is not accepted).
        ValueError: `seed` is negative.
    """
    global _GLOBAL_SEED, _ENTROPY, _SPAWNED
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"The argument 'seed' must be type of int, but got {seed!r} of type {type(seed).__name__}.")
    seed = operator.index(seed)
    if seed < 0:
        raise ValueError(f"The argument 'seed' must be a non-negative int, but got {seed}.")
    # numpy's legacy seeding takes 32-bit words; small seeds stay compatible with
    # MindSpore's np.random.seed(seed), large ones are split into words.
    words = seed if seed < 2**32 else [(seed >> s) & 0xFFFFFFFF for s in range(0, seed.bit_length(), 32)]
    np.random.seed(words)
    with _LOCK:
        _ENTROPY, _SPAWNED = seed, 0
        _GLOBAL_SEED = seed


def get_seed() -> int | None:
    """The global seed, or None when `set_seed` was never called."""
    return _GLOBAL_SEED


def _next_stream() -> np.random.SeedSequence:
    """An independent stream for one initialization: the next child of the global
    seed's SeedSequence, exactly what ``SeedSequence(seed).spawn`` would give."""
    global _SPAWNED
    with _LOCK:
        entropy, key = _ENTROPY, _SPAWNED
        _SPAWNED += 1
    return np.random.SeedSequence(entropy, spawn_key=(key,))
