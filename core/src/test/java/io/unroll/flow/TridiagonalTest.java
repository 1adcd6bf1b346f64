package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

/**
 * The top eigenpair of a symmetric tridiagonal matrix against EJML's dense symmetric
 * eigendecomposition: random ones of every size up to 60, ones that split into blocks (a zero
 * off-diagonal entry), a repeated top eigenvalue, and negative definite ones.
 */
class TridiagonalTest {
    @Test
    void randomMatricesOfEverySizeMatchADenseEigendecomposition() {
        Random rnd = new Random(11);
        Tridiagonal tridiagonal = new Tridiagonal(60);
        for (int m = 1; m <= 60; m++) {
            double[] a = new double[m];
            double[] b = new double[m];
            for (int i = 0; i < m; i++) {
                a[i] = rnd.nextGaussian() * 3;
                b[i] = rnd.nextGaussian();
            }
            if (m > 6) {
                b[m / 2] = 0; // two independent blocks
            }
            check(tridiagonal, a, b, m);
        }
    }

    @Test
    void repeatedAndNegativeSpectraToo() {
        Tridiagonal tridiagonal = new Tridiagonal(8);
        // diag(2, 2, 1, 0) with no coupling: the top eigenvalue 2 twice
        check(tridiagonal, new double[] {2, 2, 1, 0}, new double[] {0, 0, 0, 0}, 4);
        // all eigenvalues negative, spread over eight decades
        check(tridiagonal, new double[] {-1e-4, -1e-2, -1, -100, -1e4}, new double[] {1e-5, 1e-3, 0.1, 10, 0}, 5);
        // the Lanczos matrix of a nearly converged run: a tiny last coupling
        check(tridiagonal, new double[] {4, 3.9, 3.8}, new double[] {1e-9, 1e-12, 0}, 3);
    }

    /** θ within 1e-12 of the largest eigenvalue (relative to the norm), and y a unit eigenvector to 1e-9. */
    private static void check(Tridiagonal tridiagonal, double[] a, double[] b, int m) {
        double[] y = new double[m];
        double theta = tridiagonal.top(a, b, m, y);
        DMatrixRMaj t = new DMatrixRMaj(m, m);
        double norm = 0;
        for (int i = 0; i < m; i++) {
            t.set(i, i, a[i]);
            if (i + 1 < m) {
                t.set(i, i + 1, b[i]);
                t.set(i + 1, i, b[i]);
            }
            norm = Math.max(norm, Math.abs(a[i]) + 2 * Math.abs(b[i]));
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(m, false, true);
        assertTrue(eig.decompose(t.copy()));
        double largest = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < m; i++) {
            largest = Math.max(largest, eig.getEigenvalue(i).getReal());
        }
        assertEquals(largest, theta, 1e-12 * norm, "m = " + m);
        double unit = 0;
        for (int i = 0; i < m; i++) {
            double ty = a[i] * y[i] + (i > 0 ? b[i - 1] * y[i - 1] : 0) + (i + 1 < m ? b[i] * y[i + 1] : 0);
            assertEquals(theta * y[i], ty, 1e-9 * norm, "m = " + m + ", row " + i + " of T y = θ y");
            unit += y[i] * y[i];
        }
        assertEquals(1, unit, 1e-12);
    }
}
