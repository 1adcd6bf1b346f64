package io.unroll.kernel;

/**
 * The kernel facade: every float32 hot loop of the library goes through here.
 *
 * <p>Shapes use the letters of the DESIGN: a GEMM computes {@code C[m,n]} from {@code A} and
 * {@code B} with inner dimension {@code k}; gate kernels work on {@code batch} rows of
 * {@code hidden} units. See {@link ScalarKernels} for the exact arithmetic of each method.
 */
public final class Kernels {
    private Kernels() {}

    /** {@code C[m,n] = A[m,k] · B[n,k]ᵀ}. */
    public static void gemmNT(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        ScalarKernels.gemmNT(c, cOff, a, aOff, b, bOff, m, n, k);
    }

    /** {@code C[m,n] += A[m,k] · B[n,k]ᵀ}. */
    public static void gemmNTAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        ScalarKernels.gemmNTAdd(c, cOff, a, aOff, b, bOff, m, n, k);
    }

    /** {@code C[m,n] = A[m,k] · B[k,n]}. */
    public static void gemmNN(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        ScalarKernels.gemmNN(c, cOff, a, aOff, b, bOff, m, n, k);
    }

    /** {@code C[m,n] += A[m,k] · B[k,n]}. */
    public static void gemmNNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        ScalarKernels.gemmNNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
    }

    /** {@code C[m,n] += A[k,m]ᵀ · B[k,n]}. */
    public static void gemmTNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        ScalarKernels.gemmTNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
    }

    /** {@code C[i, j] += bias[j]} for every row. */
    public static void addRowVector(float[] c, int cOff, float[] bias, int biasOff, int m, int n) {
        ScalarKernels.addRowVector(c, cOff, bias, biasOff, m, n);
    }

    /** {@code dst[j] += Σ_i A[i, j]}. */
    public static void addColumnSums(float[] dst, int dstOff, float[] a, int aOff, int m, int n) {
        ScalarKernels.addColumnSums(dst, dstOff, a, aOff, m, n);
    }

    /** {@code Σ x²} in double. */
    public static double sumOfSquares(float[] x, int off, int len) {
        return ScalarKernels.sumOfSquares(x, off, len);
    }

    /** {@code x *= s}. */
    public static void scale(float[] x, int off, int len, float s) {
        ScalarKernels.scale(x, off, len, s);
    }

    /** {@code y += x}. */
    public static void add(float[] y, int yOff, float[] x, int xOff, int len) {
        ScalarKernels.add(y, yOff, x, xOff, len);
    }

    /** Vanilla RNN activation in place (tanh or relu). */
    public static void rnnActivate(float[] pre, int off, int len, boolean relu) {
        ScalarKernels.rnnActivate(pre, off, len, relu);
    }

    /** Vanilla RNN activation backward from the output h. */
    public static void rnnActivateBackward(float[] dPre, int dPreOff, float[] h, int hOff,
                                           float[] dh, int dhOff, int len, boolean relu) {
        ScalarKernels.rnnActivateBackward(dPre, dPreOff, h, hOff, dh, dhOff, len, relu);
    }

    /** LSTM pointwise forward; see {@link ScalarKernels#lstmForward}. */
    public static void lstmForward(float[] gates, int gOff, float[] cPrev, int cPrevOff,
                                   float[] c, int cOff, float[] h, int hOff, int batch, int hidden) {
        ScalarKernels.lstmForward(gates, gOff, cPrev, cPrevOff, c, cOff, h, hOff, batch, hidden);
    }

    /** LSTM pointwise backward; see {@link ScalarKernels#lstmBackward}. */
    public static void lstmBackward(float[] dGates, int dgOff, float[] gates, int gOff,
                                    float[] cPrev, int cPrevOff, float[] c, int cOff,
                                    float[] dh, int dhOff, float[] dc, int dcOff, int batch, int hidden) {
        ScalarKernels.lstmBackward(dGates, dgOff, gates, gOff, cPrev, cPrevOff, c, cOff, dh, dhOff, dc, dcOff, batch, hidden);
    }

    /** GRU pointwise forward; see {@link ScalarKernels#gruForward}. */
    public static void gruForward(float[] gates, int gOff, float[] hProj, int hpOff, float[] hnCache, int hnOff,
                                  float[] hPrev, int hPrevOff, float[] h, int hOff, int batch, int hidden) {
        ScalarKernels.gruForward(gates, gOff, hProj, hpOff, hnCache, hnOff, hPrev, hPrevOff, h, hOff, batch, hidden);
    }

    /** GRU pointwise backward; see {@link ScalarKernels#gruBackward}. */
    public static void gruBackward(float[] dPreIh, int dIhOff, float[] dPreHh, int dHhOff,
                                   float[] gates, int gOff, float[] hnCache, int hnOff,
                                   float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                                   float[] dhPrev, int dhPrevOff, int batch, int hidden) {
        ScalarKernels.gruBackward(dPreIh, dIhOff, dPreHh, dHhOff, gates, gOff, hnCache, hnOff,
                hPrev, hPrevOff, dh, dhOff, dhPrev, dhPrevOff, batch, hidden);
    }
}
