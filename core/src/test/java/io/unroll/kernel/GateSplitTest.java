package io.unroll.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gate kernels (and the row softmax, the sum of two ranges, the bias added to every row and the
 * swap of the batch and time axes) big enough for the facade to share their rows between two
 * threads give exactly the bits of the same kernel run on one thread, for every cell, forward and
 * backward, at offsets other than zero and with a batch that does not split evenly. The core
 * tests run with {@code -Dunroll.threads=2} (core/pom.xml), so the split happens on any machine.
 */
class GateSplitTest {
    private static final int BATCH = 37;
    private static final int HIDDEN = 250; // BATCH·HIDDEN above the split threshold, H not a multiple of a vector

    @BeforeAll
    static void theFacadeRunsTheSplitPath() {
        assertTrue(Kernels.implementation().startsWith("simd"),
                "the facade must use the SIMD kernels, which it splits; it uses " + Kernels.implementation());
        assertTrue(Parallel.THREADS >= 2 && Kernels.threads() >= 2, "the pool has " + Parallel.THREADS
                + " thread(s), so the facade would compare each kernel with itself; the core tests set"
                + " -Dunroll.threads=2 in core/pom.xml, unroll.threads is " + System.getProperty("unroll.threads"));
        Set<Thread> ran = ConcurrentHashMap.newKeySet();
        Parallel.rows((from, to) -> ran.add(Thread.currentThread()), 2);
        assertEquals(2, ran.size(), "two rows shared by the pool ran on " + ran);
        assertTrue((long) BATCH * HIDDEN >= Kernels.MIN_SPLIT_ELEMENTS, "the shape must be above the split threshold");
    }

    @Test
    void rnnActivations() {
        SplittableRandom random = new SplittableRandom(1);
        int len = BATCH * HIDDEN;
        for (boolean relu : new boolean[] {false, true}) {
            float[] pre = random(random, len + 3, -3, 3);
            float[] expected = pre.clone(), actual = pre.clone();
            SimdGates.rnnActivate(expected, 3, len, relu);
            Kernels.rnnActivate(actual, 3, len, relu);
            assertArrayEquals(expected, actual, "rnnActivate relu=" + relu);
            float[] dh = random(random, len + 1, -1, 1);
            float[] dExpected = new float[len + 2], dActual = new float[len + 2];
            SimdGates.rnnActivateBackward(dExpected, 2, expected, 3, dh, 1, len, relu);
            Kernels.rnnActivateBackward(dActual, 2, actual, 3, dh, 1, len, relu);
            assertArrayEquals(dExpected, dActual, "rnnActivateBackward relu=" + relu);
        }
    }

    @Test
    void sum() {
        SplittableRandom random = new SplittableRandom(4);
        int len = BATCH * HIDDEN;
        float[] a = random(random, len + 2, -3, 3), b = random(random, len + 1, -3, 3);
        float[] expected = new float[len + 3], actual = new float[len + 3];
        SimdRows.sum(expected, 3, a, 2, b, 1, len);
        Kernels.sum(actual, 3, a, 2, b, 1, len);
        assertArrayEquals(expected, actual, "sum");
        assertTrue(expected[3] == a[2] + b[1] && expected[len + 2] == a[len + 1] + b[len], "sum adds the ranges given");
    }

