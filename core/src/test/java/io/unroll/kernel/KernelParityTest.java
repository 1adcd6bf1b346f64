package io.unroll.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every SIMD kernel ({@link SimdGemm}, {@link SimdRows}, {@link SimdGates}) against its
 * {@link ScalarKernels} twin, for every length from
 * 0 to 3·lanes + 3 along the vectorised dimension (so empty, tail-only, one or more vector bodies
 * with and without tails), at odd offsets into padded arrays whose padding must stay untouched.
 *
 * <p>Tolerances are fixed and scaled by the operands, never by the answer: a GEMM entry may differ
 * by {@code 1e-5 · (Σ_p |a||b| + |c|)}; gate math works on values of order one and may differ by
 * {@code 2e-6} absolute (its activations are within 2e-7 of the exact ones).
 */
class KernelParityTest {
    private static final int L = SimdKernels.L;
    private static final int MAX = 3 * L + 3;
    /** Fills the padding around each operand; a kernel that writes outside its range changes it. */
    private static final float SENTINEL = -7777.25f;
    private static final int PAD = 5;
    private static final double GEMM_TOLERANCE = 1e-5;
    private static final double GATE_TOLERANCE = 2e-6;

    private final SplittableRandom random = new SplittableRandom(20240611);

    // ---------------------------------------------------------------- GEMM

    private enum Gemm { NN, NN_ADD, TN_ADD }

    @Test
    void gemmNNAndTNAlongN() {
        // n is the vectorised dimension: up to 5 vectors covers the 4-vector tile, single vectors
        // and the scalar tail; k crosses nothing here, see gemmAcrossBlocks
        for (Gemm op : new Gemm[] {Gemm.NN, Gemm.NN_ADD, Gemm.TN_ADD}) {
            for (int n = 0; n <= 5 * L + 3; n++) {
                for (int m = 0; m <= 6; m++) {
                    for (int k : new int[] {0, 1, 2, 5}) {
                        checkGemm(op, m, n, k);
                    }
                }
            }
        }
    }

    @Test
    void gemmAcrossBlocks() {
        // k beyond one block of the broadcast GEMMs; m beyond a block of rows; a wide n
        for (Gemm op : Gemm.values()) {
            checkGemm(op, 9, 4 * L + 5, 300);
            checkGemm(op, 6, 70, 2 * L + 1);
            checkGemm(op, 2 * SimdGemm.M_BLOCK + 5, 70, 600);
        }
        // dGatesᵀX with A's rows far apart: A and B copied block by block
        checkGemm(Gemm.TN_ADD, 517, 70, 300);
        checkGemm(Gemm.NN_ADD, 5, 4103, 16);
    }

