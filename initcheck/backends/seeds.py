"""Seeds for libraries whose RNG takes only 32 bits.

numpy's legacy ``np.random.seed`` (which MindSpore's initializers read) refuses
seeds of 2**32 and more, and ``jax.random.key`` silently drops the high 32 bits
when 64-bit mode is off, so seeds 5 and 2**32 + 5 would give identical fills.
Seeds below 2**32 are used as given, so a user can reproduce a fill with the
library alone; larger ones are hashed down to 32 bits by numpy's SeedSequence,
which keeps distinct seeds (almost surely) distinct.
"""

from __future__ import annotations

import numpy as np

__all__ = ["seed32"]


def seed32(seed: int) -> int:
    """`seed` as a 32-bit seed: itself below 2**32, a SeedSequence hash above."""
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    if seed < 2**32:
        return seed
    return int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint32)[0])
