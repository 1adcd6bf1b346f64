package io.unroll.init;

import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.Rng;
import java.util.Arrays;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * Fills of a weight, applied per gate block: a {@code [G·H, n]} recurrent weight is G matrices
 * {@code [H, n]} stacked, and orthogonal, identity and spectral-radius initialisation make sense
 * per block (each gate's own recurrence), as in the papers that introduced them. Values are drawn
 * block by block, row-major, from the given {@link Rng}.
 */
public final class Weights {
    private Weights() {}

    /** Every value {@code U(-bound, bound)}. */
    public static void uniform(Param p, double bound, Rng rng) {
        Check.nonNegative("uniform bound", bound);
        rng.fillUniform(p.data(), p.offset(), p.size(), -bound, bound);
    }

    /** Every value {@code N(0, sigma²)}, drawn like NumPy's {@code randn(rows, cols) * sigma}. */
    public static void gaussian(Param p, double sigma, Rng rng) {
        Check.nonNegative("sigma", sigma);
        rng.fillGaussian(p.data(), p.offset(), p.size(), sigma);
    }

    /** Sets every value to zero; a null parameter (an absent bias) is ignored. */
    public static void zero(Param p) {
        if (p != null) {
            Arrays.fill(p.data(), p.offset(), p.offset() + p.size(), 0f);
        }
    }

    /** Glorot &amp; Bengio (2010) uniform per block {@code [H, n]}: {@code U(±√(6 / (n + H)))}. */
    public static void xavierUniform(Param p, int blocks, Rng rng) {
        int rows = blockRows(p, blocks);
        double bound = Math.sqrt(6.0 / (p.columns() + rows));
        uniform(p, bound, rng);
    }

    /**
     * Each block {@code [H, n]} becomes {@code gain · Q} with orthonormal rows or columns: Q from the
     * QR decomposition of a Gaussian matrix, signs fixed by {@code diag(R)} so Q is uniformly
     * distributed (Mezzadri 2007), as PyTorch's {@code orthogonal_}.
     */
    public static void orthogonal(Param p, int blocks, double gain, Rng rng) {
        int rows = blockRows(p, blocks);
        int cols = p.columns();
        boolean tall = rows >= cols;
        int m = tall ? rows : cols;
        int n = tall ? cols : rows;
        float[] data = p.data();
        for (int blk = 0; blk < blocks; blk++) {
            DMatrixRMaj a = new DMatrixRMaj(m, n);
            for (int i = 0; i < m * n; i++) {
                a.data[i] = rng.nextGaussian();
            }
            QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m, n);
            if (!qr.decompose(a)) {
                throw new IllegalStateException("QR decomposition failed for a " + m + "x" + n + " Gaussian matrix");
            }
            DMatrixRMaj q = qr.getQ(null, true); // [m, n]
            DMatrixRMaj r = qr.getR(null, true); // [n, n]
            int base = p.offset() + blk * rows * cols;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double v = gain * q.get(i, j) * Math.signum(r.get(j, j) == 0 ? 1 : r.get(j, j));
                    int row = tall ? i : j;
                    int col = tall ? j : i;
                    data[base + row * cols + col] = (float) v;
                }
            }
        }
    }

    /** Each square block {@code [H, H]} becomes {@code I + N(0, noise²)} (IRNN). */
    public static void identity(Param p, int blocks, double noise, Rng rng) {
        int rows = blockRows(p, blocks);
        if (rows != p.columns()) {
            throw new IllegalArgumentException(p.name() + " blocks are " + rows + "x" + p.columns()
                    + ", expected square blocks for identity init (use it on weight_hh)");
        }
        gaussian(p, noise, rng);
        for (int blk = 0; blk < blocks; blk++) {
            int base = p.offset() + blk * rows * rows;
            for (int i = 0; i < rows; i++) {
                p.data()[base + i * rows + i] += 1f;
            }
        }
    }

    /** The largest |eigenvalue| of each square block of {@code p}. */
    public static double[] spectralRadius(Param p, int blocks) {
        int rows = blockRows(p, blocks);
        if (rows != p.columns()) {
            throw new IllegalArgumentException(p.name() + " blocks are " + rows + "x" + p.columns()
                    + ", expected square blocks for a spectral radius");
        }
        double[] radius = new double[blocks];
        for (int blk = 0; blk < blocks; blk++) {
            DMatrixRMaj a = block(p, blk, rows);
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(rows, false);
            if (!eig.decompose(a)) {
                throw new IllegalStateException("eigen decomposition failed for " + p.name() + " block " + blk);
            }
            double max = 0;
            for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
                Complex_F64 ev = eig.getEigenvalue(i);
                max = Math.max(max, ev.getMagnitude());
            }
            radius[blk] = max;
        }
        return radius;
    }

    /** Scales each square block so that its spectral radius is {@code radius}. */
    public static void scaleToSpectralRadius(Param p, int blocks, double radius) {
        Check.positive("spectral radius", radius);
        double[] current = spectralRadius(p, blocks);
        int rows = blockRows(p, blocks);
        for (int blk = 0; blk < blocks; blk++) {
            if (current[blk] == 0) {
                throw new IllegalArgumentException(p.name() + " block " + blk + " has spectral radius 0 and cannot be scaled to "
                        + radius + "; initialise it with non-zero values first");
            }
            float s = (float) (radius / current[blk]);
            int base = p.offset() + blk * rows * rows;
            for (int i = 0; i < rows * rows; i++) {
                p.data()[base + i] *= s;
            }
        }
    }

    private static int blockRows(Param p, int blocks) {
        Check.positive("gate blocks", blocks);
        if (p.rows() % blocks != 0) {
            throw new IllegalArgumentException(p.name() + " has " + p.rows() + " rows, expected a multiple of " + blocks + " gate blocks");
        }
        return p.rows() / blocks;
    }

    private static DMatrixRMaj block(Param p, int blk, int rows) {
        DMatrixRMaj a = new DMatrixRMaj(rows, rows);
        int base = p.offset() + blk * rows * rows;
        for (int i = 0; i < rows * rows; i++) {
            a.data[i] = p.data()[base + i];
        }
        return a;
    }
}
