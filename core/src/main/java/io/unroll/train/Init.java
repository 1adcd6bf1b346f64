package io.unroll.train;

import io.unroll.cell.Cell;
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

    /** σ of {@link InitScheme#GAUSSIAN} unless one is given. */
    public static final double GAUSSIAN_SIGMA = 0.01;
    /** σ of the noise added to the identity by {@link InitScheme#IDENTITY} unless one is given (IRNN). */
    public static final double IDENTITY_NOISE = 0.001;
    /** σ of {@code W_ih} under {@link InitScheme#IDENTITY}: small, so the recurrence dominates at the start. */
    private static final double IDENTITY_INPUT_SIGMA = 0.001;

    /**
     * Applies a named scheme to every layer of {@code rnn}, with the scheme's default σ where it
     * takes one ({@link #GAUSSIAN_SIGMA}, {@link #IDENTITY_NOISE}). Values are drawn layer by
     * layer: {@code W_ih}, then {@code W_hh} (as its cell initialises it), then the biases.
     */
    public static void apply(Recurrent rnn, InitScheme scheme, Rng rng) {
        run(rnn, scheme, scheme == InitScheme.IDENTITY ? IDENTITY_NOISE : GAUSSIAN_SIGMA, rng);
    }

    /**
     * {@link #apply(Recurrent, InitScheme, Rng)} with a chosen σ: the weights' σ for
     * {@link InitScheme#GAUSSIAN}, the noise's σ for {@link InitScheme#IDENTITY}; the other
     * schemes take none.
     */
    public static void apply(Recurrent rnn, InitScheme scheme, double sigma, Rng rng) {
        if (scheme != InitScheme.GAUSSIAN && scheme != InitScheme.IDENTITY) {
            throw new IllegalArgumentException("the " + scheme.id() + " initialisation takes no sigma (only gaussian and "
                    + "identity do); call apply(rnn, scheme, rng)");
        }
        Check.nonNegative("sigma", sigma);
        run(rnn, scheme, sigma, rng);
    }

    private static void run(Recurrent rnn, InitScheme scheme, double sigma, Rng rng) {
        int g = rnn.config().cell().gates();
        double bound = 1 / Math.sqrt(rnn.config().hiddenSize());
        for (int k = 0; k < rnn.config().layers(); k++) {
            Cell cell = rnn.cell(k);
            Param wIh = cell.weightIh();
            switch (scheme) {
                case PYTORCH:
                    uniform(wIh, bound, rng);
                    break;
                case GAUSSIAN:
                    gaussian(wIh, sigma, rng);
                    break;
                case XAVIER:
                case ORTHOGONAL:
                    xavierUniform(wIh, g, rng);
                    break;
                case IDENTITY:
                    gaussian(wIh, IDENTITY_INPUT_SIGMA, rng);
                    break;
                default:
                    throw new AssertionError(scheme);
            }
            cell.initRecurrentWeight(scheme, sigma, rng);
            if (scheme == InitScheme.PYTORCH) {
                uniformOrZero(cell.biasIh(), bound, rng);
                uniformOrZero(cell.biasHh(), bound, rng);
            } else {
                zero(cell.biasIh());
                zero(cell.biasHh());
            }
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
        int block = rnn.cell(0).forgetGateBlock();
        if (block < 0) {
            throw new IllegalArgumentException("a forget-gate bias needs a cell with a forget gate (an LSTM), not " + rnn.config().cell().id());
        }
        int h = rnn.config().hiddenSize();
        int from = block * h;
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