    @Test
    void swapAxes() {
        SplittableRandom random = new SplittableRandom(5);
        int steps = 7, width = 41; // BATCH·steps·width above the split threshold
        float[] batchFirst = random(random, BATCH * steps * width + 3, -1, 1);
        float[] timeMajor = new float[steps * BATCH * width + 2], byHand = new float[steps * BATCH * width + 2];
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < steps; t++) {
                for (int j = 0; j < width; j++) {
                    byHand[2 + (t * BATCH + b) * width + j] = batchFirst[3 + (b * steps + t) * width + j];
                }
            }
        }
        Kernels.swapAxes(timeMajor, 2, batchFirst, 3, BATCH, steps, width);
        assertArrayEquals(byHand, timeMajor, "batch-first into time-major");
        float[] back = new float[BATCH * steps * width + 3];
        Kernels.swapAxes(back, 3, timeMajor, 2, steps, BATCH, width);
        assertArrayEquals(java.util.Arrays.copyOfRange(batchFirst, 3, batchFirst.length),
                java.util.Arrays.copyOfRange(back, 3, back.length), "and back");
    }

    @Test
    void addRowVector() {
        SplittableRandom random = new SplittableRandom(6);
        float[] c = random(random, BATCH * HIDDEN + 4, -3, 3), bias = random(random, HIDDEN + 1, -1, 1);
        float[] expected = c.clone(), actual = c.clone();
        SimdRows.addRowVector(expected, 4, bias, 1, BATCH, HIDDEN);
        Kernels.addRowVector(actual, 4, bias, 1, BATCH, HIDDEN);
        assertArrayEquals(expected, actual, "addRowVector");
        assertTrue(expected[4 + (BATCH - 1) * HIDDEN + 9] == c[4 + (BATCH - 1) * HIDDEN + 9] + bias[10],
                "addRowVector adds the bias to the last row too");
    }

    @Test
    void indRnn() {
        SplittableRandom random = new SplittableRandom(9);
        int bh = BATCH * HIDDEN;
        for (boolean relu : new boolean[] {false, true}) {
            float[] pre = random(random, bh + 3, -3, 3), hPrev = random(random, bh + 1, -1, 1), u = random(random, HIDDEN + 2, -1.5, 1.5);
            float[] expected = pre.clone(), actual = pre.clone();
            SimdGates.indRnnForward(expected, 3, hPrev, 1, u, 2, BATCH, HIDDEN, relu);
            Kernels.indRnnForward(actual, 3, hPrev, 1, u, 2, BATCH, HIDDEN, relu);
            assertArrayEquals(expected, actual, "indRnnForward relu=" + relu);
            float[] dh = random(random, bh + 1, -1, 1);
            float[] dExpected = new float[bh + 2], dActual = new float[bh + 2];
            float[] carryExpected = new float[bh], carryActual = new float[bh];
            SimdGates.indRnnBackward(dExpected, 2, expected, 3, dh, 1, u, 2, carryExpected, 0, BATCH, HIDDEN, relu);
            Kernels.indRnnBackward(dActual, 2, actual, 3, dh, 1, u, 2, carryActual, 0, BATCH, HIDDEN, relu);
            assertArrayEquals(dExpected, dActual, "indRnnBackward dPre relu=" + relu);
            assertArrayEquals(carryExpected, carryActual, "indRnnBackward dhPrev relu=" + relu);
        }
    }

    @Test
    void lstm() {
        SplittableRandom random = new SplittableRandom(2);
        int bh = BATCH * HIDDEN;
        float[] gates = random(random, 4 * bh + 1, -4, 4), cPrev = random(random, bh + 2, -2, 2);
        float[] gExpected = gates.clone(), gActual = gates.clone();
        float[] cExpected = new float[bh + 1], cActual = new float[bh + 1];
        float[] hExpected = new float[bh + 3], hActual = new float[bh + 3];
        SimdGates.lstmForward(gExpected, 1, cPrev, 2, cExpected, 1, hExpected, 3, BATCH, HIDDEN);
        Kernels.lstmForward(gActual, 1, cPrev, 2, cActual, 1, hActual, 3, BATCH, HIDDEN);
        assertArrayEquals(gExpected, gActual, "lstmForward gates");
        assertArrayEquals(cExpected, cActual, "lstmForward c");
        assertArrayEquals(hExpected, hActual, "lstmForward h");

        float[] dh = random(random, bh, -1, 1), dc = random(random, bh + 1, -1, 1);
        float[] dcExpected = dc.clone(), dcActual = dc.clone();
        float[] dgExpected = new float[4 * bh + 2], dgActual = new float[4 * bh + 2];
        SimdGates.lstmBackward(dgExpected, 2, gExpected, 1, cPrev, 2, cExpected, 1, dh, 0, dcExpected, 1, BATCH, HIDDEN);
        Kernels.lstmBackward(dgActual, 2, gExpected, 1, cPrev, 2, cExpected, 1, dh, 0, dcActual, 1, BATCH, HIDDEN);
        assertArrayEquals(dgExpected, dgActual, "lstmBackward dGates");
        assertArrayEquals(dcExpected, dcActual, "lstmBackward dc");
    }

    @Test
    void gru() {
        SplittableRandom random = new SplittableRandom(3);
        int bh = BATCH * HIDDEN;
        float[] gates = random(random, 3 * bh + 1, -3, 3), hProj = random(random, 3 * bh + 2, -3, 3);
        float[] hPrev = random(random, bh + 1, -1, 1);
        float[] gExpected = gates.clone(), gActual = gates.clone();
        float[] hnExpected = new float[bh], hnActual = new float[bh];
        float[] hExpected = new float[bh + 2], hActual = new float[bh + 2];
        SimdGates.gruForward(gExpected, 1, hProj, 2, hnExpected, 0, hPrev, 1, hExpected, 2, BATCH, HIDDEN);
        Kernels.gruForward(gActual, 1, hProj, 2, hnActual, 0, hPrev, 1, hActual, 2, BATCH, HIDDEN);
        assertArrayEquals(gExpected, gActual, "gruForward gates");
        assertArrayEquals(hnExpected, hnActual, "gruForward hn");
        assertArrayEquals(hExpected, hActual, "gruForward h");

        float[] dh = random(random, bh + 1, -1, 1);
        float[] ihExpected = new float[3 * bh + 1], ihActual = new float[3 * bh + 1];
        float[] hhExpected = new float[3 * bh], hhActual = new float[3 * bh];
        float[] dhPrevExpected = new float[bh + 2], dhPrevActual = new float[bh + 2];
        SimdGates.gruBackward(ihExpected, 1, hhExpected, 0, gExpected, 1, hnExpected, 0, hPrev, 1, dh, 1,
                dhPrevExpected, 2, BATCH, HIDDEN);
        Kernels.gruBackward(ihActual, 1, hhActual, 0, gExpected, 1, hnExpected, 0, hPrev, 1, dh, 1,
                dhPrevActual, 2, BATCH, HIDDEN);
        assertArrayEquals(ihExpected, ihActual, "gruBackward dPreIh");
        assertArrayEquals(hhExpected, hhActual, "gruBackward dPreHh");
        assertArrayEquals(dhPrevExpected, dhPrevActual, "gruBackward dhPrev");
    }

    @Test
    void softmaxRows() {
        SplittableRandom random = new SplittableRandom(4);
        int rows = 301, cols = 70; // above the split threshold, rows split unevenly, cols not a multiple of a vector
        float[] src = random(random, rows * cols + 2, -20, 20);
        float[] expected = new float[rows * cols + 1], actual = new float[rows * cols + 1];
        double[] lseExpected = new double[rows], lseActual = new double[rows];
        SimdRows.softmaxRows(expected, 1, src, 2, rows, cols, lseExpected);
        Kernels.softmaxRows(actual, 1, src, 2, rows, cols, lseActual);
        assertArrayEquals(expected, actual, "softmaxRows probabilities");
        assertArrayEquals(lseExpected, lseActual, "softmaxRows log-sum-exp");
    }

    private static float[] random(SplittableRandom random, int len, double lo, double hi) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) random.nextDouble(lo, hi);
        }
        return x;
    }
}
