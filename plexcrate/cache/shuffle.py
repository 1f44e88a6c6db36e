"""A keyed shuffle of rating keys: the same order for a seed in SQL and in numpy.

``(key * a + b) mod p`` for the prime p = 2^31 - 1 is a permutation of the keys below p, and every
seed picks its own a and b, so seeds give unrelated orders, and a page asked again (a reload, the
next page) comes from the same order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

PRIME = 2_147_483_647  # 2^31 - 1: key * a stays far inside SQLite's 64-bit integers


def shuffle_params(seed: int) -> dict[str, int]:
    """The parameters of :func:`shuffle_key` for ``seed``: a in [1, p), b in [0, p)."""
    a = _mix(seed) % (PRIME - 1) + 1
    b = _mix(seed ^ 0x5DEECE66D) % PRIME
    return {"shuffle_a": a, "shuffle_b": b}


def _mix(value: int) -> int:
    """splitmix64's finalizer: nearby seeds give unrelated numbers."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def shuffled(keys: npt.NDArray[np.int64], seed: int) -> npt.NDArray[np.int64]:
    """Each key's place in the shuffle ``seed`` (the SQL of ``queries.shuffle_key``)."""
    params = shuffle_params(seed)
    return (keys * params["shuffle_a"] + params["shuffle_b"]) % PRIME
