package io.unroll.flow;

import java.util.Arrays;

/**
 * The largest eigenvalue θ of a symmetric tridiagonal matrix T {@code [m, m]} and its unit
 * eigenvector y: the small problem at the heart of the Lanczos method ({@link TopSingularValue}).
 * θ by bisection on the Sturm count (the number of negative pivots of {@code T − xI} is the number
 * of eigenvalues below x), to within 4 units in the last place; y by two steps of inverse iteration, solving
 * {@code (T − θI) y' = y} by Gaussian elimination with partial pivoting. Each call costs O(m) per
 * bisection step, against the O(m³) of a dense eigendecomposition.
 *
 * <p>Not thread-safe; holds {@link #doubles}{@code (m)} doubles.
 */
final class Tridiagonal {
    private final double[] d;    // [m] the pivots
    private final double[] du;   // [m] the first superdiagonal of U
    private final double[] du2;  // [m] the second superdiagonal of U (from row swaps)
    private final double[] dl;   // [m] the multipliers of L
    private final boolean[] swapped; // [m] whether rows i and i+1 were swapped

    Tridiagonal(int capacity) {
        d = new double[capacity];
        du = new double[capacity];
        du2 = new double[capacity];
        dl = new double[capacity];
        swapped = new boolean[capacity];
    }

    /** The doubles an instance for matrices up to {@code [m, m]} holds. */
    static long doubles(int m) {
        return 4L * m + m / 8 + 1;
    }

    /**
     * The largest eigenvalue of T, and its eigenvector in {@code y[0, m)} with norm 1.
     *
     * @param diagonal    {@code T[i, i]} for i in [0, m)
     * @param offDiagonal {@code T[i, i+1] = T[i+1, i]} for i in [0, m − 1); entry m − 1 is not read
     */
    double top(double[] diagonal, double[] offDiagonal, int m, double[] y) {
        // Gershgorin bounds on the spectrum
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < m; i++) {
            double radius = (i > 0 ? Math.abs(offDiagonal[i - 1]) : 0) + (i < m - 1 ? Math.abs(offDiagonal[i]) : 0);
            lo = Math.min(lo, diagonal[i] - radius);
            hi = Math.max(hi, diagonal[i] + radius);
        }
        // bisection: the largest eigenvalue lies in [lo, hi]; below(x) = m means every eigenvalue is below x
        while (true) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi || hi - lo <= 4 * Math.ulp(Math.max(Math.abs(lo), Math.abs(hi)))) {
                break;
            }
            if (below(diagonal, offDiagonal, m, mid) == m) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        double theta = hi;
        Arrays.fill(y, 0, m, 1 / Math.sqrt(m));
        double scale = Math.max(Math.abs(lo), Math.abs(hi));
        for (int step = 0; step < 2; step++) {
            solveShifted(diagonal, offDiagonal, m, theta, y, scale);
        }
        return theta;
    }

    /** The number of eigenvalues of T below x: the negative pivots of the LDLᵀ factors of {@code T − xI}. */
    private static int below(double[] diagonal, double[] offDiagonal, int m, double x) {
        int count = 0;
        double pivot = 1;
        for (int i = 0; i < m; i++) {
            double b = i > 0 ? offDiagonal[i - 1] : 0;
            pivot = diagonal[i] - x - (i > 0 ? b * b / pivot : 0);
            if (pivot == 0) {
                pivot = -Double.MIN_NORMAL; // x is an eigenvalue of the leading block: count it as below
            }
            if (pivot < 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * {@code y ← (T − θI)⁻¹ y}, normalised: one step of inverse iteration. A pivot that is exactly
     * zero (θ an eigenvalue to rounding) is replaced by {@code 2⁻⁵² · scale}.
     */
    private void solveShifted(double[] diagonal, double[] offDiagonal, int m, double theta, double[] y, double scale) {
        for (int i = 0; i < m; i++) {
            d[i] = diagonal[i] - theta;
            du[i] = i < m - 1 ? offDiagonal[i] : 0;
            dl[i] = i < m - 1 ? offDiagonal[i] : 0;
            du2[i] = 0;
        }
        // L U = P (T − θI), rows i and i+1 swapped where the subdiagonal entry is the larger
        for (int i = 0; i < m - 1; i++) {
            if (Math.abs(d[i]) >= Math.abs(dl[i])) {
                swapped[i] = false;
                if (d[i] != 0) {
                    double fact = dl[i] / d[i];
                    dl[i] = fact;
                    d[i + 1] -= fact * du[i];
                } else {
                    dl[i] = 0;
                }
            } else {
                swapped[i] = true;
                double fact = d[i] / dl[i];
                d[i] = dl[i];
                dl[i] = fact;
                double temp = du[i];
                du[i] = d[i + 1];
                d[i + 1] = temp - fact * d[i + 1];
                if (i < m - 2) {
                    du2[i] = du[i + 1];
                    du[i + 1] = -fact * du[i + 1];
                }
            }
        }
        // forward: L z = P y
        for (int i = 0; i < m - 1; i++) {
            if (swapped[i]) {
                double t = y[i];
                y[i] = y[i + 1];
                y[i + 1] = t - dl[i] * y[i];
            } else {
                y[i + 1] -= dl[i] * y[i];
            }
        }
        // back: U y' = z
        double tiny = Math.ulp(1.0) * Math.max(scale, Double.MIN_NORMAL);
        for (int i = m - 1; i >= 0; i--) {
            double sum = y[i];
            if (i + 1 < m) {
                sum -= du[i] * y[i + 1];
            }
            if (i + 2 < m) {
                sum -= du2[i] * y[i + 2];
            }
            y[i] = sum / (d[i] != 0 ? d[i] : tiny);
        }
        double largest = 0;
        for (int i = 0; i < m; i++) {
            largest = Math.max(largest, Math.abs(y[i]));
        }
        double norm = 0;
        for (int i = 0; i < m; i++) {
            y[i] /= largest;
            norm += y[i] * y[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < m; i++) {
            y[i] /= norm;
        }
    }
}
