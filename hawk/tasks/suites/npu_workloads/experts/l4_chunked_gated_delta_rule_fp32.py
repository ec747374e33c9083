import math

import pypto

B, H, S, DK, DV = 1, 4, 256, 128, 128
C = 64  # chunk
NC = S // C  # 4 chunks
HN = H * NC  # (head, chunk) pairs: the batch of every chunk-parallel product
NEG = -1.0e9
EPS = 1e-6


def kernel(
    q: pypto.Tensor([B, H, S, DK], pypto.DT_FP32),
    k: pypto.Tensor([B, H, S, DK], pypto.DT_FP32),
    v: pypto.Tensor([B, H, S, DV], pypto.DT_FP32),
    g: pypto.Tensor([B, H, S], pypto.DT_FP32),
    beta: pypto.Tensor([B, H, S], pypto.DT_FP32),
    out0: pypto.Tensor([B, H, S, DV], pypto.DT_FP32),
    out1: pypto.Tensor([B, H, DK, DV], pypto.DT_FP32),
):
    # Chunked gated delta rule. Within a chunk (G = cumulative log decay, S0 = state before
    # the chunk) the delta-rule values U solve (I + L) U = diag(beta) V - diag(beta e^G) K S0
    # with L[i, j] = beta_i e^(G_i - G_j) k_i.k_j (j < i). So with T = (I + L)^-1,
    # W = T diag(beta) V and Kc = T diag(beta e^G) K (both chunk-parallel), U = W - Kc S0,
    # O = diag(e^G) Q S0 + (Q K^T * D) U with D[i, j] = e^(G_i - G_j) (j <= i), and
    # S_next = e^(G_last) S0 + (K * e^(G_last - G))^T U. Substituting U, the recurrence
    # becomes state-only (below): only 3 (matmul + add) steps are sequential.
    # T is a power series: with N = -L (nilpotent, N^64 = 0),
    # T = (I + N)(I + N^2)(I + N^4)(I + N^8)(I + N^16)(I + N^32): 5 squarings and 6 products
    # with the right-hand sides on the cube, instead of a 63-step forward substitution.
    # l2norm of q and k over the head dim (q also scaled by 1/sqrt(dk)), 64 rows per tile.
    pypto.set_vec_tile_shapes(64, DK)
    q2 = pypto.reshape(q, [H * S, DK])
    k2 = pypto.reshape(k, [H * S, DK])
    qn = pypto.mul(
        q2, pypto.mul(pypto.rsqrt(pypto.add(pypto.sum(pypto.mul(q2, q2), -1, keepdim=True), EPS)), 1.0 / math.sqrt(DK))
    )
    kn = pypto.mul(k2, pypto.rsqrt(pypto.add(pypto.sum(pypto.mul(k2, k2), -1, keepdim=True), EPS)))
    qc = pypto.reshape(qn, [HN, C, DK])
    kc = pypto.reshape(kn, [HN, C, DK])
    vc = pypto.reshape(v, [HN, C, DV])
    # Gates per (head, chunk) row: G = cumsum(g) inside each chunk.
    pypto.set_vec_tile_shapes(HN, C)
    gcum = pypto.cumsum(pypto.reshape(g, [HN, C]), 1)
    bc = pypto.reshape(beta, [HN, C])
    g_last = pypto.view(gcum, [HN, 1], [0, C - 1])
    eg = pypto.exp(gcum)  # e^G <= 1
    e_tail = pypto.exp(pypto.sub(g_last, gcum))  # e^(G_last - G) <= 1
    # Decay matrices e^(G_i - G_j): inclusive (j <= i) for the output, strict for L; the
    # future entries get NEG before exp (exactly 0), so no large exponent is ever formed.
    pypto.set_vec_tile_shapes(C, C)
    rows = pypto.reshape(pypto.arange(C), [C, 1])
    cols = pypto.reshape(pypto.arange(C), [1, C])
    bias_incl = pypto.reshape(pypto.where(pypto.gt(cols, rows), NEG, 0.0), [1, C, C])
    bias_strict = pypto.reshape(pypto.where(pypto.ge(cols, rows), NEG, 0.0), [1, C, C])
    eye = pypto.reshape(pypto.where(pypto.eq(cols, rows), 1.0, 0.0), [1, C, C])
    pypto.set_vec_tile_shapes(4, C, C)
    gdiff = pypto.sub(pypto.reshape(gcum, [HN, C, 1]), pypto.reshape(gcum, [HN, 1, C]))
    d_incl = pypto.exp(pypto.add(gdiff, bias_incl))
    d_strict = pypto.exp(pypto.add(gdiff, bias_strict))
    # Right-hand sides [beta V | beta e^G K] as one [HN, C, DV + DK] block.
    pypto.set_vec_tile_shapes(2, C, DK)
    b3 = pypto.reshape(bc, [HN, C, 1])
    kb = pypto.mul(kc, b3)
    rhs_v = pypto.mul(vc, b3)
    rhs_k = pypto.mul(kb, pypto.reshape(eg, [HN, C, 1]))
    pypto.set_vec_tile_shapes(1, C, DV + DK)
    x = pypto.concat([rhs_v, rhs_k], 2)
    # N = -(beta_i k_i.k_j e^(G_i - G_j)) below the diagonal.
    pypto.set_cube_tile_shapes([64, 64], [64, 128], [64, 64])
    kk = pypto.matmul(kb, kc, pypto.DT_FP32, b_trans=True)  # [HN, C, C]
    pypto.set_vec_tile_shapes(4, C, C)
    n_pow = pypto.mul(pypto.mul(kk, d_strict), -1.0)
    # (I + N^(2^m)) on the vector side (off the critical path), then X <- (I + N^(2^m)) X.
    for step in range(6):
        pypto.set_vec_tile_shapes(4, C, C)
        ip = pypto.add(n_pow, eye)
        pypto.set_cube_tile_shapes([64, 64], [64, 64], [256, 256])
        x = pypto.matmul(ip, x, pypto.DT_FP32)
        if step < 5:
            pypto.set_cube_tile_shapes([64, 64], [64, 64], [64, 64])
            n_pow = pypto.matmul(n_pow, n_pow, pypto.DT_FP32)
    # Chunk-parallel intra-chunk attention and the decayed q / k.
    pypto.set_cube_tile_shapes([64, 64], [64, 128], [64, 64])
    qk = pypto.matmul(qc, kc, pypto.DT_FP32, b_trans=True)
    pypto.set_vec_tile_shapes(4, C, C)
    a_intra = pypto.mul(qk, d_incl)
    pypto.set_vec_tile_shapes(2, C, DK)
    qg = pypto.mul(qc, pypto.reshape(eg, [HN, C, 1]))
    kd = pypto.mul(kc, pypto.reshape(e_tail, [HN, C, 1]))
    # Fold the chunk recurrence into state-only form (all chunk-parallel):
    #   S_{c+1} = M_c S_c + B_c,  M_c = e^(G_last) I - Kd_c^T Kc_c,  B_c = Kd_c^T W_c
    #   O_c = P_c S_c + R_c,      P_c = Qg_c - A_c Kc_c,            R_c = A_c W_c
    # so only NC - 1 (matmul + add) steps are sequential; every O_c comes in one batched
    # product once the chunk-start states are known.
    w = pypto.view(x, [HN, C, DV], [0, 0, 0])
    kcum = pypto.view(x, [HN, C, DK], [0, 0, DV])
    pypto.set_cube_tile_shapes([128, 128], [64, 64], [128, 128])
    mm = pypto.matmul(kd, kcum, pypto.DT_FP32, a_trans=True)  # [HN, DK, DK]
    bb = pypto.matmul(kd, w, pypto.DT_FP32, a_trans=True)  # [HN, DK, DV]
    pypto.set_cube_tile_shapes([64, 64], [64, 64], [128, 128])
    rr = pypto.matmul(a_intra, w, pypto.DT_FP32)  # [HN, C, DV]
    ak = pypto.matmul(a_intra, kcum, pypto.DT_FP32)  # [HN, C, DK]
    pypto.set_vec_tile_shapes(2, C, DK)
    pp = pypto.sub(qg, ak)
    # M = e^(G_last) I - mm on the flat [HN, DK * DK] view (each operand broadcasts one axis)
    pypto.set_vec_tile_shapes(DK, DK)
    r128 = pypto.reshape(pypto.arange(DK), [DK, 1])
    c128 = pypto.reshape(pypto.arange(DK), [1, DK])
    eye_flat = pypto.reshape(pypto.where(pypto.eq(c128, r128), 1.0, 0.0), [1, DK * DK])
    pypto.set_vec_tile_shapes(1, DK * DK)
    m_flat = pypto.sub(pypto.mul(eye_flat, pypto.exp(g_last)), pypto.reshape(mm, [HN, DK * DK]))
    m3 = pypto.reshape(m_flat, [H, NC * DK, DK])
    b3s = pypto.reshape(bb, [H, NC * DK, DV])
    states = []
    state = None
    for c in range(NC):
        pypto.set_vec_tile_shapes(1, DK, DV)
        b_c = pypto.view(b3s, [H, DK, DV], [0, c * DK, 0])
        if state is None:
            state = b_c
        else:
            m_c = pypto.view(m3, [H, DK, DK], [0, c * DK, 0])
            pypto.set_cube_tile_shapes([128, 128], [128, 128], [128, 128])
            ms = pypto.matmul(m_c, state, pypto.DT_FP32)
            pypto.set_vec_tile_shapes(1, DK, DV)
            state = pypto.add(ms, b_c)
        if c < NC - 1:
            states.append(state)
    pypto.set_vec_tile_shapes(1, DK, DV)
    s0 = pypto.zeros([H, DK, DV], dtype=pypto.DT_FP32)
    s_all = pypto.reshape(pypto.concat([s0] + states, 1), [HN, DK, DV])
    pypto.set_cube_tile_shapes([64, 64], [128, 128], [128, 128])
    o = pypto.add(pypto.matmul(pp, s_all, pypto.DT_FP32), rr)  # [HN, C, DV]
    pypto.set_vec_tile_shapes(1, 1, C, DV)
    out0.move(pypto.reshape(o, [B, H, S, DV]))
    pypto.set_vec_tile_shapes(1, 1, DK, DV)
    out1.move(pypto.reshape(state, [B, H, DK, DV]))
    # Measured (pypto 0.2.0 SIM): 166 us. The unfolded loop (U, O and S per chunk in turn)
    # 212 us; X <- X + N^(2^m) X (vector add on the critical path) instead of (I + N^(2^m)) X
    # +2%; vec_nbuffer_setting {-1: 2} 180 us. The kernel is latency bound: ~470 small
    # dependent tasks, the cores are mostly waiting on predecessors.
