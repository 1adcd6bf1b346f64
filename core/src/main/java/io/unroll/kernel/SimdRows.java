package io.unroll.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD passes over rows and vectors: biases added to rows, their gradients summed down the
 * columns, norms, finite checks, scaling, sums and the row softmax of the loss. Sums whose result
 * must not depend on the JIT are folded lane by lane in scalar code in a fixed order, never with
 * {@code reduceLanes} (its order is unspecified and differs between the interpreter and compiled
 * code).
 */
final class SimdRows {
    private SimdRows() {}

    private static final VectorSpecies<Float> F = SimdKernels.F;
    private static final int L = SimdKernels.L;
    /** Per thread, one vector's lanes, for folds done in scalar code in a fixed order. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    /** {@code C[i, j] += bias[j]} for every row {@code i < m}; C must not overlap bias. */
    static void addRowVector(float[] c, int cOff, float[] bias, int biasOff, int m, int n) {
        int nv = F.loopBound(n);
        for (int i = 0; i < m; i++) {
            int row = cOff + i * n;
            int j = 0;
            for (; j < nv; j += L) {
                FloatVector.fromArray(F, c, row + j).add(FloatVector.fromArray(F, bias, biasOff + j))
                        .intoArray(c, row + j);
            }
            for (; j < n; j++) {
                c[row + j] += bias[biasOff + j];
            }
        }
    }

    /**
     * {@code dst[j] += Σ_i A[i, j]}, adding the rows in order as the scalar twin does, so the
     * result is bit-identical to it; dst must not overlap A. Row by row through dst rather than
     * with accumulators carried down the columns, which JDK 17 would box.
     */
    static void addColumnSums(float[] dst, int dstOff, float[] a, int aOff, int m, int n) {
        int nv = F.loopBound(n);
        for (int i = 0; i < m; i++) {
            int row = aOff + i * n;
            int j = 0;
            for (; j < nv; j += L) {
                FloatVector.fromArray(F, dst, dstOff + j).add(FloatVector.fromArray(F, a, row + j))
                        .intoArray(dst, dstOff + j);
            }
            for (; j < n; j++) {
                dst[dstOff + j] += a[row + j];
            }
        }
    }

    /**
     * {@code Σ x²} in double, with four scalar accumulators in a fixed order. Not vectorised: the
     * float-to-double lane conversion it needs is not compiled to vector code on JDK 17, which
     * then boxes every vector (docs/engine.md#jdk-17-and-the-vector-api); the norm is one pass
     * over the parameters.
     */
    static double sumOfSquares(float[] x, int off, int len) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            double a = x[off + i], b = x[off + i + 1], c = x[off + i + 2], d = x[off + i + 3];
            s0 += a * a;
            s1 += b * b;
            s2 += c * c;
            s3 += d * d;
        }
        for (; i < len; i++) {
            double v = x[off + i];
            s0 += v * v;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Whether every {@code x[i]} is finite: {@code Σ x·0} is 0 for finite values and NaN otherwise. */
    static boolean allFinite(float[] x, int off, int len) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector acc = zero;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            acc = FloatVector.fromArray(F, x, off + i).fma(zero, acc);
        }
        float[] lanes = LANES.get();
        acc.intoArray(lanes, 0);
        boolean finite = true;
        for (int q = 0; q < L; q++) {
            finite &= lanes[q] == 0f;
        }
        for (; i < len; i++) {
            finite &= Float.isFinite(x[off + i]);
        }
        return finite;
    }

    /** {@code x[i] *= s}. */
    static void scale(float[] x, int off, int len, float s) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < len; i++) {
            x[off + i] *= s;
        }
    }

    /** {@code y[i] += x[i]}; y and x must be the same range or not overlap. */
    static void add(float[] y, int yOff, float[] x, int xOff, int len) {
        sum(y, yOff, y, yOff, x, xOff, len);
    }

    /** {@code dst[i] = a[i] + b[i]}; dst must be the same range as a or b or overlap neither. */
    static void sum(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /**
     * Row-wise softmax of {@code src [rows, cols]} into {@code dst}, and
     * {@code logSumExp[r] = log Σ_j e^{src[r,j]}}: {@code e^{x - max}} with sigmoid's exp, summed
     * in float lanes, the lanes and the scalar tail then in double in a fixed order, and one
     * scaling by the inverse of the sum.
     */
    static void softmaxRows(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp) {
        softmaxRows(dst, dOff, src, sOff, rows, cols, logSumExp, 0);
    }

    /** {@link #softmaxRows} writing row r's log-sum-exp to {@code logSumExp[lseOff + r]}. */
    static void softmaxRows(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp, int lseOff) {
        FloatVector ln2Hi = FloatVector.broadcast(F, SimdActivations.NEG_LN2_HI);
        FloatVector ln2Lo = FloatVector.broadcast(F, SimdActivations.NEG_LN2_LO);
        FloatVector c4 = FloatVector.broadcast(F, SimdActivations.EXP_C4);
        FloatVector c3 = FloatVector.broadcast(F, SimdActivations.EXP_C3);
        FloatVector c2 = FloatVector.broadcast(F, SimdActivations.EXP_C2);
        FloatVector c1 = FloatVector.broadcast(F, SimdActivations.EXP_C1);
        int bound = F.loopBound(cols);
        float[] lanes = LANES.get();
        for (int r = 0; r < rows; r++) {
            int in = sOff + r * cols, out = dOff + r * cols;
            // max: lane-wise over the vectors, then over the lanes and the tail (order-free)
            FloatVector laneMax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j < bound; j += L) {
                laneMax = laneMax.max(FloatVector.fromArray(F, src, in + j));
            }
            laneMax.intoArray(lanes, 0);
            float max = Float.NEGATIVE_INFINITY;
            for (int q = 0; q < L; q++) {
                max = Math.max(max, lanes[q]);
            }
            for (; j < cols; j++) {
                max = Math.max(max, src[in + j]);
            }
            // e^{x - max} into dst, summed lane-wise; the lanes then the tail in double, in order
            FloatVector laneSum = FloatVector.zero(F);
            j = 0;
            for (; j < bound; j += L) {
                FloatVector y = FloatVector.fromArray(F, src, in + j).sub(max).max(SimdActivations.EXP_LO);
                FloatVector t = y.fma(SimdActivations.LOG2E, SimdActivations.ROUNDER);
                FloatVector n = t.sub(SimdActivations.ROUNDER);
                FloatVector e = n.fma(ln2Hi, y);
                e = n.fma(ln2Lo, e);
                FloatVector p = e.fma(SimdActivations.EXP_C6, SimdActivations.EXP_C5);
                p = p.fma(e, c4);
                p = p.fma(e, c3);
                p = p.fma(e, c2);
                p = p.fma(e, c1);
                p = p.fma(e.mul(e), e).add(1f);
                FloatVector ex = p.mul(t.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                ex.intoArray(dst, out + j);
                laneSum = laneSum.add(ex);
            }
            laneSum.intoArray(lanes, 0);
            double sum = 0;
            for (int q = 0; q < L; q++) {
                sum += lanes[q];
            }
            for (; j < cols; j++) {
                float ex = SimdActivations.exp(src[in + j] - max);
                dst[out + j] = ex;
                sum += ex;
            }
            scale(dst, out, cols, (float) (1 / sum));
            logSumExp[lseOff + r] = max + Math.log(sum);
        }
    }
}
