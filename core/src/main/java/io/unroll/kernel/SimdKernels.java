package io.unroll.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorised twin of {@link ScalarKernels}, written with the Java Vector API
 * ({@code jdk.incubator.vector}; this is the only class of the library that imports it). Every
 * public method computes what its {@link ScalarKernels} namesake documents, on the same arguments
 * and with the same aliasing rules; results agree to float rounding, not bit for bit.
 *
 * <p>One code path: {@link FloatVector#SPECIES_PREFERRED}, held in a {@code static final}, over a
 * vector body up to {@code loopBound} plus a scalar tail. Vector values never cross a method
 * boundary of this class, because a vector the JIT fails to inline becomes a heap object.
 *
 * <p><b>GEMM.</b> Every product is {@code C = A·B} with B contiguous along n (a layer's
 * {@code x·Wᵀ} uses a copy of {@code Wᵀ}, see {@link Kernels#packPanels}): one element of A is
 * broadcast and multiply-added into 4 vectors of a row of B, 6 rows of C at a time (24
 * accumulators; 4 rows and single rows at the edges), with {@code k} blocked so the panel of B stays in the L2 cache. There is no
 * dot-product form: its horizontal sums need lane masks and shuffles, which JDK 17's C2 may fail
 * to keep in registers (see Activations).
 *
 * <p><b>Determinism.</b> Every element of C is computed by the same sequence of IEEE operations
 * whichever tile, block or thread it falls in, and whatever the other rows of the batch: fused
 * multiply-adds in order of {@code k}, the scalar tails included ({@link Math#fma}); no
 * {@code reduceLanes}, whose order is unspecified and differs between the interpreter and
 * compiled code. So {@link Parallel} may split C anywhere and reproduce the single-thread result
 * bit for bit, and a run does not change with the moment the JIT compiles a kernel.
 *
 * <p><b>Activations.</b> {@code sigmoid(x) = 1 / (1 + e^-x)} with {@code e^y = 2^n · p(r)}
 * (Cody-Waite reduction, Cephes' degree-6 polynomial, argument clamped so neither overflows);
 * {@code tanh} is {@code x·P(x²)/Q(x²)} (Eigen's [13/6] rational) on x clamped to ±7.932197,
 * where the rational reaches exactly 1. Checked against double precision on every float: sigmoid
 * within 1.4e-7 absolute and 1.5e-7 relative wherever its result is a normal float (below
 * {@code x = -87.3} it stays at about 4.5e-39 instead of decaying through the denormals to 0);
 * tanh within 3.0e-7 absolute and relative (about 5 ulp). Extreme inputs saturate, sigmoid to 1
 * or that tiny value and tanh to exactly ±1, never to NaN; NaN stays NaN. Built only from exact
 * IEEE operations, they give the same bits interpreted and compiled, unlike the library
 * intrinsics behind {@link VectorOperators#EXP}; scalar tails use the same formulas, operation
 * for operation. No lane masks or blends in these loops: JDK 17's C2 loses the vector types
 * around them in large compiled methods and then boxes every vector on the heap (megabytes per
 * training step, a third of the time).
 */
public final class SimdKernels {
    private SimdKernels() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Ints of the same width, for building 2^n from its exponent bits. */
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Float lanes per vector: 4, 8 or 16. */
    static final int L = lanes();

    /** Rows of C per GEMM register tile. */
    static final int TILE_ROWS = 4;
    /** Columns of C per {@code gemmNN}/{@code gemmTNAdd} tile: four vectors. */
    static final int BROADCAST_TILE_COLUMNS = 4 * L;
    /** Per thread, one vector's lanes, for folds done in scalar code in a fixed order. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);
    /** Per thread, {@code tanh(c)} of one batch row for {@link #lstmBackward}; grown as needed. */
    private static final ThreadLocal<float[]> LSTM_TANH_ROW = ThreadLocal.withInitial(() -> new float[0]);
    /** Columns of C per tile when C has fewer rows than a tile (a streaming step): eight vectors. */
    static final int WIDE_ROW_COLUMNS = 8 * L;
    /**
     * Steps of k per block of the broadcast GEMMs: the block's 4-vector panel of B (128 KB at 16
     * lanes) stays in the L2 cache. Measured on Zen 4 (one core, n = 4096, k = 1024): 128 gives
     * 57-66 GFLOP/s, 512 gives 69-82, no blocking 37-41.
     */
    private static final int K_BLOCK = 512;
    /**
     * Rows of C per block of the big products ({@link #gemmRowBlocks}, {@link #gemmPanelRowBlocks},
     * {@link #gemmTNPacked}): the block's rows of A (192 KB at k = 256) stay in the L2 cache while
     * every panel of B passes, instead of all of A streaming in from L3 once per panel. Measured on
     * one core, the input projection with B in panels, m = 3200-12800: 102-109 GFLOP/s in blocks
     * of 192 rows (96-768 within a few percent), 84-95 unblocked.
     */
    static final int M_BLOCK = 192;
    /**
     * Steps of k per block of {@link #gemmTNPacked}, whose copies of the blocks of A and B
     * ({@code 256 x 192} and {@code 256 x n} floats) then stay in the L2 cache. Measured on one
     * core, the weight gradients at H = 256-1024, k = 3200-12800: 94-98 GFLOP/s at 256, 85-98 at
     * 512, 85-97 at 128.
     */
    private static final int PACKED_K_BLOCK = 256;
    /**
     * Steps of k per block of {@link #gemmTNPacked} when it copies neither A nor B: the
     * block of A read in place, whose rows are {@code 4·lda} bytes apart, stays cached. Measured
     * with two threads, G·H = H = 256, k = 3200, in runs interleaved JVM by JVM: 179-195 GFLOP/s
     * at 128, 151-162 at 256.
     */
    private static final int IN_PLACE_K_BLOCK = 128;
    /** Floats between the rows of A from which {@link #gemmTNPacked} copies A's blocks (2 KB). */
    private static final int COPY_A_MIN_STRIDE = 512;
    /** Per thread, {@link #gemmTNPacked}'s copies of a block of A and of B; grown as needed. */
    private static final ThreadLocal<float[][]> TN_PACKS = ThreadLocal.withInitial(() -> new float[2][0]);
    /** 2^100: twice applied it lifts the smallest denormal above 1 (relu's step, see rnnActivateBackward). */
    private static final float RELU_SCALE = 0x1p100f;

    // e^y, y clamped to [EXP_LO, EXP_HI] so 2^n is a normal float and the product stays finite.
    private static final float EXP_LO = -87.3f;
    private static final float EXP_HI = 88.3f;
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2^23: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final float NEG_LN2_HI = -0.693359375f;
    private static final float NEG_LN2_LO = 2.12194440e-4f;
    private static final float EXP_C6 = 1.9875691500e-4f;
    private static final float EXP_C5 = 1.3981999507e-3f;
    private static final float EXP_C4 = 8.3334519073e-3f;
    private static final float EXP_C3 = 4.1665795894e-2f;
    private static final float EXP_C2 = 1.6666665459e-1f;
    private static final float EXP_C1 = 5.0000001201e-1f;
    // tanh x ≈ x·P(x²)/Q(x²) on x clamped to ±TANH_CLAMP (coefficients from Eigen's fast tanh).
    // TANH_CLAMP is the smallest float at which the rational reaches exactly 1, so |tanh| <= 1.
    private static final float TANH_CLAMP = 7.932197f;
    private static final float TANH_P13 = -2.76076847742355e-16f;
    private static final float TANH_P11 = 2.00018790482477e-13f;
    private static final float TANH_P9 = -8.60467152213735e-11f;
    private static final float TANH_P7 = 5.12229709037114e-08f;
    private static final float TANH_P5 = 1.48572235717979e-05f;
    private static final float TANH_P3 = 6.37261928875436e-04f;
    private static final float TANH_P1 = 4.89352455891786e-03f;
    private static final float TANH_Q6 = 1.19825839466702e-06f;
    private static final float TANH_Q4 = 1.18534705686654e-04f;
    private static final float TANH_Q2 = 2.26843463243900e-03f;
    private static final float TANH_Q0 = 4.89352518554385e-03f;

    /** The vector species in use, e.g. {@code S_512_BIT, 16 floats}. */
    static String species() {
        return F.vectorShape() + ", " + L + " floats";
    }

    // ---------------------------------------------------------------- GEMM, public shapes

    /** {@code C[m,n] = A[m,k] · B[k,n]}; C must not overlap A or B. */
    public static void gemmNN(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        gemmRowBlocks(c, cOff, n, a, aOff, k, b, bOff, n, m, n, k, false);
    }

    /** {@code C[m,n] += A[m,k] · B[k,n]}; C must not overlap A or B. */
    public static void gemmNNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        gemmRowBlocks(c, cOff, n, a, aOff, k, b, bOff, n, m, n, k, true);
    }

    /** {@code C[m,n] += A[k,m]ᵀ · B[k,n]}; C must not overlap A or B. */
    public static void gemmTNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        gemmTNPacked(c, cOff, n, a, aOff, m, b, bOff, n, m, n, k);
    }

    // ---------------------------------------------------------------- GEMM, strided (for Parallel)

    /**
     * {@code C[m,n] (+)= A[m,k] · B[k,n]} with leading dimensions {@code ldc}, {@code lda},
     * {@code ldb}, in blocks of {@link #M_BLOCK} rows.
     */
    static void gemmRowBlocks(float[] c, int cOff, int ldc, float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb, int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i += M_BLOCK) {
            int rows = Math.min(M_BLOCK, m - i);
            gemmBroadcast(c, cOff + i * ldc, ldc, a, aOff + i * lda, lda, 1, b, bOff, ldb, rows, n, k, accumulate);
        }
    }

    /**
     * {@code C[m,n] (+)= A(m,k) · B[k,·]} for the n columns of B's panel layout
     * ({@link Kernels#packPanels}) from column {@code col} on (a panel boundary), B holding
     * {@code ldbColumns} columns in all, A read with the strides of {@link #gemmBroadcast}: in
     * blocks of {@link #M_BLOCK} rows, panel by panel.
     */
    static void gemmPanelRowBlocks(float[] c, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aColStride,
                                   float[] b, int bOff, int ldbColumns, int col, int m, int n, int k,
                                   boolean accumulate) {
        for (int i = 0; i < m; i += M_BLOCK) {
            int rows = Math.min(M_BLOCK, m - i);
            for (int j = col; j < col + n; j += Kernels.PANEL_COLUMNS) {
                int width = Math.min(Kernels.PANEL_COLUMNS, ldbColumns - j);
                gemmBroadcast(c, cOff + i * ldc + j - col, ldc, a, aOff + i * aRowStride, aRowStride, aColStride,
                        b, bOff + j * k, width, rows, width, k, accumulate);
            }
        }
    }

    /**
     * {@code C[m,n] += A[k,m]ᵀ · B[k,n]} with leading dimensions {@code ldc}, {@code lda},
     * {@code ldb}: a weight gradient {@code dGatesᵀ X}, k running over all B·T rows of a batch,
     * in blocks of {@link #M_BLOCK} rows of C and {@link #PACKED_K_BLOCK} or {@link #IN_PLACE_K_BLOCK}
     * steps of k.
     *
     * <p>Read in place, a block of A has its rows {@code 4·lda} bytes apart (4 KB at G·H = 1024),
     * so a tile's broadcasts touch a new page and the same few cache sets at every step of k. So
     * when they are at least {@link #COPY_A_MIN_STRIDE} floats apart, each block of A is first
     * copied to {@code [kc, mb]}; and when C has more than one block of rows to share it, B's
     * block is copied into column panels {@code [kc, 64]}. The broadcast kernel then runs on
     * copies that sit in the L2 cache. A copy of B for a single block of rows costs more than it
     * saves: its rows come from memory once either way, and the copy stops the multiply-adds
     * from hiding that. Measured on one core, k = 3200, GFLOP/s copied against in place: A's rows
     * 4 KB apart (LSTM H = 256) 96-97 against 83-87, 2 KB 97 against 88, 3-16 KB 92-101 against
     * 77-97; 1 KB (RNN H = 256) 102 against 105, so not copied; the head's gradient, m = 64,
     * B not copied: 106-112, 95-98 with B copied.
     */
    static void gemmTNPacked(float[] c, int cOff, int ldc, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, int m, int n, int k) {
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        float[][] packs = TN_PACKS.get();
        boolean copyA = lda >= COPY_A_MIN_STRIDE;
        boolean copyB = m > M_BLOCK;
        int kBlock = Math.min(k, copyA || copyB ? PACKED_K_BLOCK : IN_PLACE_K_BLOCK);
        if (copyA && packs[0].length < kBlock * Math.min(m, M_BLOCK)) {
            packs[0] = new float[PACKED_K_BLOCK * M_BLOCK];
        }
        if (copyB && packs[1].length < kBlock * n) {
            packs[1] = new float[kBlock * n];
        }
        float[] aBlock = packs[0]; // [kc, mb]
        float[] bPanels = packs[1]; // [kc, n] as column panels
        for (int p0 = 0; p0 < k; p0 += kBlock) {
            int kc = Math.min(kBlock, k - p0);
            if (copyB) {
                ScalarKernels.packPanels(bPanels, 0, b, bOff + p0 * ldb, ldb, kc, n);
            }
            for (int i = 0; i < m; i += M_BLOCK) {
                int rows = Math.min(M_BLOCK, m - i);
                float[] aRead = a;
                int aAt = aOff + p0 * lda + i, aStride = lda;
                if (copyA) {
                    ScalarKernels.copyRows(aBlock, 0, rows, a, aAt, lda, kc, rows);
                    aRead = aBlock;
                    aAt = 0;
                    aStride = rows;
                }
                if (copyB) {
                    gemmPanelRowBlocks(c, cOff + i * ldc, ldc, aRead, aAt, 1, aStride, bPanels, 0, n, 0,
                            rows, n, kc, true);
                } else {
                    gemmBroadcast(c, cOff + i * ldc, ldc, aRead, aAt, 1, aStride, b, bOff + p0 * ldb, ldb,
                            rows, n, kc, true);
                }
            }
        }
    }

    /**
     * {@code C[i,j] (+)= Σ_p A(i,p)·B[p,j]} where {@code A(i,p) = a[aOff + i·aRowStride + p·aColStride]}
     * (so {@code (k, 1)} reads A as stored and {@code (1, m)} reads it transposed),
     * {@code B[p,j] = b[bOff + p·ldb + j]} and {@code C[i,j] = c[cOff + i·ldc + j]}.
     */
    static void gemmBroadcast(float[] c, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aColStride,
                              float[] b, int bOff, int ldb, int m, int n, int k, boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            clearUnlessAccumulating(c, cOff, ldc, m, n, accumulate);
            return;
        }
        int nv = F.loopBound(n);
        int n4 = nv / BROADCAST_TILE_COLUMNS * BROADCAST_TILE_COLUMNS;
        // Rows in 6-row tiles (24 accumulators: fewer loads per FMA than 4 x 4), then 4-row tiles,
        // then single rows: m = 32 as 4·6 + 2·4, m = 64 as 10·6 + 4, with no single rows.
        int sixRows = m % 6 == 2 && m >= 8 ? m - 8 : m / 6 * 6;
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int kc = Math.min(K_BLOCK, k - p0);
            // The first block of an overwriting product starts from zero, every later one from C.
            boolean load = accumulate || p0 > 0;
            int aBlock = aOff + p0 * aColStride;
            int bBlock = bOff + p0 * ldb;
            int j = 0;
            if (m < TILE_ROWS) {
                for (; j + WIDE_ROW_COLUMNS <= n4; j += WIDE_ROW_COLUMNS) {
                    for (int i = 0; i < m; i++) {
                        broadcast1x8(c, cOff + i * ldc + j, a, aBlock + i * aRowStride, aColStride,
                                b, bBlock + j, ldb, kc, load);
                    }
                }
            }
            for (; j < n4; j += BROADCAST_TILE_COLUMNS) {
                int i = 0;
                for (; i < sixRows; i += 6) {
                    broadcast6x4(c, cOff + i * ldc + j, ldc, a, aBlock + i * aRowStride, aRowStride, aColStride,
                            b, bBlock + j, ldb, kc, load);
                }
                for (; i + TILE_ROWS <= m; i += TILE_ROWS) {
                    broadcast4x4(c, cOff + i * ldc + j, ldc, a, aBlock + i * aRowStride, aRowStride, aColStride,
                            b, bBlock + j, ldb, kc, load);
                }
                for (; i < m; i++) {
                    broadcast1x4(c, cOff + i * ldc + j, a, aBlock + i * aRowStride, aColStride,
                            b, bBlock + j, ldb, kc, load);
                }
            }
            for (; j < nv; j += L) {
                int i = 0;
                for (; i + TILE_ROWS <= m; i += TILE_ROWS) {
                    broadcast4x1(c, cOff + i * ldc + j, ldc, a, aBlock + i * aRowStride, aRowStride, aColStride,
                            b, bBlock + j, ldb, kc, load);
                }
                for (; i < m; i++) {
                    broadcast1x1(c, cOff + i * ldc + j, a, aBlock + i * aRowStride, aColStride,
                            b, bBlock + j, ldb, kc, load);
                }
            }
            for (int i = 0; i < m; i++) {
                for (int jt = nv; jt < n; jt++) {
                    int at = cOff + i * ldc + jt;
                    float sum = load ? c[at] : 0f;
                    int ai = aBlock + i * aRowStride;
                    int bi = bBlock + jt;
                    for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
                        sum = Math.fma(a[ai], b[bi], sum);
                    }
                    c[at] = sum;
                }
            }
        }
    }

    /** 6 rows x 4 vectors of C over one block of k (24 accumulators); see {@link #broadcast4x4}. */
    private static void broadcast6x4(float[] c, int ci, int ldc, float[] a, int ai, int aRowStride, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        FloatVector s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33, s40, s41, s42, s43, s50, s51, s52, s53;
        if (load) {
            s00 = FloatVector.fromArray(F, c, ci);
            s01 = FloatVector.fromArray(F, c, ci + L);
            s02 = FloatVector.fromArray(F, c, ci + 2 * L);
            s03 = FloatVector.fromArray(F, c, ci + 3 * L);
            s10 = FloatVector.fromArray(F, c, c1);
            s11 = FloatVector.fromArray(F, c, c1 + L);
            s12 = FloatVector.fromArray(F, c, c1 + 2 * L);
            s13 = FloatVector.fromArray(F, c, c1 + 3 * L);
            s20 = FloatVector.fromArray(F, c, c2);
            s21 = FloatVector.fromArray(F, c, c2 + L);
            s22 = FloatVector.fromArray(F, c, c2 + 2 * L);
            s23 = FloatVector.fromArray(F, c, c2 + 3 * L);
            s30 = FloatVector.fromArray(F, c, c3);
            s31 = FloatVector.fromArray(F, c, c3 + L);
            s32 = FloatVector.fromArray(F, c, c3 + 2 * L);
            s33 = FloatVector.fromArray(F, c, c3 + 3 * L);
            s40 = FloatVector.fromArray(F, c, c4);
            s41 = FloatVector.fromArray(F, c, c4 + L);
            s42 = FloatVector.fromArray(F, c, c4 + 2 * L);
            s43 = FloatVector.fromArray(F, c, c4 + 3 * L);
            s50 = FloatVector.fromArray(F, c, c5);
            s51 = FloatVector.fromArray(F, c, c5 + L);
            s52 = FloatVector.fromArray(F, c, c5 + 2 * L);
            s53 = FloatVector.fromArray(F, c, c5 + 3 * L);
        } else {
            s00 = FloatVector.zero(F);
            s01 = s00; s02 = s00; s03 = s00;
            s10 = s00; s11 = s00; s12 = s00; s13 = s00;
            s20 = s00; s21 = s00; s22 = s00; s23 = s00;
            s30 = s00; s31 = s00; s32 = s00; s33 = s00;
            s40 = s00; s41 = s00; s42 = s00; s43 = s00;
            s50 = s00; s51 = s00; s52 = s00; s53 = s00;
        }
        int a1 = aRowStride, a2 = 2 * aRowStride, a3 = 3 * aRowStride, a4 = 4 * aRowStride, a5 = 5 * aRowStride;
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            FloatVector w0 = FloatVector.fromArray(F, b, bi);
            FloatVector w1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector w2 = FloatVector.fromArray(F, b, bi + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, b, bi + 3 * L);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            s00 = x.fma(w0, s00);
            s01 = x.fma(w1, s01);
            s02 = x.fma(w2, s02);
            s03 = x.fma(w3, s03);
            x = FloatVector.broadcast(F, a[ai + a1]);
            s10 = x.fma(w0, s10);
            s11 = x.fma(w1, s11);
            s12 = x.fma(w2, s12);
            s13 = x.fma(w3, s13);
            x = FloatVector.broadcast(F, a[ai + a2]);
            s20 = x.fma(w0, s20);
            s21 = x.fma(w1, s21);
            s22 = x.fma(w2, s22);
            s23 = x.fma(w3, s23);
            x = FloatVector.broadcast(F, a[ai + a3]);
            s30 = x.fma(w0, s30);
            s31 = x.fma(w1, s31);
            s32 = x.fma(w2, s32);
            s33 = x.fma(w3, s33);
            x = FloatVector.broadcast(F, a[ai + a4]);
            s40 = x.fma(w0, s40);
            s41 = x.fma(w1, s41);
            s42 = x.fma(w2, s42);
            s43 = x.fma(w3, s43);
            x = FloatVector.broadcast(F, a[ai + a5]);
            s50 = x.fma(w0, s50);
            s51 = x.fma(w1, s51);
            s52 = x.fma(w2, s52);
            s53 = x.fma(w3, s53);
        }
        s00.intoArray(c, ci);
        s01.intoArray(c, ci + L);
        s02.intoArray(c, ci + 2 * L);
        s03.intoArray(c, ci + 3 * L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s12.intoArray(c, c1 + 2 * L);
        s13.intoArray(c, c1 + 3 * L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s22.intoArray(c, c2 + 2 * L);
        s23.intoArray(c, c2 + 3 * L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
        s32.intoArray(c, c3 + 2 * L);
        s33.intoArray(c, c3 + 3 * L);
        s40.intoArray(c, c4);
        s41.intoArray(c, c4 + L);
        s42.intoArray(c, c4 + 2 * L);
        s43.intoArray(c, c4 + 3 * L);
        s50.intoArray(c, c5);
        s51.intoArray(c, c5 + L);
        s52.intoArray(c, c5 + 2 * L);
        s53.intoArray(c, c5 + 3 * L);
    }

    /** 4 rows x 4 vectors of C over one block of k; {@code load} says whether to start from C or zero. */
    private static void broadcast4x4(float[] c, int ci, int ldc, float[] a, int ai, int aRowStride, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33;
        if (load) {
            s00 = FloatVector.fromArray(F, c, ci);
            s01 = FloatVector.fromArray(F, c, ci + L);
            s02 = FloatVector.fromArray(F, c, ci + 2 * L);
            s03 = FloatVector.fromArray(F, c, ci + 3 * L);
            s10 = FloatVector.fromArray(F, c, c1);
            s11 = FloatVector.fromArray(F, c, c1 + L);
            s12 = FloatVector.fromArray(F, c, c1 + 2 * L);
            s13 = FloatVector.fromArray(F, c, c1 + 3 * L);
            s20 = FloatVector.fromArray(F, c, c2);
            s21 = FloatVector.fromArray(F, c, c2 + L);
            s22 = FloatVector.fromArray(F, c, c2 + 2 * L);
            s23 = FloatVector.fromArray(F, c, c2 + 3 * L);
            s30 = FloatVector.fromArray(F, c, c3);
            s31 = FloatVector.fromArray(F, c, c3 + L);
            s32 = FloatVector.fromArray(F, c, c3 + 2 * L);
            s33 = FloatVector.fromArray(F, c, c3 + 3 * L);
        } else {
            s00 = FloatVector.zero(F);
            s01 = s00; s02 = s00; s03 = s00;
            s10 = s00; s11 = s00; s12 = s00; s13 = s00;
            s20 = s00; s21 = s00; s22 = s00; s23 = s00;
            s30 = s00; s31 = s00; s32 = s00; s33 = s00;
        }
        int a1 = aRowStride, a2 = 2 * aRowStride, a3 = 3 * aRowStride;
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            FloatVector w0 = FloatVector.fromArray(F, b, bi);
            FloatVector w1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector w2 = FloatVector.fromArray(F, b, bi + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, b, bi + 3 * L);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            s00 = x.fma(w0, s00);
            s01 = x.fma(w1, s01);
            s02 = x.fma(w2, s02);
            s03 = x.fma(w3, s03);
            x = FloatVector.broadcast(F, a[ai + a1]);
            s10 = x.fma(w0, s10);
            s11 = x.fma(w1, s11);
            s12 = x.fma(w2, s12);
            s13 = x.fma(w3, s13);
            x = FloatVector.broadcast(F, a[ai + a2]);
            s20 = x.fma(w0, s20);
            s21 = x.fma(w1, s21);
            s22 = x.fma(w2, s22);
            s23 = x.fma(w3, s23);
            x = FloatVector.broadcast(F, a[ai + a3]);
            s30 = x.fma(w0, s30);
            s31 = x.fma(w1, s31);
            s32 = x.fma(w2, s32);
            s33 = x.fma(w3, s33);
        }
        s00.intoArray(c, ci);
        s01.intoArray(c, ci + L);
        s02.intoArray(c, ci + 2 * L);
        s03.intoArray(c, ci + 3 * L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s12.intoArray(c, c1 + 2 * L);
        s13.intoArray(c, c1 + 3 * L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s22.intoArray(c, c2 + 2 * L);
        s23.intoArray(c, c2 + 3 * L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
        s32.intoArray(c, c3 + 2 * L);
        s33.intoArray(c, c3 + 3 * L);
    }

    /**
     * 1 row x 8 vectors of C: a lone row (a streaming step, m = 1) gets eight independent chains
     * of FMAs instead of four, enough to cover the FMA latency, so it runs at the speed the cache
     * delivers B; see {@link #broadcast4x4}.
     */
    private static void broadcast1x8(float[] c, int ci, float[] a, int ai, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        FloatVector s0, s1, s2, s3, s4, s5, s6, s7;
        if (load) {
            s0 = FloatVector.fromArray(F, c, ci);
            s1 = FloatVector.fromArray(F, c, ci + L);
            s2 = FloatVector.fromArray(F, c, ci + 2 * L);
            s3 = FloatVector.fromArray(F, c, ci + 3 * L);
            s4 = FloatVector.fromArray(F, c, ci + 4 * L);
            s5 = FloatVector.fromArray(F, c, ci + 5 * L);
            s6 = FloatVector.fromArray(F, c, ci + 6 * L);
            s7 = FloatVector.fromArray(F, c, ci + 7 * L);
        } else {
            s0 = FloatVector.zero(F);
            s1 = s0; s2 = s0; s3 = s0;
            s4 = s0; s5 = s0; s6 = s0; s7 = s0;
        }
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            s0 = x.fma(FloatVector.fromArray(F, b, bi), s0);
            s1 = x.fma(FloatVector.fromArray(F, b, bi + L), s1);
            s2 = x.fma(FloatVector.fromArray(F, b, bi + 2 * L), s2);
            s3 = x.fma(FloatVector.fromArray(F, b, bi + 3 * L), s3);
            s4 = x.fma(FloatVector.fromArray(F, b, bi + 4 * L), s4);
            s5 = x.fma(FloatVector.fromArray(F, b, bi + 5 * L), s5);
            s6 = x.fma(FloatVector.fromArray(F, b, bi + 6 * L), s6);
            s7 = x.fma(FloatVector.fromArray(F, b, bi + 7 * L), s7);
        }
        s0.intoArray(c, ci);
        s1.intoArray(c, ci + L);
        s2.intoArray(c, ci + 2 * L);
        s3.intoArray(c, ci + 3 * L);
        s4.intoArray(c, ci + 4 * L);
        s5.intoArray(c, ci + 5 * L);
        s6.intoArray(c, ci + 6 * L);
        s7.intoArray(c, ci + 7 * L);
    }

    /** 1 row x 4 vectors of C; see {@link #broadcast4x4}. */
    private static void broadcast1x4(float[] c, int ci, float[] a, int ai, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        FloatVector s0, s1, s2, s3;
        if (load) {
            s0 = FloatVector.fromArray(F, c, ci);
            s1 = FloatVector.fromArray(F, c, ci + L);
            s2 = FloatVector.fromArray(F, c, ci + 2 * L);
            s3 = FloatVector.fromArray(F, c, ci + 3 * L);
        } else {
            s0 = FloatVector.zero(F);
            s1 = s0; s2 = s0; s3 = s0;
        }
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            s0 = x.fma(FloatVector.fromArray(F, b, bi), s0);
            s1 = x.fma(FloatVector.fromArray(F, b, bi + L), s1);
            s2 = x.fma(FloatVector.fromArray(F, b, bi + 2 * L), s2);
            s3 = x.fma(FloatVector.fromArray(F, b, bi + 3 * L), s3);
        }
        s0.intoArray(c, ci);
        s1.intoArray(c, ci + L);
        s2.intoArray(c, ci + 2 * L);
        s3.intoArray(c, ci + 3 * L);
    }

    /** 4 rows x 1 vector of C; see {@link #broadcast4x4}. */
    private static void broadcast4x1(float[] c, int ci, int ldc, float[] a, int ai, int aRowStride, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s0, s1, s2, s3;
        if (load) {
            s0 = FloatVector.fromArray(F, c, ci);
            s1 = FloatVector.fromArray(F, c, c1);
            s2 = FloatVector.fromArray(F, c, c2);
            s3 = FloatVector.fromArray(F, c, c3);
        } else {
            s0 = FloatVector.zero(F);
            s1 = s0; s2 = s0; s3 = s0;
        }
        int a1 = aRowStride, a2 = 2 * aRowStride, a3 = 3 * aRowStride;
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            FloatVector w = FloatVector.fromArray(F, b, bi);
            s0 = FloatVector.broadcast(F, a[ai]).fma(w, s0);
            s1 = FloatVector.broadcast(F, a[ai + a1]).fma(w, s1);
            s2 = FloatVector.broadcast(F, a[ai + a2]).fma(w, s2);
            s3 = FloatVector.broadcast(F, a[ai + a3]).fma(w, s3);
        }
        s0.intoArray(c, ci);
        s1.intoArray(c, c1);
        s2.intoArray(c, c2);
        s3.intoArray(c, c3);
    }

    /** 1 row x 1 vector of C; see {@link #broadcast4x4}. */
    private static void broadcast1x1(float[] c, int ci, float[] a, int ai, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        FloatVector s = load ? FloatVector.fromArray(F, c, ci) : FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            s = FloatVector.broadcast(F, a[ai]).fma(FloatVector.fromArray(F, b, bi), s);
        }
        s.intoArray(c, ci);
    }

    private static void clearUnlessAccumulating(float[] c, int cOff, int ldc, int m, int n, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
    }

    // ---------------------------------------------------------------- rows and vectors

    /** {@code C[i, j] += bias[j]} for every row {@code i < m}; C must not overlap bias. */
    public static void addRowVector(float[] c, int cOff, float[] bias, int biasOff, int m, int n) {
        int nv = F.loopBound(n);
        for (int i = 0; i < m; i++) {
            int row = cOff + i * n;
            int j = 0;
            for (; j < nv; j += L) {
                FloatVector.fromArray(F, c, row + j).add(FloatVector.fromArray(F, bias, biasOff + j))
                        .intoArray(c, row + j);
            }
            for (; j < n; j++) {
                c[row + j] += bias[biasOff + j];
            }
        }
    }

    /**
     * {@code dst[j] += Σ_i A[i, j]}, adding the rows in order as the scalar twin does, so the
     * result is bit-identical to it; dst must not overlap A. Row by row through dst rather than
     * with accumulators carried down the columns, which JDK 17 would box.
     */
    public static void addColumnSums(float[] dst, int dstOff, float[] a, int aOff, int m, int n) {
        int nv = F.loopBound(n);
        for (int i = 0; i < m; i++) {
            int row = aOff + i * n;
            int j = 0;
            for (; j < nv; j += L) {
                FloatVector.fromArray(F, dst, dstOff + j).add(FloatVector.fromArray(F, a, row + j))
                        .intoArray(dst, dstOff + j);
            }
            for (; j < n; j++) {
                dst[dstOff + j] += a[row + j];
            }
        }
    }

    /**
     * {@code Σ x²} in double, with four scalar accumulators in a fixed order. Not vectorised: the
     * float-to-double lane conversion it needs is not compiled to vector code on JDK 17 and boxed
     * every vector (megabytes per training step); the norm is one pass over the parameters.
     */
    public static double sumOfSquares(float[] x, int off, int len) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            double a = x[off + i], b = x[off + i + 1], c = x[off + i + 2], d = x[off + i + 3];
            s0 += a * a;
            s1 += b * b;
            s2 += c * c;
            s3 += d * d;
        }
        for (; i < len; i++) {
            double v = x[off + i];
            s0 += v * v;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Whether every {@code x[i]} is finite: {@code Σ x·0} is 0 for finite values and NaN otherwise. */
    public static boolean allFinite(float[] x, int off, int len) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector acc = zero;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            acc = FloatVector.fromArray(F, x, off + i).fma(zero, acc);
        }
        float[] lanes = LANES.get();
        acc.intoArray(lanes, 0);
        boolean finite = true;
        for (int q = 0; q < L; q++) {
            finite &= lanes[q] == 0f;
        }
        for (; i < len; i++) {
            finite &= Float.isFinite(x[off + i]);
        }
        return finite;
    }

    /** {@code x[i] *= s}. */
    public static void scale(float[] x, int off, int len, float s) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < len; i++) {
            x[off + i] *= s;
        }
    }

    /** {@code y[i] += x[i]}; y and x must be the same range or not overlap. */
    public static void add(float[] y, int yOff, float[] x, int xOff, int len) {
        sum(y, yOff, y, yOff, x, xOff, len);
    }

    /** {@code dst[i] = a[i] + b[i]}; dst must be the same range as a or b or overlap neither. */
    public static void sum(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /**
     * Row-wise softmax of {@code src [rows, cols]} into {@code dst}, and
     * {@code logSumExp[r] = log Σ_j e^{src[r,j]}}: {@code e^{x - max}} with sigmoid's exp, summed
     * in float lanes, the lanes and the scalar tail then in double in a fixed order, and one
     * scaling by the inverse of the sum.
     */
    public static void softmaxRows(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp) {
        softmaxRows(dst, dOff, src, sOff, rows, cols, logSumExp, 0);
    }

    /** {@link #softmaxRows} writing row r's log-sum-exp to {@code logSumExp[lseOff + r]}. */
    static void softmaxRows(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp, int lseOff) {
        FloatVector ln2Hi = FloatVector.broadcast(F, NEG_LN2_HI), ln2Lo = FloatVector.broadcast(F, NEG_LN2_LO);
        FloatVector c4 = FloatVector.broadcast(F, EXP_C4), c3 = FloatVector.broadcast(F, EXP_C3);
        FloatVector c2 = FloatVector.broadcast(F, EXP_C2), c1 = FloatVector.broadcast(F, EXP_C1);
        int bound = F.loopBound(cols);
        float[] lanes = LANES.get();
        for (int r = 0; r < rows; r++) {
            int in = sOff + r * cols, out = dOff + r * cols;
            // max: lane-wise over the vectors, then over the lanes and the tail (order-free)
            FloatVector laneMax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j < bound; j += L) {
                laneMax = laneMax.max(FloatVector.fromArray(F, src, in + j));
            }
            laneMax.intoArray(lanes, 0);
            float max = Float.NEGATIVE_INFINITY;
            for (int q = 0; q < L; q++) {
                max = Math.max(max, lanes[q]);
            }
            for (; j < cols; j++) {
                max = Math.max(max, src[in + j]);
            }
            // e^{x - max} into dst, summed lane-wise; the lanes then the tail in double, in order
            FloatVector laneSum = FloatVector.zero(F);
            j = 0;
            for (; j < bound; j += L) {
                FloatVector y = FloatVector.fromArray(F, src, in + j).sub(max).max(EXP_LO);
                FloatVector t = y.fma(LOG2E, ROUNDER);
                FloatVector n = t.sub(ROUNDER);
                FloatVector e = n.fma(ln2Hi, y);
                e = n.fma(ln2Lo, e);
                FloatVector p = e.fma(EXP_C6, EXP_C5);
                p = p.fma(e, c4);
                p = p.fma(e, c3);
                p = p.fma(e, c2);
                p = p.fma(e, c1);
                p = p.fma(e.mul(e), e).add(1f);
                FloatVector ex = p.mul(t.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                ex.intoArray(dst, out + j);
                laneSum = laneSum.add(ex);
            }
            laneSum.intoArray(lanes, 0);
            double sum = 0;
            for (int q = 0; q < L; q++) {
                sum += lanes[q];
            }
            for (; j < cols; j++) {
                float ex = exp(src[in + j] - max);
                dst[out + j] = ex;
                sum += ex;
            }
            scale(dst, out, cols, (float) (1 / sum));
            logSumExp[lseOff + r] = max + Math.log(sum);
        }
    }

    // ---------------------------------------------------------------- activations

    /** {@code dst[i] = sigmoid(src[i])}; dst and src must be the same range or not overlap. */
    static void sigmoid(float[] dst, int dOff, float[] src, int sOff, int len) {
        // every constant a vector made once: scalar operands and neg() each add a broadcast or a
        // special case to the compiled method, and JDK 17's C2 gives up on large ones (see above)
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        FloatVector lo = FloatVector.broadcast(F, EXP_LO), hi = FloatVector.broadcast(F, EXP_HI);
        FloatVector log2e = FloatVector.broadcast(F, LOG2E), rounder = FloatVector.broadcast(F, ROUNDER);
        FloatVector ln2Hi = FloatVector.broadcast(F, NEG_LN2_HI), ln2Lo = FloatVector.broadcast(F, NEG_LN2_LO);
        FloatVector c6 = FloatVector.broadcast(F, EXP_C6), c5 = FloatVector.broadcast(F, EXP_C5);
        FloatVector c4 = FloatVector.broadcast(F, EXP_C4), c3 = FloatVector.broadcast(F, EXP_C3);
        FloatVector c2 = FloatVector.broadcast(F, EXP_C2), c1 = FloatVector.broadcast(F, EXP_C1);
        IntVector bias = IntVector.broadcast(I, 127);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector y = zero.sub(FloatVector.fromArray(F, src, sOff + i)).max(lo).min(hi);
            // e^y = 2^n · e^r, n = round(y·log2 e), r = y - n·ln 2 in two parts
            FloatVector t = y.fma(log2e, rounder);
            FloatVector n = t.sub(rounder);
            FloatVector r = n.fma(ln2Hi, y);
            r = n.fma(ln2Lo, r);
            FloatVector p = r.fma(c6, c5);
            p = p.fma(r, c4);
            p = p.fma(r, c3);
            p = p.fma(r, c2);
            p = p.fma(r, c1);
            p = p.fma(r.mul(r), r).add(one);
            FloatVector twoToN = ((IntVector) t.reinterpretAsInts()).add(bias).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            one.div(p.mul(twoToN).add(one)).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] = sigmoid(src[sOff + i]);
        }
    }

    /** {@code dst[i] = tanh(src[i])}; dst and src must be the same range or not overlap. */
    static void tanh(float[] dst, int dOff, float[] src, int sOff, int len) {
        FloatVector lo = FloatVector.broadcast(F, -TANH_CLAMP), hi = FloatVector.broadcast(F, TANH_CLAMP);
        FloatVector p13 = FloatVector.broadcast(F, TANH_P13), p11 = FloatVector.broadcast(F, TANH_P11);
        FloatVector p9 = FloatVector.broadcast(F, TANH_P9), p7 = FloatVector.broadcast(F, TANH_P7);
        FloatVector p5 = FloatVector.broadcast(F, TANH_P5), p3 = FloatVector.broadcast(F, TANH_P3);
        FloatVector p1 = FloatVector.broadcast(F, TANH_P1);
        FloatVector q6 = FloatVector.broadcast(F, TANH_Q6), q4 = FloatVector.broadcast(F, TANH_Q4);
        FloatVector q2 = FloatVector.broadcast(F, TANH_Q2), q0 = FloatVector.broadcast(F, TANH_Q0);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(F, src, sOff + i).max(lo).min(hi);
            FloatVector x2 = x.mul(x);
            FloatVector np = x2.fma(p13, p11);
            np = np.fma(x2, p9);
            np = np.fma(x2, p7);
            np = np.fma(x2, p5);
            np = np.fma(x2, p3);
            np = np.fma(x2, p1);
            FloatVector dq = x2.fma(q6, q4);
            dq = dq.fma(x2, q2);
            dq = dq.fma(x2, q0);
            np.div(dq).mul(x).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] = tanh(src[sOff + i]);
        }
    }

    /** The scalar form of the vector sigmoid above, operation for operation. */
    static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    /** The scalar form of the vector tanh above, operation for operation. */
    static float tanh(float x) {
        float xc = Math.min(Math.max(x, -TANH_CLAMP), TANH_CLAMP);
        float x2 = xc * xc;
        float np = Math.fma(x2, TANH_P13, TANH_P11);
        np = Math.fma(np, x2, TANH_P9);
        np = Math.fma(np, x2, TANH_P7);
        np = Math.fma(np, x2, TANH_P5);
        np = Math.fma(np, x2, TANH_P3);
        np = Math.fma(np, x2, TANH_P1);
        float dq = Math.fma(x2, TANH_Q6, TANH_Q4);
        dq = Math.fma(dq, x2, TANH_Q2);
        dq = Math.fma(dq, x2, TANH_Q0);
        return np / dq * xc;
    }

    /** {@code e^y} for y clamped to {@code [EXP_LO, EXP_HI]}, as in the vector loops. */
    private static float exp(float y) {
        y = Math.min(Math.max(y, EXP_LO), EXP_HI);
        float t = Math.fma(y, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, NEG_LN2_HI, y);
        r = Math.fma(n, NEG_LN2_LO, r);
        float p = Math.fma(r, EXP_C6, EXP_C5);
        p = Math.fma(p, r, EXP_C4);
        p = Math.fma(p, r, EXP_C3);
        p = Math.fma(p, r, EXP_C2);
        p = Math.fma(p, r, EXP_C1);
        p = Math.fma(p, r * r, r) + 1f;
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) + 127) << 23);
    }

    // ---------------------------------------------------------------- vanilla RNN

    /** Forward activation in place: {@code h = tanh(pre)} or {@code relu(pre) = max(pre, 0)}. */
    public static void rnnActivate(float[] pre, int off, int len, boolean relu) {
        if (!relu) {
            tanh(pre, off, pre, off, len);
            return;
        }
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, pre, off + i).max(0f).intoArray(pre, off + i);
        }
        for (; i < len; i++) {
            pre[off + i] = Math.max(pre[off + i], 0f);
        }
    }

    /**
     * {@code dPre = dh · (1 - h²)} (tanh) or {@code dPre = h > 0 ? dh : 0} (relu); dPre may be
     * the same range as h or dh.
     */
    public static void rnnActivateBackward(float[] dPre, int dPreOff, float[] h, int hOff,
                                           float[] dh, int dhOff, int len, boolean relu) {
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector hv = FloatVector.fromArray(F, h, hOff + i);
            FloatVector g = FloatVector.fromArray(F, dh, dhOff + i);
            // relu: min(max(h, 0)·2^200, 1) is 1 for every positive float (denormals included)
            // and 0 otherwise: the step function h > 0 without a lane mask
            FloatVector d = relu ? g.mul(hv.max(0f).mul(RELU_SCALE).mul(RELU_SCALE).min(1f)) : g.mul(hv.fma(zero.sub(hv), one));
            d.intoArray(dPre, dPreOff + i);
        }
        for (; i < len; i++) {
            float hv = h[hOff + i];
            float g = dh[dhOff + i];
            dPre[dPreOff + i] = relu ? g * Math.min(Math.max(hv, 0f) * RELU_SCALE * RELU_SCALE, 1f) : g * Math.fma(hv, -hv, 1f);
        }
    }

    // ---------------------------------------------------------------- LSTM

    /**
     * LSTM pointwise step; see {@link ScalarKernels#lstmForward}. {@code c} may be the same range
     * as {@code cPrev} (an in-place state update); no other buffers may overlap.
     */
    public static void lstmForward(float[] gates, int gOff, float[] cPrev, int cPrevOff,
                                   float[] c, int cOff, float[] h, int hOff, int batch, int hidden) {
        int hv = F.loopBound(hidden);
        for (int b = 0; b < batch; b++) {
            int gi = gOff + b * 4 * hidden, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
            int s = b * hidden;
            int cp = cPrevOff + s, cr = cOff + s, hr = hOff + s;
            sigmoid(gates, gi, gates, gi, 2 * hidden);
            tanh(gates, gg, gates, gg, hidden);
            sigmoid(gates, go, gates, go, hidden);
            // c = f·cPrev + i·g
            int j = 0;
            for (; j < hv; j += L) {
                FloatVector i = FloatVector.fromArray(F, gates, gi + j);
                FloatVector g = FloatVector.fromArray(F, gates, gg + j);
                FloatVector f = FloatVector.fromArray(F, gates, gf + j);
                f.fma(FloatVector.fromArray(F, cPrev, cp + j), i.mul(g)).intoArray(c, cr + j);
            }
            for (; j < hidden; j++) {
                c[cr + j] = Math.fma(gates[gf + j], cPrev[cp + j], gates[gi + j] * gates[gg + j]);
            }
            // h = o·tanh(c)
            tanh(h, hr, c, cr, hidden);
            j = 0;
            for (; j < hv; j += L) {
                FloatVector.fromArray(F, h, hr + j).mul(FloatVector.fromArray(F, gates, go + j)).intoArray(h, hr + j);
            }
            for (; j < hidden; j++) {
                h[hr + j] *= gates[go + j];
            }
        }
    }

    /**
     * LSTM pointwise backward; see {@link ScalarKernels#lstmBackward}. {@code dGates} may be the
     * same range as {@code gates}; no other buffers may overlap.
     *
     * <p>Row by row: {@code tanh(c)} into a per-thread scratch row, then the gradients in
     * {@link #lstmBackwardRow}, a method of its own. As one loop the two made a compiled method so
     * large that JDK 17's C2, in a JVM that had run other kernels first, stopped inlining the last
     * vector operations (its live-node cutoff) and boxed their vectors: 6 bytes per element.
     */
    public static void lstmBackward(float[] dGates, int dgOff, float[] gates, int gOff,
                                    float[] cPrev, int cPrevOff, float[] c, int cOff,
                                    float[] dh, int dhOff, float[] dc, int dcOff, int batch, int hidden) {
        float[] tanhC = LSTM_TANH_ROW.get();
        if (tanhC.length < hidden) {
            tanhC = new float[hidden];
            LSTM_TANH_ROW.set(tanhC);
        }
        for (int b = 0; b < batch; b++) {
            int s = b * hidden;
            tanh(tanhC, 0, c, cOff + s, hidden);
            lstmBackwardRow(dGates, dgOff + b * 4 * hidden, gates, gOff + b * 4 * hidden, cPrev, cPrevOff + s,
                    tanhC, dh, dhOff + s, dc, dcOff + s, hidden);
        }
    }

    /** One batch row of {@link #lstmBackward}, given {@code tanhC [H] = tanh(c)}; offsets point at the row. */
    private static void lstmBackwardRow(float[] dGates, int dgRow, float[] gates, int gRow, float[] cPrev, int cPrevRow,
                                        float[] tanhC, float[] dh, int dhRow, float[] dc, int dcRow, int hidden) {
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        int hv = F.loopBound(hidden);
        int j = 0;
        for (; j < hv; j += L) {
            int gi = j, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
            FloatVector i = FloatVector.fromArray(F, gates, gRow + gi);
            FloatVector f = FloatVector.fromArray(F, gates, gRow + gf);
            FloatVector g = FloatVector.fromArray(F, gates, gRow + gg);
            FloatVector o = FloatVector.fromArray(F, gates, gRow + go);
            FloatVector t = FloatVector.fromArray(F, tanhC, j);
            FloatVector dhv = FloatVector.fromArray(F, dh, dhRow + j);
            // h = o·tanh(c): through o, and through tanh(c) into the cell, joining the carried dc
            FloatVector dO = dhv.mul(t);
            FloatVector dcTotal = dhv.mul(o).fma(t.fma(zero.sub(t), one), FloatVector.fromArray(F, dc, dcRow + j));
            // c = f·cPrev + i·g
            FloatVector dI = dcTotal.mul(g);
            FloatVector dF = dcTotal.mul(FloatVector.fromArray(F, cPrev, cPrevRow + j));
            FloatVector dG = dcTotal.mul(i);
            dcTotal.mul(f).intoArray(dc, dcRow + j);
            // σ' = σ(1-σ), tanh' = 1 - tanh²
            dI.mul(i.mul(one.sub(i))).intoArray(dGates, dgRow + gi);
            dF.mul(f.mul(one.sub(f))).intoArray(dGates, dgRow + gf);
            dG.mul(g.fma(zero.sub(g), one)).intoArray(dGates, dgRow + gg);
            dO.mul(o.mul(one.sub(o))).intoArray(dGates, dgRow + go);
        }
        for (; j < hidden; j++) {
            int gi = j, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
            float i = gates[gRow + gi], f = gates[gRow + gf], g = gates[gRow + gg], o = gates[gRow + go];
            float t = tanhC[j];
            float dhv = dh[dhRow + j];
            float dO = dhv * t;
            float dcTotal = Math.fma(dhv * o, Math.fma(t, -t, 1f), dc[dcRow + j]);
            float dI = dcTotal * g;
            float dF = dcTotal * cPrev[cPrevRow + j];
            float dG = dcTotal * i;
            dc[dcRow + j] = dcTotal * f;
            dGates[dgRow + gi] = dI * (i * (1f - i));
            dGates[dgRow + gf] = dF * (f * (1f - f));
            dGates[dgRow + gg] = dG * Math.fma(g, -g, 1f);
            dGates[dgRow + go] = dO * (o * (1f - o));
        }
    }

    // ---------------------------------------------------------------- GRU

    /**
     * GRU pointwise step; see {@link ScalarKernels#gruForward}. {@code h} may be the same range as
     * {@code hPrev} (an in-place state update); no other buffers may overlap.
     */
    public static void gruForward(float[] gates, int gOff, float[] hProj, int hpOff, float[] hnCache, int hnOff,
                                  float[] hPrev, int hPrevOff, float[] h, int hOff, int batch, int hidden) {
        int hv = F.loopBound(hidden);
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int b = 0; b < batch; b++) {
            int row = b * 3 * hidden;
            int gr = gOff + row, gz = gr + hidden, gn = gz + hidden;
            int pr = hpOff + row, pn = pr + 2 * hidden;
            int s = b * hidden;
            // r, z = σ(x_r,z + h_r,z): the two blocks are adjacent in both buffers
            add(gates, gr, hProj, pr, 2 * hidden);
            sigmoid(gates, gr, gates, gr, 2 * hidden);
            // n = tanh(x_n + r·h_n), keeping h_n for backward
            int j = 0;
            for (; j < hv; j += L) {
                FloatVector hn = FloatVector.fromArray(F, hProj, pn + j);
                hn.intoArray(hnCache, hnOff + s + j);
                FloatVector.fromArray(F, gates, gr + j).fma(hn, FloatVector.fromArray(F, gates, gn + j))
                        .intoArray(gates, gn + j);
            }
            for (; j < hidden; j++) {
                float hn = hProj[pn + j];
                hnCache[hnOff + s + j] = hn;
                gates[gn + j] = Math.fma(gates[gr + j], hn, gates[gn + j]);
            }
            tanh(gates, gn, gates, gn, hidden);
            // h = (1 - z)·n + z·hPrev
            j = 0;
            for (; j < hv; j += L) {
                FloatVector z = FloatVector.fromArray(F, gates, gz + j);
                FloatVector n = FloatVector.fromArray(F, gates, gn + j);
                z.fma(FloatVector.fromArray(F, hPrev, hPrevOff + s + j), one.sub(z).mul(n)).intoArray(h, hOff + s + j);
            }
            for (; j < hidden; j++) {
                float z = gates[gz + j];
                h[hOff + s + j] = Math.fma(z, hPrev[hPrevOff + s + j], (1f - z) * gates[gn + j]);
            }
        }
    }

    /**
     * GRU pointwise backward; see {@link ScalarKernels#gruBackward}. {@code dPreIh} may be the
     * same range as {@code gates}; no other buffers may overlap.
     */
    public static void gruBackward(float[] dPreIh, int dIhOff, float[] dPreHh, int dHhOff,
                                   float[] gates, int gOff, float[] hnCache, int hnOff,
                                   float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                                   float[] dhPrev, int dhPrevOff, int batch, int hidden) {
        int hv = F.loopBound(hidden);
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        for (int b = 0; b < batch; b++) {
            int row = b * 3 * hidden;
            int s = b * hidden;
            int j = 0;
            for (; j < hv; j += L) {
                int gr = row + j, gz = gr + hidden, gn = gz + hidden;
                FloatVector r = FloatVector.fromArray(F, gates, gOff + gr);
                FloatVector z = FloatVector.fromArray(F, gates, gOff + gz);
                FloatVector n = FloatVector.fromArray(F, gates, gOff + gn);
                FloatVector dhv = FloatVector.fromArray(F, dh, dhOff + s + j);
                // h = (1 - z)·n + z·hPrev
                FloatVector dN = dhv.mul(one.sub(z));
                FloatVector dZ = dhv.mul(FloatVector.fromArray(F, hPrev, hPrevOff + s + j).sub(n));
                dhv.mul(z).intoArray(dhPrev, dhPrevOff + s + j);
                // n = tanh(x_n + r·h_n)
                FloatVector dNPre = dN.mul(n.fma(zero.sub(n), one));
                FloatVector dR = dNPre.mul(FloatVector.fromArray(F, hnCache, hnOff + s + j));
                // r, z = σ(.)
                FloatVector dRPre = dR.mul(r.mul(one.sub(r)));
                FloatVector dZPre = dZ.mul(z.mul(one.sub(z)));
                dRPre.intoArray(dPreIh, dIhOff + gr);
                dZPre.intoArray(dPreIh, dIhOff + gz);
                dNPre.intoArray(dPreIh, dIhOff + gn);
                dRPre.intoArray(dPreHh, dHhOff + gr);
                dZPre.intoArray(dPreHh, dHhOff + gz);
                dNPre.mul(r).intoArray(dPreHh, dHhOff + gn);
            }
            for (; j < hidden; j++) {
                int gr = row + j, gz = gr + hidden, gn = gz + hidden;
                float r = gates[gOff + gr], z = gates[gOff + gz], n = gates[gOff + gn];
                float dhv = dh[dhOff + s + j];
                float dN = dhv * (1f - z);
                float dZ = dhv * (hPrev[hPrevOff + s + j] - n);
                dhPrev[dhPrevOff + s + j] = dhv * z;
                float dNPre = dN * Math.fma(n, -n, 1f);
                float dR = dNPre * hnCache[hnOff + s + j];
                float dRPre = dR * (r * (1f - r));
                float dZPre = dZ * (z * (1f - z));
                dPreIh[dIhOff + gr] = dRPre;
                dPreIh[dIhOff + gz] = dZPre;
                dPreIh[dIhOff + gn] = dNPre;
                dPreHh[dHhOff + gr] = dRPre;
                dPreHh[dHhOff + gz] = dZPre;
                dPreHh[dHhOff + gn] = dNPre * r;
            }
        }
    }

    // ---------------------------------------------------------------- warm-up

    /** Rounds of {@link #warmUp}: each runs every GEMM micro-kernel, the row softmax and the sum once on a small block. */
    private static final int WARM_UP_ROUNDS = 300;

    static {
        warmUp();
    }

    /**
     * Runs every GEMM micro-kernel ({@link #WARM_UP_ROUNDS} times, on blocks of at most 10 x 128
     * with k = 16; about 0.2 s, once per JVM, when this class loads) before any real product
     * (docs/engine.md, Speed).
     *
     * <p>Why: when the first product of a JVM is a long one (a layer's input projection, say
     * 3200 x 64 x 64), C2 first compiles the 6 x 4 micro-kernel on stack replacement, in the middle
     * of that call, and in about one JVM in three the regular compilation that follows calls the
     * Vector API's Java fallback for {@code fma} instead of the FMA instruction: every FMA then
     * allocates, and every training step takes four times as long for the rest of the JVM's life
     * (measured: RNN H = 64, B = 32, one thread, 7.5-8.5 ms per step instead of 1.6-1.9 in 9 of
     * 30 JVMs). Many short calls first get the kernels compiled from their invocations: 40 of 40
     * JVMs ran at full speed after this warm-up (20 with 300 rounds, 20 with 1000).
     *
     * <p>The row softmax of the loss, whose first call covers all B·T rows, fell into the same trap
     * on its own: 2 of 76 such JVMs allocated 2.56 MB per step in its {@code add} and {@code mul}
     * until it joined the warm-up.
     */
    private static void warmUp() {
        int k = 16;
        int rows = 10; // one 6-row and one 4-row tile
        int n = WIDE_ROW_COLUMNS; // a lone row's tile, two 4-vector tiles
        float[] a = new float[rows * k];
        float[] b = new float[k * n];
        float[] c = new float[rows * n];
        double[] logSumExp = new double[2];
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            boolean accumulate = (round & 1) == 1;
            gemmBroadcast(c, 0, n, a, 0, k, 1, b, 0, n, rows, n, k, accumulate); // A as stored
            gemmBroadcast(c, 0, n, a, 0, 1, rows, b, 0, n, rows, n, k, accumulate); // A transposed
            gemmBroadcast(c, 0, n, a, 0, k, 1, b, 0, n, 1, n, k, accumulate); // a lone row
            softmaxRows(c, 0, b, 0, 2, n / 2, logSumExp, 0); // the loss softmax: its first real call is long (B·T rows)
            sum(c, 0, a, 0, b, 0, n); // the gradient reaching h_t: its first real call covers B·H/2 values
        }
    }

    // ---------------------------------------------------------------- constants

    private static int lanes() {
        int lanes = F.length();
        if (lanes != 4 && lanes != 8 && lanes != 16) {
            throw new IllegalStateException("SIMD kernels need vectors of 4, 8 or 16 floats, "
                    + "this JVM prefers " + F + "; run with -Dunroll.kernels=scalar");
        }
        return lanes;
    }
}
