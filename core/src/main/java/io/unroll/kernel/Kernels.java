package io.unroll.kernel;

/**
 * The kernel facade: every float32 hot loop of the library goes through here.
 *
 * <p>Shapes: a GEMM computes {@code C[m,n]} from {@code A} and {@code B} with inner dimension
 * {@code k}, as in BLAS; gate kernels work on {@code batch} rows of {@code hidden} units. See
 * {@link ScalarKernels} for the exact arithmetic of each method.
 *
 * <p>The implementation is chosen once per JVM by the system property
 * {@code unroll.kernels}: {@code simd} (the default, {@link SimdKernels}, with products and
 * row-wise kernels big enough to pay for it split over {@link #threads()} threads by
 * {@link Parallel}) or {@code scalar} ({@link ScalarKernels}, single-threaded, for tests and
 * comparison). Any other value, or an {@code unroll.threads} that is not a whole number of at
 * least 1, fails the initialisation of this class with an {@link IllegalArgumentException} naming
 * the property, its value and what it takes ({@link KernelProperties}; wrapped, as every failure
 * of a class initialiser, in an {@link ExceptionInInitializerError}). Choosing the SIMD kernels
 * runs {@link SimdWarmUp} once, when this class initialises, before any kernel is used. The SIMD
 * kernels agree with the scalar ones to float rounding; they are deterministic: the same inputs
 * give the same bits whatever the thread count, the batch size or the moment the JIT compiles them.
 *
 * <p>A kernel that {@link Parallel#rows} shares between the threads has a small task class
 * beside its facade method (see {@link RowSplit}): adding one means its facade method, its task,
 * and its bodies in {@link ScalarKernels} and a SIMD class.
 *
 * <p>Aliasing: a GEMM's C must not overlap A or B; {@code lstmForward} may update the cell state
 * in place ({@code c} the same range as {@code cPrev}) and {@code gruForward} the hidden state
 * ({@code h} the same range as {@code hPrev}); elementwise kernels may write over an input of the
 * same range where their documentation says so. Arguments are checked with {@code assert}.
 */
public final class Kernels {
    private Kernels() {}

    private static final boolean SIMD = simdFromProperty(System.getProperty(KernelProperties.KERNELS));

    static {
        if (SIMD) {
            SimdWarmUp.run();
        }
    }

    /** Whether {@code unroll.kernels} selects the SIMD kernels; unset means yes. */
    static boolean simdFromProperty(String value) {
        return KernelProperties.simd(value);
    }

    /** The kernels in use: {@code "simd (S_512_BIT, 16 floats)"} or {@code "scalar"}. */
    public static String implementation() {
        return SIMD ? "simd (" + SimdKernels.species() + ")" : "scalar";
    }

    /** Threads a big kernel call is split over, the caller included (1 for the scalar kernels). */
    public static int threads() {
        return SIMD ? Parallel.THREADS : 1;
    }

    // ---------------------------------------------------------------- row-wise kernels shared between the threads

    /**
     * Elements below which a row-wise kernel stays on one thread. A hand-over costs well under a
     * microsecond to an awake helper; from B·H = 2048 (B = 32, H = 64) the split pays, since each
     * core then updates the batch rows whose gates it computed (see
     * {@link Parallel#ROW_SPLIT_MAX_B_FLOATS} and docs/engine.md#two-threads).
     */
    static final long MIN_SPLIT_ELEMENTS = 2048;
    /** Elements per row of a flat range split (the vanilla RNN's activations, {@link #sum}). */
    private static final int CHUNK = 256;

    /** Whether a row-wise kernel over {@code elements} values is shared between the threads. */
    private static boolean splits(long elements) {
        return Parallel.THREADS > 1 && elements >= MIN_SPLIT_ELEMENTS;
    }

    /**
     * One call of a kernel whose rows {@link Parallel#rows} shares between the threads, its
     * arguments in the typed fields of a subclass (one per kernel, beside its facade method). Each
     * subclass keeps one instance per calling thread and refills it at each call, so a split
     * allocates nothing. The kernels have no sums across rows: the results do not depend on the
     * split.
     */
    private abstract static class RowSplit implements Parallel.RowTask {
        /** Runs over rows {@code [0, rows)}, then drops the array references so no buffer is kept alive. */
        final void runRows(int rows) {
            try {
                Parallel.rows(this, rows);
            } finally {
                clear();
            }
        }

        /** Sets the array fields to null. */
        abstract void clear();
    }

    /**
     * A {@link RowSplit} over a flat range of {@code len} elements, in rows of {@link #CHUNK}:
     * the subclass runs its kernel on {@code [start, start + count)}.
     */
    private abstract static class ChunkSplit extends RowSplit {
        private int len;

        final void runChunks(int len) {
            this.len = len;
            runRows((len + CHUNK - 1) / CHUNK);
        }

        @Override
        public final void run(int from, int to) {
            int start = from * CHUNK;
            runChunk(start, Math.min(len, to * CHUNK) - start);
        }

        /** The kernel on elements {@code [start, start + count)} of the range. */
        abstract void runChunk(int start, int count);
    }

