package io.unroll.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The vectorised sigmoid and tanh of {@link SimdActivations}: accuracy against double-precision
 * {@link Math} over the whole useful range, finite and saturated results for extreme inputs, and
 * the same bits for a value whether it falls in a vector body or in a scalar tail.
 */
class ActivationTest {
    private static final int L = SimdKernels.L;
    private static final float[] EXTREMES = {
        100f, -100f, 88.5f, -88.5f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, 0f, -0f,
    };

    @Test
    void accurateOverTheRange() {
        // every 2^-10 in [-40, 40], plus random values concentrated near zero
        SplittableRandom random = new SplittableRandom(7);
        int grid = 80 * 1024 + 1;
        float[] x = new float[grid + 4096];
        for (int i = 0; i < grid; i++) {
            x[i] = -40f + i / 1024f;
        }
        for (int i = grid; i < x.length; i++) {
            x[i] = (float) (random.nextDouble(-1, 1) * Math.pow(10, -random.nextInt(8)));
        }
        float[] sigmoid = new float[x.length], tanh = new float[x.length];
        SimdActivations.sigmoid(sigmoid, 0, x, 0, x.length);
        SimdActivations.tanh(tanh, 0, x, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            double s = 1 / (1 + Math.exp(-x[i]));
            double t = Math.tanh(x[i]);
            // sigmoid: absolute 2e-7 everywhere, and relative 3e-7 so that small values stay
            // accurate too; tanh (a rational on a clamped argument, about 5 ulp): 3e-7 both ways
            assertTrue(Math.abs(sigmoid[i] - s) <= 2e-7 && Math.abs(sigmoid[i] - s) <= 3e-7 * s + 1e-38,
                    "sigmoid(" + x[i] + ") = " + sigmoid[i] + ", exact " + s);
            assertTrue(Math.abs(tanh[i] - t) <= 3e-7 && Math.abs(tanh[i] - t) <= 3e-7 * Math.abs(t) + 1e-38,
                    "tanh(" + x[i] + ") = " + tanh[i] + ", exact " + t);
        }
    }

    @Test
    void handValues() {
        float[] x = {0f, 1f, -1f, 2f};
        float[] s = new float[4], t = new float[4];
        SimdActivations.sigmoid(s, 0, x, 0, 4);
        SimdActivations.tanh(t, 0, x, 0, 4);
        assertEquals(0.5f, s[0]);
        assertEquals(0.7310586f, s[1], 1e-7f);
        assertEquals(0.26894143f, s[2], 1e-7f);
        assertEquals(0.880797f, s[3], 1e-7f);
        assertEquals(0f, t[0]);
        assertEquals(0.7615942f, t[1], 1e-7f);
        assertEquals(-0.7615942f, t[2], 1e-7f);
        assertEquals(0.9640276f, t[3], 1e-7f);
    }

    @Test
    void extremeInputsSaturateWithoutNaN() {
        // each extreme in a vector body and again in the scalar tail
        float[] x = new float[EXTREMES.length * (L + 1)];
        for (int i = 0; i < x.length; i++) {
            x[i] = EXTREMES[i % EXTREMES.length];
        }
        float[] s = new float[x.length], t = new float[x.length];
        SimdActivations.sigmoid(s, 0, x, 0, x.length);
        SimdActivations.tanh(t, 0, x, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertTrue(Float.isFinite(s[i]) && s[i] >= 0f && s[i] <= 1f, "sigmoid(" + x[i] + ") = " + s[i]);
            assertTrue(Float.isFinite(t[i]) && t[i] >= -1f && t[i] <= 1f, "tanh(" + x[i] + ") = " + t[i]);
            if (Math.abs(x[i]) >= 100f) {
                assertEquals(x[i] > 0 ? 1f : 0f, s[i], 1e-38f, "sigmoid(" + x[i] + ")");
                assertEquals(Math.signum(x[i]), t[i], "tanh(" + x[i] + ")");
            }
        }
        float[] nan = {Float.NaN};
        SimdActivations.sigmoid(nan, 0, nan, 0, 1);
        assertTrue(Float.isNaN(nan[0]), "NaN stays NaN");
    }