    @Test
    void gemmTilesTwoAndFourVectorsWide() {
        // whichever width this machine uses: both widths against the scalar product and against
        // each other bit for bit (each element gets its multiply-adds in the same order), with rows
        // across the 6-row, 4-row and single-row tiles, columns across tiles, single vectors and the
        // tail, A as stored and transposed, overwriting and accumulating, k within and across blocks
        for (int m : new int[] {1, 5, 6, 11, 32, 64}) {
            for (int n : new int[] {2 * L, 4 * L + 3, 7 * L + 1}) {
                for (int k : new int[] {37, 600}) {
                    for (boolean transposed : new boolean[] {false, true}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkTileWidths(m, n, k, transposed, accumulate);
                        }
                    }
                }
            }
        }
    }

    private void checkTileWidths(int m, int n, int k, boolean transposed, boolean accumulate) {
        String what = "m=" + m + " n=" + n + " k=" + k + (transposed ? " A transposed" : "") + (accumulate ? " accumulating" : "");
        float[] a = padded(PAD, m * k, -1f, 1f), b = padded(PAD, k * n, -1f, 1f);
        float[] c0 = padded(PAD, m * n, -1f, 1f);
        int aRowStride = transposed ? 1 : k, aColStride = transposed ? m : 1;
        float[] narrow = c0.clone(), wide = c0.clone();
        SimdGemm.gemmBroadcast(narrow, PAD, n, a, PAD, aRowStride, aColStride, b, PAD, n, m, n, k, accumulate, true);
        SimdGemm.gemmBroadcast(wide, PAD, n, a, PAD, aRowStride, aColStride, b, PAD, n, m, n, k, accumulate, false);
        assertArrayEquals("2- against 4-vector tiles, " + what, wide, narrow);
        float[] expected = c0.clone();
        if (!accumulate) {
            Arrays.fill(expected, PAD, PAD + m * n, 0f);
        }
        if (transposed) {
            ScalarKernels.gemmTNAdd(expected, PAD, a, PAD, b, PAD, m, n, k);
        } else {
            ScalarKernels.gemmNNAdd(expected, PAD, a, PAD, b, PAD, m, n, k);
        }
        for (int e = PAD; e < PAD + m * n; e++) {
            // |a|, |b| <= 1: Σ_p |a||b| <= k, and |c| <= 1 when accumulating
            assertEquals(expected[e], narrow[e], GEMM_TOLERANCE * (k + 1), what + " entry " + (e - PAD));
        }
        assertPaddingUntouched(what, narrow, PAD, m * n);
    }

    @Test
    void gemmTNWithFewerColumnsThanLanes() {
        // a weight gradient dGatesᵀX with 1 to L - 1 inputs: vectors run down the rows of C, 4 at
        // a time, then single ones, then single rows; k within a block, across blocks, A copied
        for (int n = 1; n < L; n++) {
            for (int m : new int[] {L - 1, L, 4 * L - 1, 4 * L, 5 * L + 3, SimdGemm.M_BLOCK + L + 1}) {
                for (int k : new int[] {1, 7, 300}) {
                    checkGemm(Gemm.TN_ADD, m, n, k);
                }
            }
        }
        checkGemm(Gemm.TN_ADD, 517, L - 1, 300);
        // overwriting, and k across the broadcast kernels' blocks, which no dGatesᵀX reaches
        for (int n = 1; n < L; n += 3) {
            checkTileWidths(5 * L + 3, n, 600, true, false);
            checkTileWidths(5 * L + 3, n, 600, true, true);
        }
    }

    private void checkGemm(Gemm op, int m, int n, int k) {
        int cOff = 1 + (m + n) % 3, aOff = 2 + k % 3, bOff = 3 + (m + k) % 2;
        float[] a = padded(aOff, m * k, -1f, 1f);
        float[] b = padded(bOff, k * n, -1f, 1f);
        float[] c0 = padded(cOff, m * n, -1f, 1f);
        float[] expected = c0.clone();
        float[] actual = c0.clone();
        gemm(op, true, expected, cOff, a, aOff, b, bOff, m, n, k);
        gemm(op, false, actual, cOff, a, aOff, b, bOff, m, n, k);
        // Σ|a||b| per entry: the same product over absolute values
        float[] magnitude = new float[m * n];
        Gemm overwrite = op == Gemm.NN_ADD || op == Gemm.TN_ADD ? Gemm.NN : op;
        float[] absA = abs(a), absB = abs(b);
        if (op == Gemm.TN_ADD) {
            ScalarKernels.gemmTNAdd(magnitude, 0, absA, aOff, absB, bOff, m, n, k);
        } else {
            gemm(overwrite, true, magnitude, 0, absA, aOff, absB, bOff, m, n, k);
        }
        boolean accumulates = op == Gemm.NN_ADD || op == Gemm.TN_ADD;
        for (int e = 0; e < m * n; e++) {
            double scale = magnitude[e] + (accumulates ? Math.abs(c0[cOff + e]) : 0);
            double diff = Math.abs(actual[cOff + e] - expected[cOff + e]);
            if (!(diff <= GEMM_TOLERANCE * scale)) {
                fail(op + " m=" + m + " n=" + n + " k=" + k + " entry " + e + ": simd " + actual[cOff + e]
                        + ", scalar " + expected[cOff + e] + ", operand scale " + scale);
            }
        }
        assertPaddingUntouched(op + " m=" + m + " n=" + n + " k=" + k, actual, cOff, m * n);
    }

    private static void gemm(Gemm op, boolean scalar, float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                             int m, int n, int k) {
        switch (op) {
            case NN:
                if (scalar) ScalarKernels.gemmNN(c, cOff, a, aOff, b, bOff, m, n, k);
                else SimdGemm.gemmNN(c, cOff, a, aOff, b, bOff, m, n, k);
                break;
            case NN_ADD:
                if (scalar) ScalarKernels.gemmNNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
                else SimdGemm.gemmNNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
                break;
            case TN_ADD:
                if (scalar) ScalarKernels.gemmTNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
                else SimdGemm.gemmTNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
                break;
            default:
                throw new AssertionError(op);
        }
    }

    // ---------------------------------------------------------------- rows and vectors

    @Test
    void addRowVector() {
        for (int n = 0; n <= MAX; n++) {
            for (int m = 0; m <= 3; m++) {
                float[] c = padded(3, m * n, -2f, 2f), bias = padded(1, n, -2f, 2f);
                float[] expected = c.clone(), actual = c.clone();
                ScalarKernels.addRowVector(expected, 3, bias, 1, m, n);
                SimdRows.addRowVector(actual, 3, bias, 1, m, n);
                // one rounding of the same two operands: identical
                assertArrayEquals("addRowVector m=" + m + " n=" + n, expected, actual);
            }
        }
    }

    @Test
    void addColumnSums() {
        for (int n = 0; n <= 5 * L + 3; n++) {
            for (int m = 0; m <= 3; m++) {
                float[] dst = padded(1, n, -2f, 2f), a = padded(3, m * n, -2f, 2f);
                float[] expected = dst.clone(), actual = dst.clone();
                ScalarKernels.addColumnSums(expected, 1, a, 3, m, n);
                SimdRows.addColumnSums(actual, 1, a, 3, m, n);
                // the rows are added in the same order
                assertArrayEquals("addColumnSums m=" + m + " n=" + n, expected, actual);
            }
        }
    }

    @Test
    void sumOfSquares() {
        for (int len = 0; len <= MAX; len++) {
            float[] x = padded(3, len, -3f, 3f);
            double expected = ScalarKernels.sumOfSquares(x, 3, len);
            double actual = SimdRows.sumOfSquares(x, 3, len);
            assertEquals(expected, actual, 1e-12 * (1 + expected), "sumOfSquares len=" + len);
        }
    }

    @Test
    void scaleAndAdd() {
        for (int len = 0; len <= MAX; len++) {
            float[] x = padded(1, len, -3f, 3f), y = padded(2, len, -3f, 3f);
            float[] expected = x.clone(), actual = x.clone();
            ScalarKernels.scale(expected, 1, len, -1.7f);
            SimdRows.scale(actual, 1, len, -1.7f);
            assertArrayEquals("scale len=" + len, expected, actual);
            ScalarKernels.add(expected, 1, y, 2, len);
            SimdRows.add(actual, 1, y, 2, len);
            assertArrayEquals("add len=" + len, expected, actual);
            float[] z = padded(0, len, -3f, 3f);
            ScalarKernels.sum(expected, 1, y, 2, z, 0, len);
            SimdRows.sum(actual, 1, y, 2, z, 0, len);
            assertArrayEquals("sum len=" + len, expected, actual);
        }
    }

    @Test
    void softmaxRows() {
        for (int cols = 1; cols <= MAX; cols++) {
            for (int rows = 1; rows <= 3; rows++) {
                String what = "softmaxRows rows=" + rows + " cols=" + cols;
                float[] src = padded(2, rows * cols, -30f, 30f);
                float[] expected = padded(1, rows * cols, 0f, 1f), actual = expected.clone();
                double[] lseExpected = new double[rows], lseActual = new double[rows];
                ScalarKernels.softmaxRows(expected, 1, src, 2, rows, cols, lseExpected);
                SimdRows.softmaxRows(actual, 1, src, 2, rows, cols, lseActual);
                assertClose(what, expected, actual);
                for (int r = 0; r < rows; r++) {
                    assertEquals(lseExpected[r], lseActual[r], 1e-5, what + " log-sum-exp");
                }
            }
        }
    }

    // ---------------------------------------------------------------- cells

    @Test
    void rnnActivateAndBackward() {
        for (boolean relu : new boolean[] {false, true}) {
            for (int len = 0; len <= MAX; len++) {
                String what = (relu ? "relu" : "tanh") + " len=" + len;
                float[] pre = padded(3, len, -4f, 4f);
                float[] expected = pre.clone(), actual = pre.clone();
                ScalarKernels.rnnActivate(expected, 3, len, relu);
                SimdGates.rnnActivate(actual, 3, len, relu);
                assertClose("rnnActivate " + what, expected, actual);

                float[] dh = padded(1, len, -1f, 1f);
                float[] dPreExpected = padded(2, len, 0f, 0f), dPreActual = dPreExpected.clone();
                ScalarKernels.rnnActivateBackward(dPreExpected, 2, expected, 3, dh, 1, len, relu);
                SimdGates.rnnActivateBackward(dPreActual, 2, expected, 3, dh, 1, len, relu);
                assertClose("rnnActivateBackward " + what, dPreExpected, dPreActual);

                // dPre written over dh, as the documentation allows
                float[] inPlaceExpected = dh.clone(), inPlaceActual = dh.clone();
                ScalarKernels.rnnActivateBackward(inPlaceExpected, 1, expected, 3, inPlaceExpected, 1, len, relu);
                SimdGates.rnnActivateBackward(inPlaceActual, 1, expected, 3, inPlaceActual, 1, len, relu);
                assertClose("rnnActivateBackward in place " + what, inPlaceExpected, inPlaceActual);
            }
        }
    }

    @Test
    void indRnnForwardBackwardAndRecurrentGradient() {
        for (boolean relu : new boolean[] {false, true}) {
            for (int hidden = 0; hidden <= MAX; hidden++) {
                for (int batch = 1; batch <= 3; batch++) {
                    String what = (relu ? "relu" : "tanh") + " batch=" + batch + " hidden=" + hidden;
                    int bh = batch * hidden;
                    float[] pre = padded(3, bh, -3f, 3f);
                    float[] hPrev = padded(1, bh, -1f, 1f);
                    float[] u = padded(2, hidden, -1.5f, 1.5f);
                    float[] expected = pre.clone(), actual = pre.clone();
                    ScalarKernels.indRnnForward(expected, 3, hPrev, 1, u, 2, batch, hidden, relu);
                    SimdGates.indRnnForward(actual, 3, hPrev, 1, u, 2, batch, hidden, relu);
                    assertClose("indRnnForward " + what, expected, actual);

                    float[] dh = padded(1, bh, -1f, 1f);
                    float[] dPreExpected = padded(2, bh, 0f, 0f), dPreActual = dPreExpected.clone();
                    float[] carryExpected = padded(4, bh, 0f, 0f), carryActual = carryExpected.clone();
                    ScalarKernels.indRnnBackward(dPreExpected, 2, expected, 3, dh, 1, u, 2, carryExpected, 4, batch, hidden, relu);
                    SimdGates.indRnnBackward(dPreActual, 2, expected, 3, dh, 1, u, 2, carryActual, 4, batch, hidden, relu);
                    assertClose("indRnnBackward dPre " + what, dPreExpected, dPreActual);
                    assertClose("indRnnBackward dhPrev " + what, carryExpected, carryActual);

                    float[] duExpected = padded(1, hidden, -1f, 1f), duActual = duExpected.clone();
                    ScalarKernels.indRnnRecurrentGradient(duExpected, 1, dPreExpected, 2, hPrev, 1, batch, hidden);
                    SimdGates.indRnnRecurrentGradient(duActual, 1, dPreExpected, 2, hPrev, 1, batch, hidden);
                    assertClose("indRnnRecurrentGradient " + what, duExpected, duActual);
                }
            }
        }
    }

    @Test
    void lstmForwardAndBackward() {
        for (int hidden = 0; hidden <= MAX; hidden++) {
            for (int batch = 1; batch <= 3; batch++) {
                String what = "batch=" + batch + " hidden=" + hidden;
                int bh = batch * hidden;
                float[] pre = padded(3, 4 * bh, -4f, 4f);
                float[] cPrev = padded(1, bh, -2f, 2f);
                float[] gatesExpected = pre.clone(), gatesActual = pre.clone();
                float[] cExpected = padded(2, bh, 0f, 0f), cActual = cExpected.clone();
                float[] hExpected = padded(4, bh, 0f, 0f), hActual = hExpected.clone();
                ScalarKernels.lstmForward(gatesExpected, 3, cPrev, 1, cExpected, 2, hExpected, 4, batch, hidden);
                SimdGates.lstmForward(gatesActual, 3, cPrev, 1, cActual, 2, hActual, 4, batch, hidden);
                assertClose("lstmForward gates " + what, gatesExpected, gatesActual);
                assertClose("lstmForward c " + what, cExpected, cActual);
                assertClose("lstmForward h " + what, hExpected, hActual);

                // c updated in place over cPrev
                float[] stateExpected = cPrev.clone(), stateActual = cPrev.clone();
                float[] g1 = pre.clone(), g2 = pre.clone();
                ScalarKernels.lstmForward(g1, 3, stateExpected, 1, stateExpected, 1, hExpected, 4, batch, hidden);
                SimdGates.lstmForward(g2, 3, stateActual, 1, stateActual, 1, hActual, 4, batch, hidden);
                assertClose("lstmForward in place c " + what, stateExpected, stateActual);

                // backward from the scalar forward's activations, so both read the same inputs
                float[] dh = padded(2, bh, -1f, 1f);
                float[] dc = padded(3, bh, -1f, 1f);
                float[] dGatesExpected = padded(1, 4 * bh, 0f, 0f), dGatesActual = dGatesExpected.clone();
                float[] dcExpected = dc.clone(), dcActual = dc.clone();
                ScalarKernels.lstmBackward(dGatesExpected, 1, gatesExpected, 3, cPrev, 1, cExpected, 2,
                        dh, 2, dcExpected, 3, batch, hidden);
                SimdGates.lstmBackward(dGatesActual, 1, gatesExpected, 3, cPrev, 1, cExpected, 2,
                        dh, 2, dcActual, 3, batch, hidden);
                assertClose("lstmBackward dGates " + what, dGatesExpected, dGatesActual);
                assertClose("lstmBackward dc " + what, dcExpected, dcActual);
            }
        }
    }

    @Test
    void gruForwardAndBackward() {
        for (int hidden = 0; hidden <= MAX; hidden++) {
            for (int batch = 1; batch <= 3; batch++) {
                String what = "batch=" + batch + " hidden=" + hidden;
                int bh = batch * hidden;
                float[] xProj = padded(3, 3 * bh, -3f, 3f);
                float[] hProj = padded(2, 3 * bh, -3f, 3f);
                float[] hPrev = padded(1, bh, -1f, 1f);
                float[] gatesExpected = xProj.clone(), gatesActual = xProj.clone();
                float[] hnExpected = padded(4, bh, 0f, 0f), hnActual = hnExpected.clone();
                float[] hExpected = padded(2, bh, 0f, 0f), hActual = hExpected.clone();
                ScalarKernels.gruForward(gatesExpected, 3, hProj, 2, hnExpected, 4, hPrev, 1, hExpected, 2, batch, hidden);
                SimdGates.gruForward(gatesActual, 3, hProj, 2, hnActual, 4, hPrev, 1, hActual, 2, batch, hidden);
                assertClose("gruForward gates " + what, gatesExpected, gatesActual);
                assertArrayEquals("gruForward hnCache " + what, hnExpected, hnActual);
                assertClose("gruForward h " + what, hExpected, hActual);

                // h updated in place over hPrev
                float[] stateExpected = hPrev.clone(), stateActual = hPrev.clone();
                float[] g1 = xProj.clone(), g2 = xProj.clone();
                ScalarKernels.gruForward(g1, 3, hProj, 2, hnExpected, 4, stateExpected, 1, stateExpected, 1, batch, hidden);
                SimdGates.gruForward(g2, 3, hProj, 2, hnActual, 4, stateActual, 1, stateActual, 1, batch, hidden);
                assertClose("gruForward in place h " + what, stateExpected, stateActual);

                float[] dh = padded(3, bh, -1f, 1f);
                float[] dIhExpected = padded(1, 3 * bh, 0f, 0f), dIhActual = dIhExpected.clone();
                float[] dHhExpected = padded(2, 3 * bh, 0f, 0f), dHhActual = dHhExpected.clone();
                float[] dhPrevExpected = padded(4, bh, 0f, 0f), dhPrevActual = dhPrevExpected.clone();
                ScalarKernels.gruBackward(dIhExpected, 1, dHhExpected, 2, gatesExpected, 3, hnExpected, 4,
                        hPrev, 1, dh, 3, dhPrevExpected, 4, batch, hidden);
                SimdGates.gruBackward(dIhActual, 1, dHhActual, 2, gatesExpected, 3, hnExpected, 4,
                        hPrev, 1, dh, 3, dhPrevActual, 4, batch, hidden);
                assertClose("gruBackward dPreIh " + what, dIhExpected, dIhActual);
                assertClose("gruBackward dPreHh " + what, dHhExpected, dHhActual);
                assertClose("gruBackward dhPrev " + what, dhPrevExpected, dhPrevActual);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** An array with {@code len} values uniform in [lo, hi) at {@code off}, SENTINEL around them. */
    private float[] padded(int off, int len, float lo, float hi) {
        float[] x = new float[off + len + PAD];
        Arrays.fill(x, SENTINEL);
        for (int i = 0; i < len; i++) {
            x[off + i] = lo + (hi - lo) * (float) random.nextDouble();
        }
        return x;
    }

    private static float[] abs(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.abs(x[i]);
        }
        return y;
    }

    /** Element by element within GATE_TOLERANCE; the padding (equal in both) must match exactly. */
    private static void assertClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == SENTINEL || actual[i] == SENTINEL) {
                assertTrue(expected[i] == actual[i], what + ": padding or range differs at " + i);
            } else if (!(Math.abs(expected[i] - actual[i]) <= GATE_TOLERANCE)) {
                fail(what + " at " + i + ": simd " + actual[i] + ", scalar " + expected[i]);
            }
        }
    }

    private static void assertArrayEquals(String what, float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + " at " + i + ": simd " + actual[i] + ", scalar " + expected[i]);
            }
        }
    }

    private static void assertPaddingUntouched(String what, float[] x, int off, int len) {
        for (int i = 0; i < x.length; i++) {
            if ((i < off || i >= off + len) && x[i] != SENTINEL) {
                fail(what + ": wrote outside its range at index " + i);
            }
        }
    }
}