    // ---------------------------------------------------------------- GEMM

    /** {@code C[m,n] = A[m,k] · B[k,n]}. */
    public static void gemmNN(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        assert gemmArguments(c, cOff, (long) m * n, a, aOff, (long) m * k, b, bOff, (long) k * n);
        if (SIMD) {
            Parallel.gemm(Parallel.Gemm.NN, c, cOff, a, aOff, b, bOff, m, n, k);
        } else {
            ScalarKernels.gemmNN(c, cOff, a, aOff, b, bOff, m, n, k);
        }
    }

    /** {@code C[m,n] += A[m,k] · B[k,n]}. */
    public static void gemmNNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        assert gemmArguments(c, cOff, (long) m * n, a, aOff, (long) m * k, b, bOff, (long) k * n);
        if (SIMD) {
            Parallel.gemm(Parallel.Gemm.NN_ADD, c, cOff, a, aOff, b, bOff, m, n, k);
        } else {
            ScalarKernels.gemmNNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
        }
    }

    /**
     * Columns per panel of the panel layout of {@link #packPanels}: B {@code [k, n]} stored as
     * consecutive column panels, panel q holding columns {@code [64q, 64q + w)} (w = 64, or what
     * is left in the last one) as a contiguous {@code [k, w]} block. A product then reads B
     * straight through, which matters once B no longer fits in the L2 cache (a time step's
     * {@code h W_hhᵀ} at H = 1024 runs about twice as fast, docs/engine.md#products).
     */
    public static final int PANEL_COLUMNS = 64;

    /**
     * Packs {@code B [k, n]} into {@code dst} in the panel layout ({@link #PANEL_COLUMNS}):
     * B is {@code src [k, n]} as stored, or, if {@code transposed}, {@code srcᵀ} for {@code src [n, k]}
     * (a weight {@code W [out, in]} becomes the B of {@code x Wᵀ}).
     */
    public static void packPanels(float[] dst, int dstOff, float[] src, int srcOff, int k, int n, boolean transposed) {
        assert range("dst", dst, dstOff, (long) k * n) && range("src", src, srcOff, (long) k * n);
        ScalarKernels.packPanels(dst, dstOff, src, srcOff, k, n, transposed);
    }

    /** {@code C[m,n] = A[m,k] · B[k,n]} with B in the panel layout of {@link #packPanels}. */
    public static void gemmNNPanels(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        assert gemmArguments(c, cOff, (long) m * n, a, aOff, (long) m * k, b, bOff, (long) k * n);
        if (SIMD) {
            Parallel.gemm(Parallel.Gemm.NN_PANELS, c, cOff, a, aOff, b, bOff, m, n, k);
        } else {
            java.util.Arrays.fill(c, cOff, cOff + m * n, 0f);
            ScalarKernels.gemmNNPanelsAdd(c, cOff, a, aOff, b, bOff, m, n, k);
        }
    }

    /** {@code C[m,n] += A[m,k] · B[k,n]} with B in the panel layout of {@link #packPanels}. */
    public static void gemmNNPanelsAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        assert gemmArguments(c, cOff, (long) m * n, a, aOff, (long) m * k, b, bOff, (long) k * n);
        if (SIMD) {
            Parallel.gemm(Parallel.Gemm.NN_PANELS_ADD, c, cOff, a, aOff, b, bOff, m, n, k);
        } else {
            ScalarKernels.gemmNNPanelsAdd(c, cOff, a, aOff, b, bOff, m, n, k);
        }
    }

    /** {@code C[m,n] += A[k,m]ᵀ · B[k,n]}. */
    public static void gemmTNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        assert gemmArguments(c, cOff, (long) m * n, a, aOff, (long) k * m, b, bOff, (long) k * n);
        if (SIMD) {
            Parallel.gemm(Parallel.Gemm.TN_ADD, c, cOff, a, aOff, b, bOff, m, n, k);
        } else {
            ScalarKernels.gemmTNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
        }
    }

    // ---------------------------------------------------------------- rows and vectors

    /**
     * {@code dst[cols, rows] = src[rows, cols]ᵀ}: how a weight {@code W [out, in]} becomes the
     * {@code B [in, out]} of {@link #gemmNN} for {@code x Wᵀ}. Plain data movement, the same for
     * both implementations.
     */
    public static void transpose(float[] dst, int dstOff, float[] src, int srcOff, int rows, int cols) {
        assert range("dst", dst, dstOff, (long) rows * cols) && range("src", src, srcOff, (long) rows * cols)
                && disjoint("dst", dst, dstOff, (long) rows * cols, "src", src, srcOff, (long) rows * cols);
        ScalarKernels.transpose(dst, dstOff, src, srcOff, rows, cols);
    }

    /** {@code C[i, j] += bias[j]} for every row. */
    public static void addRowVector(float[] c, int cOff, float[] bias, int biasOff, int m, int n) {
        assert range("c", c, cOff, (long) m * n) && range("bias", bias, biasOff, n);
        if (!SIMD) {
            ScalarKernels.addRowVector(c, cOff, bias, biasOff, m, n);
        } else if (splits((long) m * n)) {
            // a pass bound by memory, which two cores get through faster than one
            AddRowVector.split(c, cOff, bias, biasOff, m, n);
        } else {
            SimdRows.addRowVector(c, cOff, bias, biasOff, m, n);
        }
    }

    /** {@link #addRowVector} shared by rows of C. */
    private static final class AddRowVector extends RowSplit {
        private static final ThreadLocal<AddRowVector> PER_THREAD = ThreadLocal.withInitial(AddRowVector::new);
        private float[] c;    // [m, n]
        private float[] bias; // [n]
        private int cOff, biasOff, n;

        static void split(float[] c, int cOff, float[] bias, int biasOff, int m, int n) {
            AddRowVector task = PER_THREAD.get();
            task.c = c;
            task.cOff = cOff;
            task.bias = bias;
            task.biasOff = biasOff;
            task.n = n;
            task.runRows(m);
        }

        @Override
        public void run(int from, int to) {
            SimdRows.addRowVector(c, cOff + from * n, bias, biasOff, to - from, n);
        }

        @Override
        void clear() {
            c = null;
            bias = null;
        }
    }

    /** {@code dst[j] += Σ_i A[i, j]}. */
    public static void addColumnSums(float[] dst, int dstOff, float[] a, int aOff, int m, int n) {
        assert range("dst", dst, dstOff, n) && range("a", a, aOff, (long) m * n);
        if (SIMD) {
            SimdRows.addColumnSums(dst, dstOff, a, aOff, m, n);
        } else {
            ScalarKernels.addColumnSums(dst, dstOff, a, aOff, m, n);
        }
    }

    /** {@code Σ x²} in double. */
    public static double sumOfSquares(float[] x, int off, int len) {
        assert range("x", x, off, len);
        return SIMD ? SimdRows.sumOfSquares(x, off, len) : ScalarKernels.sumOfSquares(x, off, len);
    }

    /**
     * Row-wise softmax {@code dst[r, j] = e^{src[r,j]} / Σ_j e^{src[r,j]}} of {@code src [rows, cols]},
     * with {@code logSumExp[r]} (in double) the log of each row's denominator. dst may be src.
     */
    public static void softmaxRows(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp) {
        assert range("dst", dst, dOff, (long) rows * cols) && range("src", src, sOff, (long) rows * cols)
                && logSumExp.length >= rows;
        if (!SIMD) {
            ScalarKernels.softmaxRows(dst, dOff, src, sOff, rows, cols, logSumExp);
        } else if (splits((long) rows * cols)) {
            SoftmaxRows.split(dst, dOff, src, sOff, rows, cols, logSumExp);
        } else {
            SimdRows.softmaxRows(dst, dOff, src, sOff, rows, cols, logSumExp);
        }
    }

    /** {@link #softmaxRows} shared by rows. */
    private static final class SoftmaxRows extends RowSplit {
        private static final ThreadLocal<SoftmaxRows> PER_THREAD = ThreadLocal.withInitial(SoftmaxRows::new);
        private float[] dst, src;   // [rows, cols]
        private double[] logSumExp; // [rows]
        private int dOff, sOff, cols;

        static void split(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp) {
            SoftmaxRows task = PER_THREAD.get();
            task.dst = dst;
            task.dOff = dOff;
            task.src = src;
            task.sOff = sOff;
            task.cols = cols;
            task.logSumExp = logSumExp;
            task.runRows(rows);
        }

        @Override
        public void run(int from, int to) {
            SimdRows.softmaxRows(dst, dOff + from * cols, src, sOff + from * cols, to - from, cols, logSumExp, from);
        }

        @Override
        void clear() {
            dst = null;
            src = null;
            logSumExp = null;
        }
    }

    /** Whether every value of {@code x[off, off + len)} is finite (no NaN, no infinity). */
    public static boolean allFinite(float[] x, int off, int len) {
        assert range("x", x, off, len);
        return SIMD ? SimdRows.allFinite(x, off, len) : ScalarKernels.allFinite(x, off, len);
    }

    /** {@code x *= s}. */
    public static void scale(float[] x, int off, int len, float s) {
        assert range("x", x, off, len);
        if (SIMD) {
            SimdRows.scale(x, off, len, s);
        } else {
            ScalarKernels.scale(x, off, len, s);
        }
    }

    /** {@code y += x}; x may be the same range as y. */
    public static void add(float[] y, int yOff, float[] x, int xOff, int len) {
        assert range("y", y, yOff, len) && range("x", x, xOff, len);
        if (SIMD) {
            SimdRows.add(y, yOff, x, xOff, len);
        } else {
            ScalarKernels.add(y, yOff, x, xOff, len);
        }
    }

    /**
     * {@code dst = a + b}, shared between the threads like the gate kernels from the same size on
     * (the gradient reaching a step's h, read by the cell's backward next); dst must be the same
     * range as a or b or overlap neither.
     */
    public static void sum(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int len) {
        assert range("dst", dst, dOff, len) && range("a", a, aOff, len) && range("b", b, bOff, len);
        if (!SIMD) {
            ScalarKernels.sum(dst, dOff, a, aOff, b, bOff, len);
        } else if (splits(len)) {
            Sum.split(dst, dOff, a, aOff, b, bOff, len);
        } else {
            SimdRows.sum(dst, dOff, a, aOff, b, bOff, len);
        }
    }

    /** {@link #sum} shared by chunks of the range. */
    private static final class Sum extends ChunkSplit {
        private static final ThreadLocal<Sum> PER_THREAD = ThreadLocal.withInitial(Sum::new);
        private float[] dst, a, b; // [len]
        private int dOff, aOff, bOff;

        static void split(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int len) {
            Sum task = PER_THREAD.get();
            task.dst = dst;
            task.dOff = dOff;
            task.a = a;
            task.aOff = aOff;
            task.b = b;
            task.bOff = bOff;
            task.runChunks(len);
        }

        @Override
        void runChunk(int start, int count) {
            SimdRows.sum(dst, dOff + start, a, aOff + start, b, bOff + start, count);
        }

        @Override
        void clear() {
            dst = null;
            a = null;
            b = null;
        }
    }

    /**
     * {@code dst[j, i, ·] = src[i, j, ·]}: {@code src [n0, n1, width]} (from srcOff) into
     * {@code dst [n1, n0, width]} (from dstOff), a batch-first sequence into a time-major one or
     * back. A pass bound by memory; the range of i is shared between the threads, which move
     * more bytes together than one alone. The ranges must not overlap.
     */
    public static void swapAxes(float[] dst, int dstOff, float[] src, int srcOff, int n0, int n1, int width) {
        assert range("dst", dst, dstOff, (long) n0 * n1 * width) && range("src", src, srcOff, (long) n0 * n1 * width);
        if (SIMD && splits((long) n0 * n1 * width)) {
            SwapAxes.split(dst, dstOff, src, srcOff, n0, n1, width);
        } else {
            swapAxes(dst, dstOff, src, srcOff, n0, n1, width, 0, n0);
        }
    }

    /** {@link #swapAxes} for {@code i} in {@code [from, to)}: the n1 rows of src's i scatter to rows n0 apart. */
    private static void swapAxes(float[] dst, int dstOff, float[] src, int srcOff, int n0, int n1, int width,
                                 int from, int to) {
        for (int i = from; i < to; i++) {
            ScalarKernels.copyRows(dst, dstOff + i * width, n0 * width, src, srcOff + i * n1 * width, width, n1, width);
        }
    }

    /** {@link #swapAxes} shared by src's first axis. */
    private static final class SwapAxes extends RowSplit {
        private static final ThreadLocal<SwapAxes> PER_THREAD = ThreadLocal.withInitial(SwapAxes::new);
        private float[] dst; // [n1, n0, width]
        private float[] src; // [n0, n1, width]
        private int dstOff, srcOff, n0, n1, width;

        static void split(float[] dst, int dstOff, float[] src, int srcOff, int n0, int n1, int width) {
            SwapAxes task = PER_THREAD.get();
            task.dst = dst;
            task.dstOff = dstOff;
            task.src = src;
            task.srcOff = srcOff;
            task.n0 = n0;
            task.n1 = n1;
            task.width = width;
            task.runRows(n0);
        }

        @Override
        public void run(int from, int to) {
            swapAxes(dst, dstOff, src, srcOff, n0, n1, width, from, to);
        }

        @Override
        void clear() {
            dst = null;
            src = null;
        }
    }

    // ---------------------------------------------------------------- cells

    /** Vanilla RNN activation in place (tanh or relu). */
    public static void rnnActivate(float[] pre, int off, int len, boolean relu) {
        assert range("pre", pre, off, len);
        if (!SIMD) {
            ScalarKernels.rnnActivate(pre, off, len, relu);
        } else if (splits(len)) {
            RnnActivate.split(pre, off, len, relu);
        } else {
            SimdGates.rnnActivate(pre, off, len, relu);
        }
    }

    /** {@link #rnnActivate} shared by chunks of the range. */
    private static final class RnnActivate extends ChunkSplit {
        private static final ThreadLocal<RnnActivate> PER_THREAD = ThreadLocal.withInitial(RnnActivate::new);
        private float[] pre; // [len]
        private int off;
        private boolean relu;

        static void split(float[] pre, int off, int len, boolean relu) {
            RnnActivate task = PER_THREAD.get();
            task.pre = pre;
            task.off = off;
            task.relu = relu;
            task.runChunks(len);
        }

        @Override
        void runChunk(int start, int count) {
            SimdGates.rnnActivate(pre, off + start, count, relu);
        }

        @Override
        void clear() {
            pre = null;
        }
    }

    /** Vanilla RNN activation backward from the output h; dPre may be the same range as h or dh. */
    public static void rnnActivateBackward(float[] dPre, int dPreOff, float[] h, int hOff,
                                           float[] dh, int dhOff, int len, boolean relu) {
        assert range("dPre", dPre, dPreOff, len) && range("h", h, hOff, len) && range("dh", dh, dhOff, len);
        if (!SIMD) {
            ScalarKernels.rnnActivateBackward(dPre, dPreOff, h, hOff, dh, dhOff, len, relu);
        } else if (splits(len)) {
            RnnActivateBackward.split(dPre, dPreOff, h, hOff, dh, dhOff, len, relu);
        } else {
            SimdGates.rnnActivateBackward(dPre, dPreOff, h, hOff, dh, dhOff, len, relu);
        }
    }

    /** {@link #rnnActivateBackward} shared by chunks of the range. */
    private static final class RnnActivateBackward extends ChunkSplit {
        private static final ThreadLocal<RnnActivateBackward> PER_THREAD =
                ThreadLocal.withInitial(RnnActivateBackward::new);
        private float[] dPre, h, dh; // [len]
        private int dPreOff, hOff, dhOff;
        private boolean relu;

        static void split(float[] dPre, int dPreOff, float[] h, int hOff, float[] dh, int dhOff, int len, boolean relu) {
            RnnActivateBackward task = PER_THREAD.get();
            task.dPre = dPre;
            task.dPreOff = dPreOff;
            task.h = h;
            task.hOff = hOff;
            task.dh = dh;
            task.dhOff = dhOff;
            task.relu = relu;
            task.runChunks(len);
        }

        @Override
        void runChunk(int start, int count) {
            SimdGates.rnnActivateBackward(dPre, dPreOff + start, h, hOff + start, dh, dhOff + start, count, relu);
        }

        @Override
        void clear() {
            dPre = null;
            h = null;
            dh = null;
        }
    }

    /** IndRNN step in place, {@code pre = φ(pre + u ⊙ hPrev)} per batch row; see {@link ScalarKernels#indRnnForward}. */
    public static void indRnnForward(float[] pre, int off, float[] hPrev, int hPrevOff, float[] u, int uOff,
                                     int batch, int hidden, boolean relu) {
        long bh = (long) batch * hidden;
        assert range("pre", pre, off, bh) && range("hPrev", hPrev, hPrevOff, bh) && range("u", u, uOff, hidden);
        if (!SIMD) {
            ScalarKernels.indRnnForward(pre, off, hPrev, hPrevOff, u, uOff, batch, hidden, relu);
        } else if (splits(bh)) {
            IndRnnForward.split(pre, off, hPrev, hPrevOff, u, uOff, batch, hidden, relu);
        } else {
            SimdGates.indRnnForward(pre, off, hPrev, hPrevOff, u, uOff, batch, hidden, relu);
        }
    }

    /** {@link #indRnnForward} shared by batch rows. */
    private static final class IndRnnForward extends RowSplit {
        private static final ThreadLocal<IndRnnForward> PER_THREAD = ThreadLocal.withInitial(IndRnnForward::new);
        private float[] pre, hPrev; // [B, H]
        private float[] u;          // [H]
        private int off, hPrevOff, uOff, hidden;
        private boolean relu;

        static void split(float[] pre, int off, float[] hPrev, int hPrevOff, float[] u, int uOff, int batch, int hidden,
                          boolean relu) {
            IndRnnForward task = PER_THREAD.get();
            task.pre = pre;
            task.off = off;
            task.hPrev = hPrev;
            task.hPrevOff = hPrevOff;
            task.u = u;
            task.uOff = uOff;
            task.hidden = hidden;
            task.relu = relu;
            task.runRows(batch);
        }

        @Override
        public void run(int from, int to) {
            int row = from * hidden;
            SimdGates.indRnnForward(pre, off + row, hPrev, hPrevOff + row, u, uOff, to - from, hidden, relu);
        }

        @Override
        void clear() {
            pre = null;
            hPrev = null;
            u = null;
        }
    }

    /**
     * IndRNN step backward from the output h: {@code dPre = dh ⊙ φ'}, {@code dhPrev = dPre ⊙ u};
     * see {@link ScalarKernels#indRnnBackward}. dPre may be the same range as h or dh; dhPrev overlaps none.
     */
    public static void indRnnBackward(float[] dPre, int dPreOff, float[] h, int hOff, float[] dh, int dhOff,
                                      float[] u, int uOff, float[] dhPrev, int dhPrevOff, int batch, int hidden, boolean relu) {
        long bh = (long) batch * hidden;
        assert range("dPre", dPre, dPreOff, bh) && range("h", h, hOff, bh) && range("dh", dh, dhOff, bh)
                && range("u", u, uOff, hidden) && range("dhPrev", dhPrev, dhPrevOff, bh);
        if (!SIMD) {
            ScalarKernels.indRnnBackward(dPre, dPreOff, h, hOff, dh, dhOff, u, uOff, dhPrev, dhPrevOff, batch, hidden, relu);
        } else if (splits(bh)) {
            IndRnnBackward.split(dPre, dPreOff, h, hOff, dh, dhOff, u, uOff, dhPrev, dhPrevOff, batch, hidden, relu);
        } else {
            SimdGates.indRnnBackward(dPre, dPreOff, h, hOff, dh, dhOff, u, uOff, dhPrev, dhPrevOff, batch, hidden, relu);
        }
    }

    /** {@link #indRnnBackward} shared by batch rows. */
    private static final class IndRnnBackward extends RowSplit {
        private static final ThreadLocal<IndRnnBackward> PER_THREAD = ThreadLocal.withInitial(IndRnnBackward::new);
        private float[] dPre, h, dh, dhPrev; // [B, H]
        private float[] u;                   // [H]
        private int dPreOff, hOff, dhOff, uOff, dhPrevOff, hidden;
        private boolean relu;

        static void split(float[] dPre, int dPreOff, float[] h, int hOff, float[] dh, int dhOff, float[] u, int uOff,
                          float[] dhPrev, int dhPrevOff, int batch, int hidden, boolean relu) {
            IndRnnBackward task = PER_THREAD.get();
            task.dPre = dPre;
            task.dPreOff = dPreOff;
            task.h = h;
            task.hOff = hOff;
            task.dh = dh;
            task.dhOff = dhOff;
            task.u = u;
            task.uOff = uOff;
            task.dhPrev = dhPrev;
            task.dhPrevOff = dhPrevOff;
            task.hidden = hidden;
            task.relu = relu;
            task.runRows(batch);
        }

        @Override
        public void run(int from, int to) {
            int row = from * hidden;
            SimdGates.indRnnBackward(dPre, dPreOff + row, h, hOff + row, dh, dhOff + row, u, uOff,
                    dhPrev, dhPrevOff + row, to - from, hidden, relu);
        }

        @Override
        void clear() {
            dPre = null;
            h = null;
            dh = null;
            dhPrev = null;
            u = null;
        }
    }

    /**
     * One step of the IndRNN's recurrent-weight gradient, {@code du[j] += Σ_b dPre[b, j]·hPrev[b, j]},
     * on one thread (a sum over the batch rows, in their order).
     */
    public static void indRnnRecurrentGradient(float[] du, int duOff, float[] dPre, int dPreOff, float[] hPrev, int hPrevOff,
                                               int batch, int hidden) {
        long bh = (long) batch * hidden;
        assert range("du", du, duOff, hidden) && range("dPre", dPre, dPreOff, bh) && range("hPrev", hPrev, hPrevOff, bh);
        if (SIMD) {
            SimdGates.indRnnRecurrentGradient(du, duOff, dPre, dPreOff, hPrev, hPrevOff, batch, hidden);
        } else {
            ScalarKernels.indRnnRecurrentGradient(du, duOff, dPre, dPreOff, hPrev, hPrevOff, batch, hidden);
        }
    }

    /** LSTM pointwise forward; see {@link ScalarKernels#lstmForward}. c may be the same range as cPrev. */
    public static void lstmForward(float[] gates, int gOff, float[] cPrev, int cPrevOff,
                                   float[] c, int cOff, float[] h, int hOff, int batch, int hidden) {
        long bh = (long) batch * hidden;
        assert range("gates", gates, gOff, 4 * bh) && range("cPrev", cPrev, cPrevOff, bh)
                && range("c", c, cOff, bh) && range("h", h, hOff, bh);
        if (!SIMD) {
            ScalarKernels.lstmForward(gates, gOff, cPrev, cPrevOff, c, cOff, h, hOff, batch, hidden);
        } else if (splits(bh)) {
            LstmForward.split(gates, gOff, cPrev, cPrevOff, c, cOff, h, hOff, batch, hidden);
        } else {
            SimdGates.lstmForward(gates, gOff, cPrev, cPrevOff, c, cOff, h, hOff, batch, hidden);
        }
    }

    /** {@link #lstmForward} shared by batch rows. */
    private static final class LstmForward extends RowSplit {
        private static final ThreadLocal<LstmForward> PER_THREAD = ThreadLocal.withInitial(LstmForward::new);
        private float[] gates;       // [B, 4H]
        private float[] cPrev, c, h; // [B, H]
        private int gOff, cPrevOff, cOff, hOff, hidden;

        static void split(float[] gates, int gOff, float[] cPrev, int cPrevOff,
                          float[] c, int cOff, float[] h, int hOff, int batch, int hidden) {
            LstmForward task = PER_THREAD.get();
            task.gates = gates;
            task.gOff = gOff;
            task.cPrev = cPrev;
            task.cPrevOff = cPrevOff;
            task.c = c;
            task.cOff = cOff;
            task.h = h;
            task.hOff = hOff;
            task.hidden = hidden;
            task.runRows(batch);
        }

        @Override
        public void run(int from, int to) {
            int row = from * hidden;
            SimdGates.lstmForward(gates, gOff + 4 * row, cPrev, cPrevOff + row, c, cOff + row, h, hOff + row,
                    to - from, hidden);
        }

        @Override
        void clear() {
            gates = null;
            cPrev = null;
            c = null;
            h = null;
        }
    }

    /** LSTM pointwise backward; see {@link ScalarKernels#lstmBackward}. */
    public static void lstmBackward(float[] dGates, int dgOff, float[] gates, int gOff,
                                    float[] cPrev, int cPrevOff, float[] c, int cOff,
                                    float[] dh, int dhOff, float[] dc, int dcOff, int batch, int hidden) {
        long bh = (long) batch * hidden;
        assert range("dGates", dGates, dgOff, 4 * bh) && range("gates", gates, gOff, 4 * bh)
                && range("cPrev", cPrev, cPrevOff, bh) && range("c", c, cOff, bh)
                && range("dh", dh, dhOff, bh) && range("dc", dc, dcOff, bh);
        if (!SIMD) {
            ScalarKernels.lstmBackward(dGates, dgOff, gates, gOff, cPrev, cPrevOff, c, cOff, dh, dhOff, dc, dcOff, batch, hidden);
        } else if (splits(bh)) {
            LstmBackward.split(dGates, dgOff, gates, gOff, cPrev, cPrevOff, c, cOff, dh, dhOff, dc, dcOff, batch, hidden);
        } else {
            SimdGates.lstmBackward(dGates, dgOff, gates, gOff, cPrev, cPrevOff, c, cOff, dh, dhOff, dc, dcOff, batch, hidden);
        }
    }

    /** {@link #lstmBackward} shared by batch rows. */
    private static final class LstmBackward extends RowSplit {
        private static final ThreadLocal<LstmBackward> PER_THREAD = ThreadLocal.withInitial(LstmBackward::new);
        private float[] dGates, gates;      // [B, 4H]
        private float[] cPrev, c, dh, dc;   // [B, H]
        private int dgOff, gOff, cPrevOff, cOff, dhOff, dcOff, hidden;

        static void split(float[] dGates, int dgOff, float[] gates, int gOff, float[] cPrev, int cPrevOff,
                          float[] c, int cOff, float[] dh, int dhOff, float[] dc, int dcOff, int batch, int hidden) {
            LstmBackward task = PER_THREAD.get();
            task.dGates = dGates;
            task.dgOff = dgOff;
            task.gates = gates;
            task.gOff = gOff;
            task.cPrev = cPrev;
            task.cPrevOff = cPrevOff;
            task.c = c;
            task.cOff = cOff;
            task.dh = dh;
            task.dhOff = dhOff;
            task.dc = dc;
            task.dcOff = dcOff;
            task.hidden = hidden;
            task.runRows(batch);
        }

        @Override
        public void run(int from, int to) {
            int row = from * hidden;
            SimdGates.lstmBackward(dGates, dgOff + 4 * row, gates, gOff + 4 * row, cPrev, cPrevOff + row,
                    c, cOff + row, dh, dhOff + row, dc, dcOff + row, to - from, hidden);
        }

        @Override
        void clear() {
            dGates = null;
            gates = null;
            cPrev = null;
            c = null;
            dh = null;
            dc = null;
        }
    }

    /** GRU pointwise forward; see {@link ScalarKernels#gruForward}. h may be the same range as hPrev. */
    public static void gruForward(float[] gates, int gOff, float[] hProj, int hpOff, float[] hnCache, int hnOff,
                                  float[] hPrev, int hPrevOff, float[] h, int hOff, int batch, int hidden) {
        long bh = (long) batch * hidden;
        assert range("gates", gates, gOff, 3 * bh) && range("hProj", hProj, hpOff, 3 * bh)
                && range("hnCache", hnCache, hnOff, bh) && range("hPrev", hPrev, hPrevOff, bh)
                && range("h", h, hOff, bh);
        if (!SIMD) {
            ScalarKernels.gruForward(gates, gOff, hProj, hpOff, hnCache, hnOff, hPrev, hPrevOff, h, hOff, batch, hidden);
        } else if (splits(bh)) {
            GruForward.split(gates, gOff, hProj, hpOff, hnCache, hnOff, hPrev, hPrevOff, h, hOff, batch, hidden);
        } else {
            SimdGates.gruForward(gates, gOff, hProj, hpOff, hnCache, hnOff, hPrev, hPrevOff, h, hOff, batch, hidden);
        }
    }

    /** {@link #gruForward} shared by batch rows. */
    private static final class GruForward extends RowSplit {
        private static final ThreadLocal<GruForward> PER_THREAD = ThreadLocal.withInitial(GruForward::new);
        private float[] gates, hProj;     // [B, 3H]
        private float[] hnCache, hPrev, h; // [B, H]
        private int gOff, hpOff, hnOff, hPrevOff, hOff, hidden;

        static void split(float[] gates, int gOff, float[] hProj, int hpOff, float[] hnCache, int hnOff,
                          float[] hPrev, int hPrevOff, float[] h, int hOff, int batch, int hidden) {
            GruForward task = PER_THREAD.get();
            task.gates = gates;
            task.gOff = gOff;
            task.hProj = hProj;
            task.hpOff = hpOff;
            task.hnCache = hnCache;
            task.hnOff = hnOff;
            task.hPrev = hPrev;
            task.hPrevOff = hPrevOff;
            task.h = h;
            task.hOff = hOff;
            task.hidden = hidden;
            task.runRows(batch);
        }

        @Override
        public void run(int from, int to) {
            int row = from * hidden;
            SimdGates.gruForward(gates, gOff + 3 * row, hProj, hpOff + 3 * row, hnCache, hnOff + row,
                    hPrev, hPrevOff + row, h, hOff + row, to - from, hidden);
        }

        @Override
        void clear() {
            gates = null;
            hProj = null;
            hnCache = null;
            hPrev = null;
            h = null;
        }
    }

    /** GRU pointwise backward; see {@link ScalarKernels#gruBackward}. */
    public static void gruBackward(float[] dPreIh, int dIhOff, float[] dPreHh, int dHhOff,
                                   float[] gates, int gOff, float[] hnCache, int hnOff,
                                   float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                                   float[] dhPrev, int dhPrevOff, int batch, int hidden) {
        long bh = (long) batch * hidden;
        assert range("dPreIh", dPreIh, dIhOff, 3 * bh) && range("dPreHh", dPreHh, dHhOff, 3 * bh)
                && range("gates", gates, gOff, 3 * bh) && range("hnCache", hnCache, hnOff, bh)
                && range("hPrev", hPrev, hPrevOff, bh) && range("dh", dh, dhOff, bh)
                && range("dhPrev", dhPrev, dhPrevOff, bh);
        if (!SIMD) {
            ScalarKernels.gruBackward(dPreIh, dIhOff, dPreHh, dHhOff, gates, gOff, hnCache, hnOff,
                    hPrev, hPrevOff, dh, dhOff, dhPrev, dhPrevOff, batch, hidden);
        } else if (splits(bh)) {
            GruBackward.split(dPreIh, dIhOff, dPreHh, dHhOff, gates, gOff, hnCache, hnOff,
                    hPrev, hPrevOff, dh, dhOff, dhPrev, dhPrevOff, batch, hidden);
        } else {
            SimdGates.gruBackward(dPreIh, dIhOff, dPreHh, dHhOff, gates, gOff, hnCache, hnOff,
                    hPrev, hPrevOff, dh, dhOff, dhPrev, dhPrevOff, batch, hidden);
        }
    }

    /** {@link #gruBackward} shared by batch rows. */
    private static final class GruBackward extends RowSplit {
        private static final ThreadLocal<GruBackward> PER_THREAD = ThreadLocal.withInitial(GruBackward::new);
        private float[] dPreIh, dPreHh, gates;        // [B, 3H]
        private float[] hnCache, hPrev, dh, dhPrev;   // [B, H]
        private int dIhOff, dHhOff, gOff, hnOff, hPrevOff, dhOff, dhPrevOff, hidden;

        static void split(float[] dPreIh, int dIhOff, float[] dPreHh, int dHhOff, float[] gates, int gOff,
                          float[] hnCache, int hnOff, float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                          float[] dhPrev, int dhPrevOff, int batch, int hidden) {
            GruBackward task = PER_THREAD.get();
            task.dPreIh = dPreIh;
            task.dIhOff = dIhOff;
            task.dPreHh = dPreHh;
            task.dHhOff = dHhOff;
            task.gates = gates;
            task.gOff = gOff;
            task.hnCache = hnCache;
            task.hnOff = hnOff;
            task.hPrev = hPrev;
            task.hPrevOff = hPrevOff;
            task.dh = dh;
            task.dhOff = dhOff;
            task.dhPrev = dhPrev;
            task.dhPrevOff = dhPrevOff;
            task.hidden = hidden;
            task.runRows(batch);
        }

        @Override
        public void run(int from, int to) {
            int row = from * hidden;
            SimdGates.gruBackward(dPreIh, dIhOff + 3 * row, dPreHh, dHhOff + 3 * row, gates, gOff + 3 * row,
                    hnCache, hnOff + row, hPrev, hPrevOff + row, dh, dhOff + row, dhPrev, dhPrevOff + row,
                    to - from, hidden);
        }

        @Override
        void clear() {
            dPreIh = null;
            dPreHh = null;
            gates = null;
            hnCache = null;
            hPrev = null;
            dh = null;
            dhPrev = null;
        }
    }

    // ---------------------------------------------------------------- argument checks (under assert)

    private static boolean gemmArguments(float[] c, int cOff, long cLen, float[] a, int aOff, long aLen,
                                         float[] b, int bOff, long bLen) {
        return range("c", c, cOff, cLen) && range("a", a, aOff, aLen) && range("b", b, bOff, bLen)
                && disjoint("c", c, cOff, cLen, "a", a, aOff, aLen)
                && disjoint("c", c, cOff, cLen, "b", b, bOff, bLen);
    }

    static boolean range(String name, float[] x, int off, long len) {
        if (x == null || len < 0 || off < 0 || off + len > x.length) {
            throw new AssertionError(name + ": " + len + " values from offset " + off + " do not fit "
                    + (x == null ? "a null array" : "an array of " + x.length));
        }
        return true;
    }

    private static boolean disjoint(String name, float[] x, int xOff, long xLen,
                                    String other, float[] y, int yOff, long yLen) {
        if (x == y && xLen > 0 && yLen > 0 && xOff < yOff + yLen && yOff < xOff + xLen) {
            throw new AssertionError(name + " [" + xOff + ", " + (xOff + xLen) + ") overlaps "
                    + other + " [" + yOff + ", " + (yOff + yLen) + ") in the same array");
        }
        return true;
    }
}