    @Test
    void cellsStayFiniteForExtremeInputs() {
        int hidden = 2 * L + 3;
        for (float extreme : EXTREMES) {
            if (Float.isInfinite(extreme)) {
                continue; // inf·0 is NaN in any implementation: not a kernel matter
            }
            float[] gates = filled(4 * hidden, extreme);
            float[] c = new float[hidden], h = new float[hidden];
            Kernels.lstmForward(gates, 0, filled(hidden, 1f), 0, c, 0, h, 0, 1, hidden);
            assertFinite("lstmForward(" + extreme + ")", gates, c, h);

            float[] dGates = new float[4 * hidden];
            float[] dc = filled(hidden, 1f);
            Kernels.lstmBackward(dGates, 0, gates, 0, filled(hidden, 1f), 0, filled(hidden, extreme), 0,
                    filled(hidden, 1f), 0, dc, 0, 1, hidden);
            assertFinite("lstmBackward(" + extreme + ")", dGates, dc);

            float[] gru = filled(3 * hidden, extreme);
            float[] hn = new float[hidden], hg = new float[hidden];
            Kernels.gruForward(gru, 0, filled(3 * hidden, 1f), 0, hn, 0, filled(hidden, 0.5f), 0, hg, 0, 1, hidden);
            assertFinite("gruForward(" + extreme + ")", gru, hg);

            float[] rnn = filled(hidden, extreme);
            Kernels.rnnActivate(rnn, 0, hidden, false);
            assertFinite("rnnActivate(" + extreme + ")", rnn);
        }
    }

    @Test
    void sameBitsInVectorBodyAndTail() {
        // shifting the data by one element moves values between vector lanes and the scalar tail
        SplittableRandom random = new SplittableRandom(11);
        int len = 3 * L + 3;
        float[] x = new float[len + 1];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-12, 12);
        }
        float[] s0 = new float[len], s1 = new float[len], t0 = new float[len], t1 = new float[len];
        SimdActivations.sigmoid(s0, 0, x, 0, len);
        SimdActivations.sigmoid(s1, 0, x, 1, len);
        SimdActivations.tanh(t0, 0, x, 0, len);
        SimdActivations.tanh(t1, 0, x, 1, len);
        for (int i = 1; i < len; i++) {
            assertEquals(Float.floatToIntBits(s0[i]), Float.floatToIntBits(s1[i - 1]), "sigmoid(" + x[i] + ")");
            assertEquals(Float.floatToIntBits(t0[i]), Float.floatToIntBits(t1[i - 1]), "tanh(" + x[i] + ")");
        }
    }

    @Test
    void gemmRowsDoNotDependOnTheirNeighbours() {
        // batch invariance: a row computed in a batch has the bits it has alone, for every kernel
        SplittableRandom random = new SplittableRandom(3);
        int m = 7, n = 5 * L + 3, k = 2 * L + 5;
        float[] a = random(random, m * k), b = random(random, k * n);
        float[] batch = new float[m * n];
        SimdGemm.gemmNN(batch, 0, a, 0, b, 0, m, n, k);
        for (int i = 0; i < m; i++) {
            float[] alone = new float[n];
            SimdGemm.gemmNN(alone, 0, a, i * k, b, 0, 1, n, k);
            if (!Arrays.equals(alone, Arrays.copyOfRange(batch, i * n, (i + 1) * n))) {
                fail("row " + i + " differs when computed alone");
            }
        }
    }

    private static float[] random(SplittableRandom random, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        return x;
    }

    private static float[] filled(int len, float value) {
        float[] x = new float[len];
        Arrays.fill(x, value);
        return x;
    }

    private static void assertFinite(String what, float[]... arrays) {
        for (float[] array : arrays) {
            for (int i = 0; i < array.length; i++) {
                assertTrue(Float.isFinite(array[i]), what + ": " + array[i] + " at " + i);
            }
        }
    }
}
