package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import io.unroll.train.Init;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Lanczos method behind {@link JacobianNorms#spectral()} against EJML's full SVD: on every
 * product {@code P_k} of real trajectories, every σ within 10⁻⁶ relative of the largest singular
 * value (what "converged" promises, 5·10⁻⁷, with room for the SVD's own rounding), and the
 * direction at k = 0 along the top right singular vector; and on made-up matrices that test its
 * warm start: a chain of random matrices, a nearly repeated top singular value, diagonal matrices
 * whose largest entry moves, rank one, zero.
 */
class TopSingularValueTest {
    private static final double REL = 1e-6;

    @ParameterizedTest
    @EnumSource(CellType.class)
    void everyProductOfATrajectoryMatchesAFullSvd(CellType type) {
        int hidden = 6;
        int steps = 40;
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(type, 3, hidden, 1));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(3));
        float[] x = new float[steps * 3];
        Rng.seeded(4).fillGaussian(x, 0, x.length, 1.0);
        double[][] tops = new double[steps][];
        JacobianNorms j = StateJacobians.measure(rnn, x, null, 0, 0, (k, p, n) -> tops[k] = top(p, n));
        assertTrue(j.allConverged(), type.id());
        for (int k = 0; k < steps; k++) {
            double expected = tops[k][0];
            assertTrue(Math.abs(j.spectral()[k] - expected) <= REL * expected,
                    type.id() + " k=" + k + ": Lanczos " + j.spectral()[k] + ", SVD " + expected);
        }
        if (tops[0][0] > 1.05 * tops[0][1]) {
            double cos = 0;
            for (int i = 0; i < j.stateSize(); i++) {
                cos += tops[0][2 + i] * j.direction()[i];
            }
            assertTrue(1 - Math.abs(cos) <= 1e-9, type.id() + ": 1 - |cos| = " + (1 - Math.abs(cos)));
        }
    }

    /** Cutting the sequence into segments (each rerun from the state a batch-1 pass reached) gives the same norms. */
    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_TANH", "LSTM", "GRU"})
    void segmentsGiveTheSameNorms(CellType type) {
        int steps = 23;
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(type, 2, 5, 2));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(8));
        float[] x = new float[steps * 2];
        Rng.seeded(9).fillGaussian(x, 0, x.length, 1.0);
        State h0 = rnn.zeroState(1);
        Rng.seeded(10).fillGaussian(h0.h(), 0, h0.h().length, 0.5);
        JacobianNorms whole = StateJacobians.measure(rnn, x, h0, 1, 0, null);
        for (int segment : new int[] {1, 4, 7}) {
            JacobianNorms cut = StateJacobians.measure(rnn, x, h0, 1, segment, null);
            for (int k = 0; k < steps; k++) {
                assertEquals(whole.spectral()[k], cut.spectral()[k], 1e-6 * whole.spectral()[k], type.id() + " segment " + segment + " k=" + k);
                assertEquals(whole.frobenius()[k], cut.frobenius()[k], 1e-6 * whole.frobenius()[k], type.id() + " segment " + segment + " k=" + k);
            }
        }
    }

    @Test
    void aChainOfRandomMatricesMatchesTheSvd() {
        Random rnd = new Random(5);
        int n = 40;
        TopSingularValue power = new TopSingularValue(n);
        double[] p = new double[n * n];
        for (int m = 0; m < 30; m++) {
            // each matrix a small change of the last, as successive Jacobian products are, and sometimes a fresh one
            for (int i = 0; i < p.length; i++) {
                p[i] = m % 10 == 0 ? rnd.nextGaussian() : p[i] + 0.1 * rnd.nextGaussian();
            }
            power.run(p);
            double[] top = top(p, n);
            assertTrue(power.converged());
            assertTrue(Math.abs(power.sigma() - top[0]) <= REL * top[0], "matrix " + m + ": " + power.sigma() + " vs " + top[0]);
        }
    }

    @Test
    void aNearlyRepeatedTopValueStillGivesItsSize() {
        int n = 12;
        double[] p = diagonalTimesRotation(n, new double[] {3, 3 * (1 - 1e-9), 1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.01});
        TopSingularValue power = new TopSingularValue(n);
        power.run(p);
        assertTrue(power.converged());
        assertEquals(3, power.sigma(), 3 * REL);
    }

    /**
     * The hard case of an orthogonal {@code W_hh}: {@code P = D W} with W orthogonal has the
     * singular values |d_i|, here 64 of them within 6.4·10⁻⁶ of each other. Power iteration did not
     * meet the bound within 2,000 steps on such a product; Lanczos with its whole basis must, within
     * n steps.
     */
    @Test
    void aDenseClusterOfTopValuesConvergesWithinNSteps() {
        int n = 64;
        double[] p = cluster(n, 1e-7);
        TopSingularValue top = new TopSingularValue(n);
        top.run(p);
        assertTrue(top.converged(), "after " + top.iterations() + " steps");
        assertTrue(top.iterations() <= n, "a Krylov space of dimension n holds the answer: " + top.iterations());
        assertEquals(1, top.sigma(), REL);
        double[] svd = top(p, n);
        assertTrue(Math.abs(top.sigma() - svd[0]) <= REL * svd[0], top.sigma() + " vs " + svd[0]);
    }

    /**
     * A state wider than the basis (the LSTM's 512 at H = 256 with a basis of 256), here 64 top
     * values 10⁻⁵ apart with a basis of 8: the basis fills, the method starts again from its best v,
     * and still meets the bound; and with too few steps allowed it says it did not.
     */
    @Test
    void aClusterWiderThanTheBasisConvergesAcrossRestartsOrSaysItDidNot() {
        int n = 64;
        double[] p = cluster(n, 1e-5);
        double[] svd = top(p, n);
        TopSingularValue restarting = new TopSingularValue(n, 8, TopSingularValue.MAX_ITERATIONS);
        restarting.run(p);
        assertTrue(restarting.converged(), "after " + restarting.iterations() + " steps");
        assertTrue(restarting.iterations() > 8, "the basis was full at least once: " + restarting.iterations());
        assertTrue(Math.abs(restarting.sigma() - svd[0]) <= REL * svd[0], restarting.sigma() + " vs " + svd[0]);

        TopSingularValue cut = new TopSingularValue(n, 2, 3);
        cut.run(p);
        assertEquals(3, cut.iterations());
        assertTrue(!cut.converged(), "3 steps of a basis of 2 do not resolve 64 values 1e-5 apart");
    }

    /** Diagonal products (the IndRNN's) are exact, also when the largest entry moves to another unit. */
    @Test
    void diagonalMatricesAreExactWhereverTheirLargestEntryIs() {
        int n = 5;
        TopSingularValue power = new TopSingularValue(n);
        double[] p = new double[n * n];
        double[][] diagonals = {{0.5, -2, 1, 0, 0.1}, {0.5, -1.9, 1.95, 0, 0.1}, {0, 0, 0, 0, 0}, {1e-30, 0, 0, 0, -3e-30}};
        double[] expected = {2, 1.95, 0, 3e-30};
        double[][] directions = {{0, 1, 0, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 1}};
        for (int m = 0; m < diagonals.length; m++) {
            for (int i = 0; i < n; i++) {
                p[i * n + i] = diagonals[m][i];
            }
            power.run(p);
            assertEquals(expected[m], power.sigma(), 0.0);
            assertEquals(0, power.iterations());
            assertArrayEquals(directions[m], power.direction(), 0.0);
        }
    }

    @Test
    void rankOneConvergesAtOnce() {
        int n = 7;
        double[] a = {1, -2, 0.5, 3, 0, 1, -1};
        double[] b = {0.2, 0.1, -0.3, 0.4, 0.5, -0.6, 0.7};
        double[] p = new double[n * n];
        double na = 0;
        double nb = 0;
        for (int i = 0; i < n; i++) {
            na += a[i] * a[i];
            nb += b[i] * b[i];
            for (int j = 0; j < n; j++) {
                p[i * n + j] = a[i] * b[j];
            }
        }
        TopSingularValue power = new TopSingularValue(n);
        power.run(p);
        assertTrue(power.converged());
        assertEquals(1, power.iterations());
        assertEquals(Math.sqrt(na * nb), power.sigma(), 1e-12);
        double[] d = power.direction();
        for (int j = 0; j < n; j++) {
            assertEquals(b[j] / Math.sqrt(nb), d[j], 1e-12); // the largest entry of b, 0.7, is positive
        }
    }

    /** {σ1, σ2, v1...}: the two largest singular values of {@code p [n, n]} and the top right singular vector. */
    static double[] top(double[] p, int n) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, n, false, true, false);
        assertTrue(svd.decompose(new DMatrixRMaj(n, n, true, p)));
        double[] sv = svd.getSingularValues();
        int best = 0;
        for (int i = 1; i < sv.length; i++) {
            if (sv[i] > sv[best]) {
                best = i;
            }
        }
        double second = 0;
        for (int i = 0; i < sv.length; i++) {
            if (i != best) {
                second = Math.max(second, sv[i]);
            }
        }
        DMatrixRMaj v = svd.getV(null, false);
        double[] out = new double[2 + n];
        out[0] = sv[best];
        out[1] = second;
        for (int i = 0; i < n; i++) {
            out[2 + i] = v.get(i, best);
        }
        return out;
    }

    /** {@code diag(d) Q} with Q a fixed rotation mixing every coordinate: singular values d, nothing diagonal. */
    /** {@code diag(1, 1 − spacing, 1 − 2·spacing, …) W} with W orthogonal: n top singular values {@code spacing} apart. */
    private static double[] cluster(int n, double spacing) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = 1 - spacing * i;
        }
        return diagonalTimesRotation(n, d);
    }

    private static double[] diagonalTimesRotation(int n, double[] d) {
        DMatrixRMaj g = new DMatrixRMaj(n, n);
        Random rnd = new Random(2);
        for (int i = 0; i < n * n; i++) {
            g.data[i] = rnd.nextGaussian();
        }
        var qr = DecompositionFactory_DDRM.qr(n, n);
        assertTrue(qr.decompose(g));
        DMatrixRMaj q = qr.getQ(null, false);
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                p[i * n + j] = d[i] * q.get(i, j);
            }
        }
        return p;
    }
}
