package io.unroll.bench;

import java.util.Arrays;

/**
 * Order statistics of a set of timings: the median (the figure we report, robust to the odd
 * interrupted run), the extremes and the quartiles (the spread, so noise is visible). Quartiles
 * interpolate linearly between order statistics (NumPy's default).
 */
public record Stats(int n, double median, double min, double max, double q1, double q3) {

    /** Statistics of {@code samples} (at least one; the array is not modified). */
    public static Stats of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples to summarise");
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        return new Stats(s.length, quantile(s, 0.5), s[0], s[s.length - 1], quantile(s, 0.25), quantile(s, 0.75));
    }

    /** The q-quantile of sorted values, linear interpolation. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** The interquartile range relative to the median, e.g. 0.03 for ±1.5 %. */
    public double relativeIqr() {
        return median == 0 ? 0 : (q3 - q1) / median;
    }
}
