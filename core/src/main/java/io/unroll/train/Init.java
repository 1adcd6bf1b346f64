package io.unroll.train;

import io.unroll.cell.CellType;
import io.unroll.cell.LstmGate;
import io.unroll.layer.Recurrent;
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
 * Initialisers for weights, applied per gate block: a {@code [G·H, n]} recurrent weight is G
 * matrices {@code [H, n]} stacked, and orthogonal, identity and spectral-radius initialisation make
 * sense per block (each gate's own recurrence), as in the papers that introduced them.
 * Values are drawn block by block, row-major, from the given {@link Rng}.
 */
public final class Init {
    private Init() {}

    /** Applies a named scheme to every layer of {@code rnn}; {@code sigma} is the scheme's σ or NaN for its default. */
    public static void apply(Recurrent rnn, InitScheme scheme, double sigma, Rng rng) {
        int layers = rnn.config().layers();
        int g = rnn.config().cell().gates();
        for (int k = 0; k < layers; k++) {
            Param wIh = rnn.weightIh(k);
            Param wHh = rnn.weightHh(k);
            switch (scheme) {
                case PYTORCH: {
                    double bound = 1 / Math.sqrt(rnn.config().hiddenSize());
                    uniform(wIh, bound, rng);
                    uniform(wHh, bound, rng);
                    uniformOrZero(rnn.biasIh(k), bound, rng);
                    uniformOrZero(rnn.biasHh(k), bound, rng);
                    continue;
                }
                case GAUSSIAN: {
                    double s = Double.isNaN(sigma) ? 0.01 : sigma;
                    gaussian(wIh, s, rng);
                    gaussian(wHh, s, rng);
                    break;
                }
                case XAVIER:
                    xavierUniform(wIh, g, rng);
                    xavierUniform(wHh, g, rng);
                    break;
                case ORTHOGONAL:
                    xavierUniform(wIh, g, rng);
                    orthogonal(wHh, g, 1.0, rng);
                    break;
                case IDENTITY:
                    gaussian(wIh, 0.001, rng);
                    identity(wHh, g, Double.isNaN(sigma) ? 0.001 : sigma, rng);
                    break;
                default:
                    throw new AssertionError(scheme);
            }
            zero(rnn.biasIh(k));
            zero(rnn.biasHh(k));
        }
    }

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

    private static void uniformOrZero(Param p, double bound, Rng rng) {
        if (p != null) {
            uniform(p, bound, rng);
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

    /**
     * Sets the LSTM forget-gate bias so that the effective bias {@code b_if + b_hf} equals {@code value}
     * (1.0 is the common choice, Jozefowicz et al. 2015): {@code b_ih}'s f block takes the value and
     * {@code b_hh}'s f block is zeroed.
     */
    public static void forgetGateBias(Recurrent rnn, double value) {
        if (rnn.config().cell() != CellType.LSTM) {
            throw new IllegalArgumentException("forget-gate bias applies to an LSTM, not " + rnn.config().cell().id());
        }
        int h = rnn.config().hiddenSize();
        int from = LstmGate.F.offset(h);
        for (int k = 0; k < rnn.config().layers(); k++) {
            Param bIh = rnn.biasIh(k);
            Param bHh = rnn.biasHh(k);
            if (bIh == null) {
                throw new IllegalArgumentException("the LSTM has no bias_ih, so no forget-gate bias can be set");
            }
            Arrays.fill(bIh.data(), bIh.offset() + from, bIh.offset() + from + h, (float) value);
            if (bHh != null) {
                Arrays.fill(bHh.data(), bHh.offset() + from, bHh.offset() + from + h, 0f);
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
