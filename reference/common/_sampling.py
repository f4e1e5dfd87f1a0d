"""Fast, reproducible fills for the built-in initializers (private).

Every random fill goes through `fill`: the flat output is cut into fixed chunks of
`CHUNK` elements, chunk i draws from the i-th child of the initialization's stream,
and chunks are spread over a thread pool (numpy's Generator methods and ufuncs
release the GIL). Because the chunking is fixed, the output is the same for any
number of threads. A chunk is one kernel call: a few long numpy calls, so the
threads seldom queue for the GIL between them.

Samples are drawn in the target precision: float32 and float64 natively; float16
and bfloat16 are drawn in float32 and rounded once; other dtypes are drawn in
float64 and cast (as MindSpore's ``_assignment`` would). Large float16 fills of a
kernel that names its law (``kernel.law``: normals and truncated normals) skip the
float32 sample: they draw the rounded law itself from an alias table
(`_half_table`). No full-size float64 temporary is ever made for a lower-precision
tensor.

A kernel is ``kernel(gen, out)``: fill the 1-D float32/float64 array `out` from
``numpy.random.Generator`` `gen`, consuming the stream deterministically.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from reference.common import _half_table

__all__ = [
    "CHUNK",
    "compute_dtype",
    "fill",
    "fill_constant",
    "generator",
    "get_threads",
    "normal_kernel",
    "set_threads",
    "truncated_normal_kernel",
    "uniform_kernel",
]

#: Elements per independent stream. Part of the output's definition: changing it
#: changes every large random tensor (tests pin it by hash).
CHUNK = 1 << 18

Kernel = Callable[[np.random.Generator, np.ndarray], None]

_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


def _default_threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def get_threads() -> int:
    """Number of threads used for large fills."""
    return _threads


def set_threads(n: int) -> None:
    """Use `n` threads for large fills (the output does not depend on it)."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of threads must be a positive int, got {n!r}")
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None
        _threads = n


def _map(func, items) -> None:
    """``func(item)`` for every item, on the calling thread and up to ``threads - 1``
    pool threads, which take the next unclaimed item until none is left.

    The caller works too: waking a pool thread costs 30-140 us here, so a caller that
    only waited would pay a wake-up to start and another to finish.
    """
    global _pool, _pool_pid
    items = list(items)
    helpers = min(_threads, len(items)) - 1
    if helpers <= 0:
        for item in items:
            func(item)
        return
    with _pool_lock:
        # A forked child inherits the pool object but not its threads: make a new one.
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="reference-fill")
            _pool_pid = os.getpid()
        pool = _pool
    claims = itertools.count()  # next() on a count is atomic under the GIL
    failed = threading.Event()

    def work() -> None:
        try:
            for i in iter(claims.__next__, None):
                if i >= len(items) or failed.is_set():
                    return
                func(items[i])
        except BaseException:
            failed.set()
            raise

    futures = [pool.submit(work) for _ in range(helpers)]
    try:
        work()
    finally:
        # A helper that has not started has nothing left to do.
        pending = [f for f in futures if not f.cancel()]
        for f in pending:
            f.result()  # re-raises a helper's exception


#: A fill of a single chunk at least this large spreads its elementwise passes (the
#: Box-Muller transform, the float16 rounding) over the threads; see `_elementwise`.
_SPLIT_MIN = 1 << 16
_split = threading.local()


