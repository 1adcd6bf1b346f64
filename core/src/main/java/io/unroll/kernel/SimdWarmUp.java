package io.unroll.kernel;

/**
 * The warm-up every JVM runs once, from {@link Kernels}' static initialiser when the SIMD kernels
 * are chosen, before any real product: each GEMM micro-kernel this machine uses, the row softmax and the sum,
 * {@link #ROUNDS} times on small blocks (about 0.2 s).
 *
 * <p>Why: when the first product of a JVM is a long one (a layer's input projection), JDK 17's C2
 * first compiles the 6 x 4 micro-kernel on stack replacement in the middle of that call, and in
 * about one JVM in three the regular compilation that follows calls the Vector API's Java
 * fallback for {@code fma}: every FMA then allocates and the JVM trains four times slower for the
 * rest of its life. Many short calls first get the kernels compiled from their invocations
 * instead. The row softmax of the loss, whose first real call covers all B·T rows, fell into the
 * same trap on its own; it is warmed up here too, and so is the sum of the gradient reaching a
 * step's h, whose first real call is long as well. The measurements are in
 * docs/engine.md#jdk-17-and-the-vector-api; {@code FreshJvmAllocationTest} guards it.
 */
final class SimdWarmUp {
    private SimdWarmUp() {}

    /** Rounds of {@link #run}: each runs every GEMM micro-kernel, the row softmax and the sum once on a small block. */
    private static final int ROUNDS = 300;

    /** Runs the warm-up; blocks of at most 11 x {@code WIDE_ROW_COLUMNS} with k = 16. */
    static void run() {
        int k = 16;
        int rows = 11; // one 6-row tile, one 4-row tile and a single row
        int n = SimdGemm.WIDE_ROW_COLUMNS; // a lone row's tile, two 4-vector tiles
        int thinRows = 5 * SimdKernels.L; // columns fewer than lanes, A transposed: 4 vectors of rows, then 1
        int thin = SimdKernels.L - 1;
        float[] a = new float[Math.max(rows, thinRows) * k];
        float[] b = new float[k * n];
        float[] c = new float[Math.max(rows * n, thinRows * thin)];
        double[] logSumExp = new double[2];
        for (int round = 0; round < ROUNDS; round++) {
            boolean accumulate = (round & 1) == 1;
            SimdGemm.gemmBroadcast(c, 0, n, a, 0, k, 1, b, 0, n, rows, n, k, accumulate); // A as stored
            SimdGemm.gemmBroadcast(c, 0, n, a, 0, 1, rows, b, 0, n, rows, n, k, accumulate); // A transposed
            SimdGemm.gemmBroadcast(c, 0, n, a, 0, k, 1, b, 0, n, 1, n, k, accumulate); // a lone row
            SimdGemm.gemmBroadcast(c, 0, thin, a, 0, 1, thinRows, b, 0, thin, thinRows, thin, k, accumulate); // dGatesᵀX, few inputs
            SimdRows.softmaxRows(c, 0, b, 0, 2, n / 2, logSumExp, 0); // the loss softmax: its first real call is long (B·T rows)
            SimdRows.sum(c, 0, a, 0, b, 0, n); // the gradient reaching h_t: its first real call covers B·H/2 values
        }
    }
}
