package io.unroll.flow;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The largest singular value σ of a square matrix P {@code [n, n]} and its right singular vector v,
 * by the Lanczos method on {@code PᵀP} in double precision, for a sequence of matrices that share
 * their row space: the Jacobian products {@code P_k = ∂s_{T-1}/∂s_k}, whose rows all live in the
 * state space of the last step. The left singular vector {@code u} found for one matrix warm-starts
 * the next: {@code v₀ = Pᵀu / ‖Pᵀu‖}. (The right vector of {@code P_{k+1}} would be the wrong
 * start: it lives in the state space of step k+1, not of step k.)
 *
 * <p>Lanczos builds an orthonormal basis {@code q_1 … q_j} of the Krylov space of {@code PᵀP} from
 * {@code v₀}, and the tridiagonal {@code T_j = Q_jᵀ PᵀP Q_j}; the top eigenpair {@code (θ, y)} of
 * {@code T_j} gives {@code v = Q_j y} and {@code σ = ‖Pv‖} ({@code σ² = θ} in exact arithmetic).
 * Each step costs a step of power iteration (one product with P, one with Pᵀ) and the
 * reorthogonalisation, O(j·n); but where power iteration needs about
 * {@code λ₁ / (λ₁ − λ₂)} steps, Lanczos needs about the square root of that: it matters where the
 * top singular values lie close together, as they do for an orthogonal {@code W_hh}. The basis is
 * reorthogonalised in full at every step, and after {@link #RESTART} steps the method starts again
 * from its best v.
 *
 * <p><em>Converged</em> means {@code ‖PᵀPv − σ²v‖₂ ≤ 10⁻⁶·σ²} with {@code σ = ‖Pv‖}, measured on
 * the final v itself (Lanczos's own estimate of the residual only says when to measure it): v is
 * then an eigenvector of {@code PᵀP} up to that residual, and σ² lies within {@code 10⁻⁶·σ²} of one
 * of its eigenvalues, so σ is a singular value of P to 5·10⁻⁷ relative. That it is the
 * <em>largest</em> one is what the method gives from any start with a component along the top
 * direction; a start with almost none can stop at another. To keep such a component, every start
 * mixes in a fixed pseudo-random vector of norm 10⁻³ (relative to the warm start). Two shortcuts are
 * exact: a zero matrix has σ = 0, and a diagonal one (the IndRNN's products, whose units never mix)
 * {@code σ = max |P_ii|}, v the unit vector of that i.
 *
 * <p>Not thread-safe; holds {@link #doubles}{@code (n)} doubles.
 */
final class TopSingularValue {
    /** The residual bound, relative to σ², that counts as converged. */
    static final double TOLERANCE = 1e-6;
    /** The most Lanczos steps tried before a matrix is reported as not converged. */
    static final int MAX_ITERATIONS = 2000;
    /** The Lanczos steps after which the basis is dropped and the method starts again from its best v. */
    static final int RESTART = 256;
    /** The weight of the fixed pseudo-random vector mixed into every warm start. */
    static final double MIX = 1e-3;

    private final int n;
    private final int maxIterations;
    private final double[] u;        // [n] left singular vector: P v / σ
    private final double[] v;        // [n] right singular vector
    private final double[] w;        // [n] scratch: PᵀP v, or the start
    private final double[] random;   // [n] fixed unit vector
    private final double[][] q;      // [RESTART + 1][n] the Lanczos basis
    private final double[][] pq;     // [RESTART][n] P q_i, so that P v = Σ y_i P q_i needs no product
    private final double[] alpha;    // [RESTART] the diagonal of T
    private final double[] beta;     // [RESTART] the off-diagonal of T: β_i = T[i, i+1]
    private final double[] y;        // [RESTART] T's top eigenvector
    private final Tridiagonal tridiagonal;

    private double sigma;
    private int iterations;
    private boolean converged;

    TopSingularValue(int n) {
        this(n, RESTART, MAX_ITERATIONS);
    }

    /** With a basis of at most {@code restart} vectors and at most {@code maxIterations} steps, for tests. */
    TopSingularValue(int n, int restart, int maxIterations) {
        this.n = n;
        this.maxIterations = maxIterations;
        this.u = new double[n];
        this.v = new double[n];
        this.w = new double[n];
        this.random = new double[n];
        int basis = Math.min(restart, n);
        this.q = new double[basis + 1][n];
        this.pq = new double[basis][n];
        this.alpha = new double[basis];
        this.beta = new double[basis];
        this.y = new double[basis];
        this.tridiagonal = new Tridiagonal(basis);
        SplittableRandom rnd = new SplittableRandom(0x5EED);
        for (int i = 0; i < n; i++) {
            random[i] = rnd.nextDouble(-1, 1);
        }
        normalize(random);
        System.arraycopy(random, 0, u, 0, n);
    }

    /** The doubles an instance for {@code [n, n]} matrices holds. */
    static long doubles(int n) {
        long basis = Math.min(RESTART, n);
        return (4 + 2 * basis + 1) * (long) n + 3 * basis + Tridiagonal.doubles(RESTART);
    }

    /** The top singular value σ and right vector v of {@code p [n, n]} row-major, all entries finite. */
    void run(double[] p) {
        iterations = 0;
        converged = true;
        if (diagonal(p)) {
            return;
        }
        // v₀ = Pᵀ(u_prev + MIX·r), normalised; a start that P maps to 0 is replaced by Pᵀr
        for (int i = 0; i < n; i++) {
            w[i] = u[i] + MIX * random[i];
        }
        multiplyTransposed(p, w, v);
        if (normalize(v) == 0) {
            multiplyTransposed(p, random, v);
            normalize(v);
        }
        converged = false;
        while (iterations < maxIterations && !converged) {
            lanczos(p);
        }
        if (sigma > 0) {
            for (int i = 0; i < n; i++) {
                u[i] /= sigma;
            }
        }
    }

    /**
     * Lanczos steps from v until Lanczos's estimate of the residual, {@code β_j |y_j|}, is within
     * the tolerance, the basis is full or the iterations are spent; then v, u = Pv and σ from the
     * best Ritz vector, and whether its measured residual is within the tolerance.
     */
    private void lanczos(double[] p) {
        int basis = alpha.length;
        System.arraycopy(v, 0, q[0], 0, n);
        int j = 0;
        double theta;
        while (true) {
            iterations++;
            double[] z = q[j + 1];
            multiplyBoth(p, q[j], pq[j], z);                       // P q_j, and z = PᵀP q_j
            alpha[j] = dot(q[j], z);
            // z ⊥ q_0 … q_j, twice over (classical Gram-Schmidt in two passes keeps the basis orthonormal)
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i <= j; i++) {
                    double c = dot(q[i], z);
                    for (int e = 0; e < n; e++) {
                        z[e] -= c * q[i][e];
                    }
                }
            }
            beta[j] = Math.sqrt(dot(z, z));
            theta = tridiagonal.top(alpha, beta, j + 1, y);
            boolean exhausted = beta[j] <= 1e-14 * Math.max(theta, Double.MIN_NORMAL); // an invariant subspace: exact
            j++;
            // the estimate is asked for half the bound, so that the measured residual, a little larger in rounding, meets it
            if (exhausted || beta[j - 1] * Math.abs(y[j - 1]) <= 0.5 * TOLERANCE * theta || j == basis
                    || iterations >= maxIterations) {
                break;
            }
            for (int e = 0; e < n; e++) {
                z[e] /= beta[j - 1];
            }
        }
        // v = Q y, u = P v; then the residual measured: ‖PᵀP v − σ² v‖
        Arrays.fill(v, 0);
        Arrays.fill(u, 0);
        for (int i = 0; i < j; i++) {
            for (int e = 0; e < n; e++) {
                v[e] += y[i] * q[i][e];
                u[e] += y[i] * pq[i][e];
            }
        }
        double norm = normalize(v);
        if (norm > 0) {
            for (int e = 0; e < n; e++) {
                u[e] /= norm;
            }
        }
        sigma = Math.sqrt(dot(u, u));
        multiplyTransposed(p, u, w);
        double lambda = sigma * sigma;
        double residual = 0;
        for (int i = 0; i < n; i++) {
            double r = w[i] - lambda * v[i];
            residual += r * r;
        }
        converged = Math.sqrt(residual) <= TOLERANCE * lambda;
    }

    /** The σ of the last {@link #run}. */
    double sigma() {
        return sigma;
    }

    /** The iterations of the last {@link #run}: 0 for the exact shortcuts. */
    int iterations() {
        return iterations;
    }

    /** Whether the last {@link #run} met the residual bound (always, for the shortcuts). */
    boolean converged() {
        return converged;
    }

    /** The right singular vector of the last {@link #run}, its largest-magnitude entry made positive; zeros for a zero matrix. */
    double[] direction() {
        double[] d = v.clone();
        int big = 0;
        for (int i = 1; i < n; i++) {
            if (Math.abs(d[i]) > Math.abs(d[big])) {
                big = i;
            }
        }
        if (d[big] < 0) {
            for (int i = 0; i < n; i++) {
                d[i] = -d[i];
            }
        }
        return d;
    }

    /**
     * The exact answer for a matrix whose entries off the diagonal are all 0: {@code σ = max |P_ii|},
     * v and u the unit vector of that i (its sign in u). Returns false for any other matrix.
     */
    private boolean diagonal(double[] p) {
        int best = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j && p[i * n + j] != 0) {
                    return false;
                }
            }
            if (Math.abs(p[i * n + i]) > Math.abs(p[best * n + best])) {
                best = i;
            }
        }
        double d = p[best * n + best];
        sigma = Math.abs(d);
        Arrays.fill(v, 0);
        if (d != 0) {
            v[best] = 1;
            Arrays.fill(u, 0);
            u[best] = Math.signum(d);
        }
        return true;
    }

    /**
     * {@code px = P x} and {@code out = Pᵀ(P x)} in one pass over P, four rows at a time: the rows'
     * products with x, then the rows scaled by them added into out while they are still in the L1
     * cache. P (512 KB at n = 256) no longer fits the L2 cache beside the basis, so one pass instead
     * of two halves what comes from L3. The sums are those of {@link #multiplyTransposed} after a
     * separate {@code P x}, in the same order.
     */
    private void multiplyBoth(double[] p, double[] x, double[] px, double[] out) {
        Arrays.fill(out, 0);
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int r0 = i * n;
            int r1 = r0 + n;
            int r2 = r1 + n;
            int r3 = r2 + n;
            for (int j = 0; j < n; j++) {
                double xj = x[j];
                s0 += p[r0 + j] * xj;
                s1 += p[r1 + j] * xj;
                s2 += p[r2 + j] * xj;
                s3 += p[r3 + j] * xj;
            }
            px[i] = s0;
            px[i + 1] = s1;
            px[i + 2] = s2;
            px[i + 3] = s3;
            addFourRows(p, i, s0, s1, s2, s3, out);
        }
        for (; i < n; i++) {
            double s = 0;
            int row = i * n;
            for (int j = 0; j < n; j++) {
                s += p[row + j] * x[j];
            }
            px[i] = s;
            addRow(p, i, s, out);
        }
    }

    /**
     * {@code out = Pᵀ x}, four rows per pass over out; each entry still adds the rows' products in
     * row order, so the sums are those of one row at a time.
     */
    private void multiplyTransposed(double[] p, double[] x, double[] out) {
        Arrays.fill(out, 0);
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            addFourRows(p, i, x[i], x[i + 1], x[i + 2], x[i + 3], out);
        }
        for (; i < n; i++) {
            addRow(p, i, x[i], out);
        }
    }

    /** {@code out += w0·P[i] + w1·P[i+1] + w2·P[i+2] + w3·P[i+3]}, each entry adding the rows in order. */
    private void addFourRows(double[] p, int i, double w0, double w1, double w2, double w3, double[] out) {
        int r0 = i * n;
        int r1 = r0 + n;
        int r2 = r1 + n;
        int r3 = r2 + n;
        for (int j = 0; j < n; j++) {
            out[j] = out[j] + p[r0 + j] * w0 + p[r1 + j] * w1 + p[r2 + j] * w2 + p[r3 + j] * w3;
        }
    }

    /** {@code out += w·P[i]}. */
    private void addRow(double[] p, int i, double w, double[] out) {
        int row = i * n;
        for (int j = 0; j < n; j++) {
            out[j] += p[row + j] * w;
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Scales {@code a} to unit norm; returns its norm before, leaving a zero vector as it is. */
    private static double normalize(double[] a) {
        double norm = Math.sqrt(dot(a, a));
        if (norm > 0) {
            for (int i = 0; i < a.length; i++) {
                a[i] /= norm;
            }
        }
        return norm;
    }
}