def _elementwise(func, n: int) -> None:
    """``func(0, n)``, or, inside a single-chunk fill that allows it, ``func(lo, hi)``
    over one contiguous range per thread. Only for passes whose every output element
    depends on its own inputs alone (numpy's float32 loops compute each element
    alike wherever it sits), so the bits do not depend on the split."""
    parts = getattr(_split, "parts", 1)
    if parts <= 1 or n < _SPLIT_MIN // 2:  # e.g. a rejection sampler's small redraws
        func(0, n)
        return
    step = -(-n // parts)
    _map(lambda lo: func(lo, min(lo + step, n)), range(0, n, step))


_buffers = threading.local()


def _buffer(name: str, dtype, rows: int = 1, length: int = CHUNK) -> np.ndarray:
    """This thread's scratch array `name` (`rows` x `length`, or 1-D), kept for the
    thread's later fills: made per fill, buffers of a few MB cost their page faults
    every time (a 400x400 float16 normal took 2.3 ms instead of 0.8). A float16 fill
    keeps 3 MB a thread (a float32 chunk and two uint32 ones, or the table's index
    and words); a thread that has made every kind of fill, about 10 MB."""
    store = getattr(_buffers, "arrays", None)
    if store is None:
        store = _buffers.arrays = {}
    key = (name, np.dtype(dtype), rows, length)
    array = store.get(key)
    if array is None:
        array = store[key] = np.empty((rows, length) if rows > 1 else length, dtype)
    return array


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The precision random values for a tensor of `dtype` are drawn in."""
    dtype = np.dtype(dtype)
    if dtype in _NATIVE:
        return dtype
    if dtype.kind == "f" or dtype.name == "bfloat16":
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _generator(seq: np.random.SeedSequence) -> np.random.Generator:
    # SFC64: the fastest of numpy's bit generators here, with good statistical quality.
    return np.random.Generator(np.random.SFC64(seq))


def _children(stream: np.random.SeedSequence):
    """``i -> stream.spawn(...)[i]`` for the children `stream` has not spawned yet,
    built on demand (in the worker threads): the same SeedSequences as ``spawn``,
    without building them all up front."""
    entropy, key, pool, first = stream.entropy, stream.spawn_key, stream.pool_size, stream.n_children_spawned
    return lambda i: np.random.SeedSequence(entropy, spawn_key=(*key, first + i), pool_size=pool)


def fill(
    out: np.ndarray, kernel: Kernel, stream: np.random.SeedSequence, zeros: np.ndarray | None = None
) -> None:
    """Fill `out` (any shape, any dtype) in place with `kernel`, from `stream`.

    Chunk i draws from ``stream.spawn(k)[i]``. `zeros`: optional bool array of out's
    size (C order); where True the element is set to 0 instead, chunk by chunk
    (Sparse's pattern).
    """
    if out.size == 0:
        return
    if not out.flags.c_contiguous:
        tmp = np.empty(out.shape, out.dtype)
        fill(tmp, kernel, stream, zeros)
        out[...] = tmp
        return
    zeros = None if zeros is None else zeros.reshape(-1)
    flat = out.reshape(-1)
    n = flat.size
    work = compute_dtype(flat.dtype)
    native = work == flat.dtype
    child = _children(stream)
    to_half = flat.dtype == np.float16 and work == np.float32
    # Large float16 fills of a law with a table are drawn from the exactly rounded
    # law by alias table (see _half_table), without a float32 sample.
    table = None
    if to_half and n >= _half_table.TABLE_MIN and getattr(kernel, "law", None) is not None:
        table = _half_table.half_table(kernel.law)
    def buffers() -> dict[str, np.ndarray]:
        if table is not None:
            piece = _half_table.PIECE
            space = {"index": _buffer("index", np.intp, 1, piece), "lookup": _buffer("lookup", np.uint32, 2, piece)}
        elif not native:
            space = {"scratch": _buffer("scratch", work)}
            if to_half:
                space["words"] = _buffer("words", np.uint32, 2)
        else:
            space = {}
        if zeros is not None:
            space["keep"] = _buffer("keep", f"u{flat.dtype.itemsize}")
        return space

    chunks = -(-n // CHUNK)
    # One chunk leaves the other threads idle: lend them to its elementwise passes.
    parts = _threads if chunks == 1 and n >= _SPLIT_MIN else 1

    def chunk(i: int, gen: np.random.Generator, target: np.ndarray, m: int, space) -> None:
        if table is not None:
            index, lookup = space["index"], space["lookup"]
            for start in range(0, m, _half_table.PIECE):
                piece = target[start : start + _half_table.PIECE]
                k = piece.size
                _half_table.sample_half(_words(gen, k), piece, table, index[:k], lookup[0, :k], lookup[1, :k])
        elif native:
            kernel(gen, target)
        else:
            buf = space["scratch"][:m]
            kernel(gen, buf)
            # the single rounding to the target dtype
            if to_half:
                words = space["words"]
                _elementwise(
                    lambda lo, hi: _float32_to_float16(buf[lo:hi], target[lo:hi], words[0, lo:hi], words[1, lo:hi]), m
                )
            else:
                target[...] = buf

    def run(i: int) -> None:
        # One kernel call per chunk: few, long numpy calls, so that the threads
        # rarely wait for each other's GIL (with 2^15-element blocks two threads
        # were slower than one on float16 fills).
        gen = _generator(child(i))
        target = flat[i * CHUNK : (i + 1) * CHUNK]
        m = target.size
        space = buffers()
        _split.parts = parts
        try:
            chunk(i, gen, target, m, space)
        finally:
            _split.parts = 1
        if zeros is not None:
            # AND with all-ones (kept) or 0 (zeroed): +0.0, and ~0.45 ns an element
            # whatever the density, where a boolean assignment took 0.8-4 ns.
            keep = space["keep"][:m]
            np.subtract(zeros[i * CHUNK : i * CHUNK + m].view(np.uint8), 1, out=keep, dtype=keep.dtype)
            np.bitwise_and(target.view(keep.dtype), keep, out=target.view(keep.dtype))

    _map(run, range(chunks))


#: Up to this many bytes a constant fill stays on the calling thread: glibc serves
#: allocations up to 32 MiB (its largest dynamic mmap threshold) from memory it
#: keeps, already faulted in, where a second thread only adds its start-up cost
#: (measured: 2000x2000 float32, 0.7-1.1 ms on one thread, 1.3-1.5 ms on two).
_PARALLEL_CONSTANT_BYTES = 1 << 25


def fill_constant(out: np.ndarray, value) -> None:
    """``out.fill(value)``, split across the fill threads for large contiguous arrays.

    A freshly mapped large array costs mostly the kernel zeroing its pages on first
    touch (about one more write pass); two threads take those faults in parallel: a
    fresh 64 MB float32 array took 8.9-9.3 ms on one thread and 5.9-6.1 ms on two
    (the write into touched memory: 3.7-4.2 ms), on this 2-core machine when quiet.
    When the other core is busy the two are alike.
    """
    if out.nbytes <= _PARALLEL_CONSTANT_BYTES or _threads == 1 or not out.flags.c_contiguous:
        out.fill(value)
        return
    flat = out.reshape(-1)
    step = -(-flat.size // _threads)
    _map(lambda i: flat[i * step : (i + 1) * step].fill(value), range(_threads))


def _float32_to_float16(src: np.ndarray, out: np.ndarray, mag: np.ndarray, step: np.ndarray) -> None:
    """``out[...] = src`` (float32 to float16, round to nearest even), bit for bit as
    numpy's cast (checked over all 2^32 float32 patterns), in a dozen vectorised
    passes where numpy's cast is a scalar loop. `mag` and `step` are uint32 scratch
    arrays of src's size; src is left as it is.
    """
    if src.size == 0:
        return
    bits = src.view(np.uint32)
    np.bitwise_and(bits, np.uint32(0x7FFFFFFF), out=mag)
    if mag.max() > 0x477FEFFF:  # |x| >= 65520 (rounds to inf), inf or NaN: numpy's own cast
        with np.errstate(over="ignore", invalid="ignore"):
            out[...] = src
        return
    # step = 2^13 ulp(|x|), at least 2^-1 (so 2^-24 below float16's normal range):
    # |x| + step rounds, with the FPU's own ties-to-even, to a multiple of float16's
    # spacing at |x|; subtracting step again is exact.
    np.bitwise_and(mag, np.uint32(0x7F800000), out=step)
    np.maximum(step, np.uint32(113 << 23), out=step)
    np.add(step, np.uint32(13 << 23), out=step)
    rounded, offset = mag.view(np.float32), step.view(np.float32)
    np.add(rounded, offset, out=rounded)
    np.subtract(rounded, offset, out=rounded)
    # Times 2^-112 (exact) moves float16's exponent bias into float32's: the float32
    # bits shifted right by 13 are then the float16 bits, subnormals included.
    np.multiply(rounded, np.float32(2.0**-112), out=rounded)
    half = out.view(np.uint16)
    np.right_shift(mag, 13, out=half, casting="unsafe")
    sign = step.view(np.uint16)[: half.size]
    np.right_shift(bits, 16, out=sign, casting="unsafe")
    np.bitwise_and(sign, np.uint16(0x8000), out=sign)
    np.bitwise_or(half, sign, out=half)


def generator(stream: np.random.SeedSequence) -> np.random.Generator:
    """A generator for the non-chunked parts of a fill (e.g. Sparse's zero positions)."""
    return _generator(stream.spawn(1)[0])


# -- kernels -----------------------------------------------------------------------


# float32 sampling works on raw 32-bit words from the bit generator, converted with
# vectorised integer->float arithmetic: much faster than Generator's per-element
# float32 paths, and exactly as fine-grained (24-bit uniforms).
_TWO_PI_24 = np.float32(2.0 * math.pi * 2.0**-24)
_SCALE_31 = np.float32(2.0**-31)
_U_CAP = np.uint32(2**31 - 129)
# The largest |value| _standard_normal_f32 can return: sqrt(-2 ln(2^-31)) = 6.5555.
_F32_NORMAL_MAX = 6.5556


def _words(gen: np.random.Generator, n: int) -> np.ndarray:
    """`n` random uint32 words (contiguous)."""
    return gen.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]


def _standard_normal_f32(gen: np.random.Generator, out: np.ndarray, sigma: float = 1.0) -> None:
    """N(0, sigma^2) by Box-Muller on 32-bit words: out[:h] = r cos(t), out[h:2h] = r sin(t).

    r = sqrt(-2 ln U) with U an odd multiple of 2^-31 (30 random bits), so the
    radius reaches 6.56 sigma (mass beyond: 4.6e-10) and tail values are finely
    spaced (Box-Muller on 24-bit uniforms, as torch does, stops at 5.77 sigma).
    t = 2 pi j 2^-24 from 24 further bits.
    """
    n = out.size
    half = (n + 1) // 2
    words = _words(gen, 2 * half)
    scale = np.float32(-2.0 * sigma * sigma)

    def transform(lo: int, hi: int) -> None:
        """Pairs lo..hi-1: elementwise, so any split gives the same bits."""
        k, j = words[lo:hi], words[half + lo : half + hi]
        # No other temporaries: the radius is built in out[:h], the angle in j's
        # memory, the cosine in k's.
        radius = out[lo:hi]
        second = out[half + lo : min(half + hi, n)]
        # U = odd(k) 2^-31: never 0; capped at an odd number that float32 rounds to
        # 1 - 2^-24, so never 1 either.
        np.right_shift(k, 1, out=k)
        np.bitwise_or(k, 1, out=k)
        np.minimum(k, _U_CAP, out=k)
        np.multiply(k.view(np.int32), _SCALE_31, out=radius, dtype=np.float32)
        np.log(radius, out=radius)
        radius *= scale
        np.sqrt(radius, out=radius)
        np.right_shift(j, 8, out=j)
        angle = j.view(np.float32)
        np.multiply(j.view(np.int32), _TWO_PI_24, out=angle, dtype=np.float32)
        np.sin(angle[: second.size], out=second)
        np.multiply(second, radius[: second.size], out=second)
        cosine = k.view(np.float32)
        np.cos(angle, out=cosine)
        np.multiply(radius, cosine, out=radius)

    _elementwise(transform, half)


def _standard_uniform_f32(gen: np.random.Generator, out: np.ndarray, scale: float, low: float) -> None:
    """out = low + scale * U, U uniform on the 24-bit grid of [0, 1)."""
    words = _words(gen, out.size)
    np.right_shift(words, 8, out=words)
    np.multiply(words.view(np.int32), np.float32(scale * 2.0**-24), out=out, dtype=np.float32)
    if low != 0.0:
        out += low


def _normal(gen: np.random.Generator, out: np.ndarray, sigma: float = 1.0) -> None:
    """N(0, sigma^2) in out's precision."""
    if out.dtype == np.float32:
        _standard_normal_f32(gen, out, sigma)
        return
    gen.standard_normal(out=out, dtype=out.dtype)
    if sigma != 1.0:
        out *= sigma


def normal_kernel(mean: float, sigma: float) -> Kernel:
    """N(mean, sigma^2)."""
    mean, sigma = float(mean), float(sigma)

    def kernel(gen: np.random.Generator, out: np.ndarray) -> None:
        _normal(gen, out, sigma)
        if mean != 0.0:
            out += mean

    kernel.law = ("normal", mean, sigma)
    return kernel


def uniform_kernel(low: float, high: float) -> Kernel:
    """U[low, high)."""
    low, width = float(low), float(high) - float(low)

    def kernel(gen: np.random.Generator, out: np.ndarray) -> None:
        if out.dtype == np.float32:
            _standard_uniform_f32(gen, out, width, low)
            return
        gen.random(out=out, dtype=out.dtype)
        out *= width
        out += low

    return kernel


#: The proposal samplers work on pieces of this many elements (and rejection redraws
#: at most this many at once): their proposals, masks and float64 temporaries then
#: stay small and in cache.
_PIECE = 1 << 15


def _by_pieces(piece: Kernel, gen: np.random.Generator, out: np.ndarray) -> None:
    for start in range(0, out.size, _PIECE):
        piece(gen, out[start : start + _PIECE])


def _ndtr(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


# Below this probability mass of [alpha, beta], rejection from the normal wastes more
# draws than a proposal fitted to the interval.
_REJECTION_MIN_MASS = 0.3


def truncated_normal_kernel(mean: float, sigma: float, a: float, b: float) -> Kernel:
    """N(mean, sigma^2) conditioned on [a, b] (sigma > 0, a < b; a or b may be infinite).

    Wide intervals: rejection from the normal (acceptance >= 30%). Narrow or tail
    intervals: a uniform or exponential proposal (see `_truncated_by_proposal`).
    """
    mean, sigma, a, b = float(mean), float(sigma), float(a), float(b)
    alpha, beta = (a - mean) / sigma, (b - mean) / sigma
    mass = _ndtr(beta) - _ndtr(alpha)
    if mass >= _REJECTION_MIN_MASS:
        kernel = _truncated_by_rejection(mean, sigma, a, b, alpha, beta, mass)
    else:
        kernel = _truncated_by_proposal(mean, sigma, a, b, alpha, beta)
    kernel.law = ("truncated", mean, sigma, a, b)
    return kernel


def _truncated_by_rejection(mean, sigma, a, b, alpha, beta, mass) -> Kernel:
    """Rejection from the normal, in place: fill `out` with N(0, 1), then redraw only
    the positions that fell outside [alpha, beta], from fresh normals that fell
    inside, in order. Each position ends up with the first accepted draw of its own
    sequence, so the values are independent and exactly truncated-normal; the first
    pass costs no more than a normal fill."""
    # When [alpha, beta] holds everything the float32 sampler can return (with a
    # margin for rounding), nothing is ever rejected or clipped: a plain normal fill.
    covers_f32 = alpha <= -_F32_NORMAL_MAX * 1.01 and beta >= _F32_NORMAL_MAX * 1.01

    def kernel(gen: np.random.Generator, out: np.ndarray) -> None:
        if out.dtype == np.float32 and covers_f32:
            _normal(gen, out, sigma)
            if mean != 0.0:
                out += mean
            return
        lo, hi = out.dtype.type(alpha), out.dtype.type(beta)
        _normal(gen, out)
        outside = np.less(out, lo)
        outside |= np.greater(out, hi)
        redraw = np.flatnonzero(outside)
        del outside
        while redraw.size:
            z = np.empty(min(int(redraw.size / mass * 1.05) + 16, _PIECE), out.dtype)
            _normal(gen, z)
            z = z[(z >= lo) & (z <= hi)][: redraw.size]
            out[redraw[: z.size]] = z
            redraw = redraw[z.size :]
        if sigma != 1.0:
            out *= sigma
        if mean != 0.0:
            out += mean
        # Scaling can round a value just past a bound; the rounded bound is the
        # correctly rounded value there.
        np.clip(out, a, b, out=out)

    return kernel


def _truncated_by_proposal(mean, sigma, a, b, alpha, beta) -> Kernel:
    """Narrow or tail intervals, exactly, in float64: mirror the interval so that it
    leans right, then either a uniform proposal on [alpha, beta] (when the normal
    density varies by at most e across it) or Robert's (1995) translated-exponential
    proposal on [alpha, inf), rejecting beyond beta. Both accept >= 37% of proposals,
    and stay exact in far tails (alpha = 30 costs the same as alpha = 3)."""
    flip = alpha + beta < 0
    if flip:
        alpha, beta = -beta, -alpha
    nearest = max(alpha, 0.0)  # the point of [alpha, beta] nearest the mode
    if (beta * beta - nearest * nearest) / 2.0 <= 1.0:
        width = beta - alpha

        def propose(gen: np.random.Generator, m: int) -> np.ndarray:
            z = gen.random(m)
            z *= width
            z += alpha
            # accept with probability exp(-(z^2 - nearest^2) / 2)
            keep = 2.0 * gen.standard_exponential(m) > z * z - nearest * nearest
            return z[keep]

    else:
        # Here alpha >= 0: an interval holding 0 with mass < 0.3 is narrow enough
        # for the uniform proposal.
        rate = (alpha + math.sqrt(alpha * alpha + 4.0)) / 2.0

        def propose(gen: np.random.Generator, m: int) -> np.ndarray:
            z = gen.standard_exponential(m)
            z /= rate
            z += alpha
            # accept with probability exp(-(z - rate)^2 / 2), and only inside [alpha, beta]
            keep = (2.0 * gen.standard_exponential(m) > (z - rate) ** 2) & (z <= beta)
            return z[keep]

    def piece(gen: np.random.Generator, out: np.ndarray) -> None:
        n, filled = out.size, 0
        while filled < n:
            need = n - filled
            z = propose(gen, int(need * 1.4) + 16)[:need]
            if flip:
                np.negative(z, out=z)
            z *= sigma
            z += mean
            out[filled : filled + z.size] = z
            filled += z.size
        np.clip(out, a, b, out=out)

    def kernel(gen: np.random.Generator, out: np.ndarray) -> None:
        _by_pieces(piece, gen, out)

    return kernel
