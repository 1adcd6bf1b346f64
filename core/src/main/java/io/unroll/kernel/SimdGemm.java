package io.unroll.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD products: {@code C = A·B} with B contiguous along n (a layer's {@code x·Wᵀ} reads a
 * copy of {@code Wᵀ}, see {@link Kernels#packPanels}). One element of A is broadcast and
 * multiply-added into 4 vectors of a row of B, 6 rows of C at a time (24 accumulators; 4 rows and
 * single rows at the edges, 8 vectors for a lone row; 2 vectors where there are 16 vector
 * registers, {@link #NARROW_TILES}), with k blocked so the panel of B stays in
 * the L2 cache and C in blocks of rows so their rows of A stay there too. There is no dot-product
 * form: its horizontal sums need lane masks and shuffles, which JDK 17's C2 may fail to keep in
 * registers ({@link SimdKernels}).
 *
 * <p>Each element of C gets its fused multiply-adds in order of k, the scalar tails included,
 * whichever tile, block or thread it falls in, so {@link Parallel} may split C anywhere. The block
 * sizes below were measured; the figures are in docs/engine.md#products.
 */
final class SimdGemm {
    private SimdGemm() {}

    private static final VectorSpecies<Float> F = SimdKernels.F;
    private static final int L = SimdKernels.L;

    /**
     * Whether tiles are 2 vectors wide instead of 4: a 6 x 4 tile's 24 accumulators, 4 vectors of a
     * row of B and a broadcast need 29 vector registers, which AVX-512 has (32) but AVX2 (16) does
     * not, and spilled accumulators halve the speed there; 6 x 2 needs 15. Read from the vector
     * width: 16 lanes means AVX-512 here, narrower vectors the 16 registers of AVX2 (a 128-bit
     * machine with 32 registers would only lose some speed).
     */
    static final boolean NARROW_TILES = L < 16;
    /** Rows of C per GEMM register tile. */
    static final int TILE_ROWS = 4;
    /** Columns of C per {@code gemmNN}/{@code gemmTNAdd} tile: four vectors. */
    static final int BROADCAST_TILE_COLUMNS = 4 * L;
    /** Columns of C per tile when C has fewer rows than a tile (a streaming step): eight vectors. */
    static final int WIDE_ROW_COLUMNS = 8 * L;
    /**
     * Steps of k per block of the broadcast GEMMs: the block's 4-vector panel of B (128 KB at 16
     * lanes) stays in the L2 cache.
     */
    private static final int K_BLOCK = 512;
    /**
     * Rows of C per block of the big products ({@link #gemmRowBlocks}, {@link #gemmPanelRowBlocks},
     * {@link #gemmTNPacked}): the block's rows of A (192 KB at k = 256) stay in the L2 cache while
     * every panel of B passes, instead of all of A streaming in from L3 once per panel.
     */
    static final int M_BLOCK = 192;
    /**
     * Steps of k per block of {@link #gemmTNPacked} when it copies A or B: the copies
     * ({@code 256 x 192} and {@code 256 x n} floats) then stay in the L2 cache.
     */
    private static final int PACKED_K_BLOCK = 256;
    /**
     * Steps of k per block of {@link #gemmTNPacked} when it copies neither A nor B: the block of A
     * read in place, whose rows are {@code 4·lda} bytes apart, stays cached.
     */
    private static final int IN_PLACE_K_BLOCK = 128;
    /** Floats between the rows of A from which {@link #gemmTNPacked} copies A's blocks (2 KB). */
    private static final int COPY_A_MIN_STRIDE = 512;
    /** Per thread, {@link #gemmTNPacked}'s copies of a block of A and of B; grown as needed. */
    private static final ThreadLocal<float[][]> TN_PACKS = ThreadLocal.withInitial(() -> new float[2][0]);
    /** Per thread, one column of 4L rows of C for {@link #tailColumnsByRows}. */
    private static final ThreadLocal<float[]> TAIL_COLUMN = ThreadLocal.withInitial(() -> new float[4 * L]);

    // ---------------------------------------------------------------- contiguous, as ScalarKernels' twins

    /** {@code C[m,n] = A[m,k] · B[k,n]}; C must not overlap A or B. */
    static void gemmNN(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        gemmRowBlocks(c, cOff, n, a, aOff, k, b, bOff, n, m, n, k, false);
    }

    /** {@code C[m,n] += A[m,k] · B[k,n]}; C must not overlap A or B. */
    static void gemmNNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        gemmRowBlocks(c, cOff, n, a, aOff, k, b, bOff, n, m, n, k, true);
    }

    /** {@code C[m,n] += A[k,m]ᵀ · B[k,n]}; C must not overlap A or B. */
    static void gemmTNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        gemmTNPacked(c, cOff, n, a, aOff, m, b, bOff, n, m, n, k);
    }

    // ---------------------------------------------------------------- strided, in blocks (for Parallel)

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
     * from hiding that (docs/engine.md#products).
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
        gemmBroadcast(c, cOff, ldc, a, aOff, aRowStride, aColStride, b, bOff, ldb, m, n, k, accumulate, NARROW_TILES);
    }

    /**
     * {@link #gemmBroadcast} with tiles 2 vectors wide ({@code narrow}) or 4; the overload above
     * passes {@link #NARROW_TILES}, tests call this one to check both widths on any machine.
     */
    static void gemmBroadcast(float[] c, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aColStride,
                              float[] b, int bOff, int ldb, int m, int n, int k, boolean accumulate, boolean narrow) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            clearUnlessAccumulating(c, cOff, ldc, m, n, accumulate);
            return;
        }
        int nv = F.loopBound(n);
        int n4 = nv / BROADCAST_TILE_COLUMNS * BROADCAST_TILE_COLUMNS;
        // Tiles 2 vectors wide when narrow, except for lone rows: their 4-vector tiles keep 4 chains.
        boolean twoWide = narrow && m >= TILE_ROWS;
        int tileColumns = twoWide ? 2 * L : BROADCAST_TILE_COLUMNS;
        int tiled = nv / tileColumns * tileColumns;
        // Rows in 6-row tiles (fewer loads per FMA than 4-row ones), then 4-row tiles, then single
        // rows: m = 32 as 4·6 + 2·4, m = 64 as 10·6 + 4, with no single rows; single vectors after.
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
            for (; j < tiled; j += tileColumns) {
                int i = 0;
                for (; i < sixRows; i += 6) {
                    int ci = cOff + i * ldc + j, ai = aBlock + i * aRowStride;
                    if (twoWide) {
                        broadcast6x2(c, ci, ldc, a, ai, aRowStride, aColStride, b, bBlock + j, ldb, kc, load);
                    } else {
                        broadcast6x4(c, ci, ldc, a, ai, aRowStride, aColStride, b, bBlock + j, ldb, kc, load);
                    }
                }
                for (; i + TILE_ROWS <= m; i += TILE_ROWS) {
                    int ci = cOff + i * ldc + j, ai = aBlock + i * aRowStride;
                    if (twoWide) {
                        broadcast4x2(c, ci, ldc, a, ai, aRowStride, aColStride, b, bBlock + j, ldb, kc, load);
                    } else {
                        broadcast4x4(c, ci, ldc, a, ai, aRowStride, aColStride, b, bBlock + j, ldb, kc, load);
                    }
                }
                for (; i < m; i++) {
                    int ci = cOff + i * ldc + j, ai = aBlock + i * aRowStride;
                    if (twoWide) {
                        broadcast1x1(c, ci, a, ai, aColStride, b, bBlock + j, ldb, kc, load);
                        broadcast1x1(c, ci + L, a, ai, aColStride, b, bBlock + j + L, ldb, kc, load);
                    } else {
                        broadcast1x4(c, ci, a, ai, aColStride, b, bBlock + j, ldb, kc, load);
                    }
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
            int vectorRows = 0;
            if (aRowStride == 1 && nv < n) {
                vectorRows = tailColumnsByRows(c, cOff, ldc, a, aBlock, aColStride, b, bBlock, ldb, m, nv, n, kc, load);
            }
            for (int i = vectorRows; i < m; i++) {
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

    /**
     * The columns {@code [from, to)} of C that are too few for a vector, when A is read transposed
     * ({@code aRowStride} 1, a weight gradient {@code dGatesᵀ X} with fewer inputs than lanes):
     * vectors run down the rows of C instead, a row of A times the broadcast {@code B[p,j]}, 4
     * vectors of rows at a time, then single vectors. Each element gets the scalar tail's
     * multiply-adds in the same order. Returns how many rows of C it did (a multiple of L).
     */
    private static int tailColumnsByRows(float[] c, int cOff, int ldc, float[] a, int ai, int aColStride,
                                         float[] b, int bi, int ldb, int m, int from, int to, int kc, boolean load) {
        float[] column = TAIL_COLUMN.get(); // [4L]: C's rows of one column, gathered and scattered
        int mv = F.loopBound(m);
        for (int j = from; j < to; j++) {
            int i = 0;
            for (; i + 4 * L <= mv; i += 4 * L) {
                gatherColumn(column, c, cOff + i * ldc + j, ldc, 4 * L, load);
                FloatVector s0 = FloatVector.fromArray(F, column, 0);
                FloatVector s1 = FloatVector.fromArray(F, column, L);
                FloatVector s2 = FloatVector.fromArray(F, column, 2 * L);
                FloatVector s3 = FloatVector.fromArray(F, column, 3 * L);
                int ap = ai + i, bp = bi + j;
                for (int p = 0; p < kc; p++, ap += aColStride, bp += ldb) {
                    FloatVector w = FloatVector.broadcast(F, b[bp]);
                    s0 = FloatVector.fromArray(F, a, ap).fma(w, s0);
                    s1 = FloatVector.fromArray(F, a, ap + L).fma(w, s1);
                    s2 = FloatVector.fromArray(F, a, ap + 2 * L).fma(w, s2);
                    s3 = FloatVector.fromArray(F, a, ap + 3 * L).fma(w, s3);
                }
                s0.intoArray(column, 0);
                s1.intoArray(column, L);
                s2.intoArray(column, 2 * L);
                s3.intoArray(column, 3 * L);
                scatterColumn(c, cOff + i * ldc + j, ldc, column, 4 * L);
            }
            for (; i < mv; i += L) {
                gatherColumn(column, c, cOff + i * ldc + j, ldc, L, load);
                FloatVector s = FloatVector.fromArray(F, column, 0);
                int ap = ai + i, bp = bi + j;
                for (int p = 0; p < kc; p++, ap += aColStride, bp += ldb) {
                    s = FloatVector.fromArray(F, a, ap).fma(FloatVector.broadcast(F, b[bp]), s);
                }
                s.intoArray(column, 0);
                scatterColumn(c, cOff + i * ldc + j, ldc, column, L);
            }
        }
        return mv;
    }

    private static void gatherColumn(float[] column, float[] c, int at, int ldc, int rows, boolean load) {
        for (int r = 0; r < rows; r++, at += ldc) {
            column[r] = load ? c[at] : 0f;
        }
    }

    private static void scatterColumn(float[] c, int at, int ldc, float[] column, int rows) {
        for (int r = 0; r < rows; r++, at += ldc) {
            c[at] = column[r];
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

    /** 6 rows x 2 vectors of C (12 accumulators); see {@link #broadcast4x4}. */
    private static void broadcast6x2(float[] c, int ci, int ldc, float[] a, int ai, int aRowStride, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        FloatVector s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51;
        if (load) {
            s00 = FloatVector.fromArray(F, c, ci);
            s01 = FloatVector.fromArray(F, c, ci + L);
            s10 = FloatVector.fromArray(F, c, c1);
            s11 = FloatVector.fromArray(F, c, c1 + L);
            s20 = FloatVector.fromArray(F, c, c2);
            s21 = FloatVector.fromArray(F, c, c2 + L);
            s30 = FloatVector.fromArray(F, c, c3);
            s31 = FloatVector.fromArray(F, c, c3 + L);
            s40 = FloatVector.fromArray(F, c, c4);
            s41 = FloatVector.fromArray(F, c, c4 + L);
            s50 = FloatVector.fromArray(F, c, c5);
            s51 = FloatVector.fromArray(F, c, c5 + L);
        } else {
            s00 = FloatVector.zero(F);
            s01 = s00; s10 = s00; s11 = s00; s20 = s00; s21 = s00; s30 = s00; s31 = s00; s40 = s00; s41 = s00; s50 = s00; s51 = s00;
        }
        int a1 = aRowStride, a2 = 2 * aRowStride, a3 = 3 * aRowStride, a4 = 4 * aRowStride, a5 = 5 * aRowStride;
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            FloatVector w0 = FloatVector.fromArray(F, b, bi);
            FloatVector w1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            s00 = x.fma(w0, s00);
            s01 = x.fma(w1, s01);
            x = FloatVector.broadcast(F, a[ai + a1]);
            s10 = x.fma(w0, s10);
            s11 = x.fma(w1, s11);
            x = FloatVector.broadcast(F, a[ai + a2]);
            s20 = x.fma(w0, s20);
            s21 = x.fma(w1, s21);
            x = FloatVector.broadcast(F, a[ai + a3]);
            s30 = x.fma(w0, s30);
            s31 = x.fma(w1, s31);
            x = FloatVector.broadcast(F, a[ai + a4]);
            s40 = x.fma(w0, s40);
            s41 = x.fma(w1, s41);
            x = FloatVector.broadcast(F, a[ai + a5]);
            s50 = x.fma(w0, s50);
            s51 = x.fma(w1, s51);
        }
        s00.intoArray(c, ci);
        s01.intoArray(c, ci + L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
        s40.intoArray(c, c4);
        s41.intoArray(c, c4 + L);
        s50.intoArray(c, c5);
        s51.intoArray(c, c5 + L);
    }

    /** 4 rows x 2 vectors of C; see {@link #broadcast4x4}. */
    private static void broadcast4x2(float[] c, int ci, int ldc, float[] a, int ai, int aRowStride, int aColStride,
                                     float[] b, int bi, int ldb, int kc, boolean load) {
        int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00, s01, s10, s11, s20, s21, s30, s31;
        if (load) {
            s00 = FloatVector.fromArray(F, c, ci);
            s01 = FloatVector.fromArray(F, c, ci + L);
            s10 = FloatVector.fromArray(F, c, c1);
            s11 = FloatVector.fromArray(F, c, c1 + L);
            s20 = FloatVector.fromArray(F, c, c2);
            s21 = FloatVector.fromArray(F, c, c2 + L);
            s30 = FloatVector.fromArray(F, c, c3);
            s31 = FloatVector.fromArray(F, c, c3 + L);
        } else {
            s00 = FloatVector.zero(F);
            s01 = s00; s10 = s00; s11 = s00; s20 = s00; s21 = s00; s30 = s00; s31 = s00;
        }
        int a1 = aRowStride, a2 = 2 * aRowStride, a3 = 3 * aRowStride;
        for (int p = 0; p < kc; p++, ai += aColStride, bi += ldb) {
            FloatVector w0 = FloatVector.fromArray(F, b, bi);
            FloatVector w1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            s00 = x.fma(w0, s00);
            s01 = x.fma(w1, s01);
            x = FloatVector.broadcast(F, a[ai + a1]);
            s10 = x.fma(w0, s10);
            s11 = x.fma(w1, s11);
            x = FloatVector.broadcast(F, a[ai + a2]);
            s20 = x.fma(w0, s20);
            s21 = x.fma(w1, s21);
            x = FloatVector.broadcast(F, a[ai + a3]);
            s30 = x.fma(w0, s30);
            s31 = x.fma(w1, s31);
        }
        s00.intoArray(c, ci);
        s01.intoArray(c, ci + L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
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
}
