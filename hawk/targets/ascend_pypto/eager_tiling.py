"""ascend-pypto's eager tiling rules: vector tile sizes and shapes, merged axes, cube tiles.

See eager.py's docstring (step 3, "Tile") for the rules and why they are fair to eager.
"""

from __future__ import annotations

import math

UB_BYTES = 196608  # the simulator's UB per vector core (A2A3.ini ub_size)
MIN_TILES = 16  # tensors smaller than this many tiles also try numel/16 elements per tile
TAIL_ALIGN = 32  # elements: a split last axis is cut in multiples of 32 elements (>= 32 bytes for any dtype)


def pad(shape: list[int], rank: int) -> list[int]:
    """`shape` with leading 1s up to `rank` axes."""
    return [1] * (rank - len(shape)) + list(shape)


def _pow2_floor(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)


def tile_sizes(numel: int, bytes_per_elem: int) -> tuple[list[int], list[int]]:
    """Elements per vector tile: (candidates, fallbacks).

    `bytes_per_elem` is what the kernel's largest primitive step keeps in UB per element (its
    full-size inputs and output). T = UB // bytes_per_elem is the largest tile that fits; the
    candidates are T and the power of two below it (or T/2), plus numel/16 for small tensors
    (spreading them over cores); the fallbacks halve the smallest candidate twice.
    """
    t_max = max(32, UB_BYTES // max(1, bytes_per_elem))
    t_pow2 = _pow2_floor(t_max)
    second = t_pow2 if t_pow2 < t_max else t_max // 2
    cands = [min(numel, second), min(numel, t_max)]
    if numel < MIN_TILES * second:
        cands.insert(0, min(numel, max(1024, _pow2_floor(numel // MIN_TILES))))
    cands = list(dict.fromkeys(c for c in cands if c >= 1))
    low = min(cands)
    fallbacks = [t for t in (low // 2, low // 4) if t >= 32]
    return cands, fallbacks


def vec_tile(shape: list[int], elems: int, elem_bytes: int, reduce_dims: tuple[int, ...] = ()) -> list[int]:
    """Tile shape over `shape` with about `elems` elements; reduced non-last axes are filled first."""
    rank = len(shape)
    tile = [1] * rank
    if rank == 0:
        return tile
    last = rank - 1
    inner = [d for d in reduce_dims if d != last]
    if inner:
        min_last = max(1, 128 // elem_bytes)
        per_row = math.prod(shape[d] for d in inner)
        tile[last] = min(shape[last], max(min_last, elems // max(1, per_row)))
        left = max(1, elems // tile[last])
        for d in sorted(inner, reverse=True):
            tile[d] = min(shape[d], left)
            left = max(1, left // tile[d])
        rest = [d for d in range(rank - 1) if d not in inner]
    else:
        tile[last] = min(shape[last], elems)
        if tile[last] < shape[last] and tile[last] > TAIL_ALIGN:  # a split tail axis: whole 32-byte blocks
            tile[last] -= tile[last] % TAIL_ALIGN
        left = max(1, elems // tile[last])
        rest = list(range(rank - 1))
    for d in reversed(rest):
        tile[d] = min(shape[d], left)
        left = max(1, left // tile[d])
    block = max(1, 32 // elem_bytes)
    if last in reduce_dims and tile[last] % block:  # PyPTO: a reduced last axis is tiled in 32-byte blocks
        tile[last] += block - tile[last] % block
    return tile


def collapse_axes(
    out: list[int], operands: list[list[int]], keep: tuple[int, ...] = (), min_rank: int = 2
) -> tuple[list[int], list[list[int]]]:
    """Merge adjacent axes that every operand either spans fully or broadcasts, and drop size-1 axes.

    A contiguous GM tensor viewed with fewer axes is the same memory (eager elementwise kernels see
    it this way too), and PyPTO broadcasts only one expanded axis per operand: out [4, 64, 512]
    times weight [1, 1, 512] becomes [256, 512] times [1, 512]. Axes in `keep` (a reduction axis)
    are never merged or dropped. The result has at least `min_rank` axes (leading 1s).
    """
    rank = len(out)
    ops = [pad(o, rank) for o in operands]
    groups: list[list[int]] = []
    for ax in range(rank):
        if out[ax] == 1 and ax not in keep:
            continue
        if groups and ax not in keep and groups[-1][-1] not in keep:
            prev = groups[-1][-1]
            if all((o[prev] == 1) == (o[ax] == 1) and (o[prev] == 1 or o[prev] == out[prev]) and
                   (o[ax] == 1 or o[ax] == out[ax]) for o in ops):  # fmt: skip
                groups[-1].append(ax)
                continue
        groups.append([ax])
    new_out = [math.prod(out[a] for a in g) for g in groups]
    new_ops = [[math.prod(o[a] for a in g) for g in groups] for o in ops]
    while len(new_out) < max(1, min_rank):  # several PyPTO ops (round, ...) take 2-4 axes only
        new_out.insert(0, 1)
        new_ops = [[1] + o for o in new_ops]
    return new_out, new_ops


def cube_tiles(m: int, k: int, n: int, in_bytes: int, batch: int = 1, cores: int = 0, shrink: int = 1) -> str:
    """L0/L1 tiles: m0 <= 128, n0 <= 256, k0 fills L0A/L0B (64 KiB), k1 = 4 * k0 (A and B fit L1).

    With `cores`, n0 then m0 are halved (down to 64) while there are fewer output tiles than cube cores.
    """

    def up16(v: int) -> int:
        return max(16, -(-v // 16) * 16)

    m0 = min(128 // shrink, up16(m))
    n0 = min(256 // shrink, up16(n))
    if cores:
        while n0 > 64 and batch * -(-m // m0) * -(-n // n0) < cores:
            n0 //= 2
        while m0 > 64 and batch * -(-m // m0) * -(-n // n0) < cores:
            m0 //= 2
    k0 = min(up16(k), max(16, _pow2_floor(65536 // (max(m0, n0) * in_bytes))))
    l1_steps = max(1, (3 * 131072) // ((m0 + n0) * k0 * in_bytes))  # A and B L1 tiles within 3/4 of L1
    k1 = min(-(-k // k0) * k0, k0 * min(4 // shrink if shrink > 1 else 4, l1_steps))
    return f"[{m0}, {m0}], [{k0}, {k1}], [{n0}, {n0}]"
