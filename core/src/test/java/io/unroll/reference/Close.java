package io.unroll.reference;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Element-wise closeness in the sense of NumPy's {@code allclose}:
 * {@code |actual - expected| <= rel·|expected| + abs}, with fixed {@code rel} and {@code abs}.
 */
public final class Close {
    private Close() {}

    /** Fails naming the first element out of tolerance; returns the largest error seen. */
    public static double assertClose(String what, double[] expected, float[] actual, double rel, double abs) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            worst = Math.max(worst, err);
            if (!(err <= rel * Math.abs(expected[i]) + abs)) {
                fail(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (error " + err
                        + ", allowed " + (rel * Math.abs(expected[i]) + abs) + ")");
            }
        }
        return worst;
    }

    public static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
