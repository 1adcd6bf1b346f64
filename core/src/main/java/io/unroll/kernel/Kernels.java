package io.unroll.kernel;

/**
 * The kernel facade: every float32 hot loop of the library goes through here.
 *
 * <p>Shapes use the letters of the DESIGN: a GEMM computes {@code C[m,n]} from {@code A} and
 * {@code B} with inner dimension {@code k}; gate kernels work on {@code batch} rows of
 * {@code hidden} units. See {@link ScalarKernels} for the exact arithmetic of each method.
 *
 * <p>The implementation is chosen once per JVM by the system property
 * {@code unroll.kernels}: {@code simd} (the default, {@link SimdKernels}, with GEMMs big enough to
 * pay for it split over {@link #threads()} threads by {@link Parallel}) or {@code scalar}
 * ({@link ScalarKernels}, single-threaded, for tests and comparison). Any other value fails the
 * initialisation of this class with an {@link IllegalStateException}. The SIMD kernels agree with
 * the scalar ones to float rounding; they are deterministic: the same inputs give the same bits
 * whatever the thread count, the batch size or the moment the JIT compiles them.
 *
 * <p>Aliasing: a GEMM's C must not overlap A or B; {@code lstmForward} may update the cell state
 * in place ({@code c} the same range as {@code cPrev}) and {@code gruForward} the hidden state
 * ({@code h} the same range as {@code hPrev}); elementwise kernels may write over an input of the
 * same range where their documentation says so. Arguments are checked with {@code assert}.
 */
public final class Kernels {
    private Kernels() {}

    private static final boolean SIMD = simdFromProperty(System.getProperty("unroll.kernels"));

    /** Whether {@code unroll.kernels} selects the SIMD kernels; unset means yes. */
    static boolean simdFromProperty(String value) {
        String v = value == null ? "simd" : value.trim();
        if (v.equalsIgnoreCase("simd")) {
            return true;
        }
        if (v.equalsIgnoreCase("scalar")) {
            return false;
        }
        throw new IllegalStateException("unroll.kernels is '" + value + "', expected simd or scalar");
    }

    /** The kernels in use: {@code "simd (S_512_BIT, 16 floats)"} or {@code "scalar"}. */
    public static String implementation() {
        return SIMD ? "simd (" + SimdKernels.species() + ")" : "scalar";
    }

    /** Threads a big GEMM is split over, the caller included (1 for the scalar kernels). */
    public static int threads() {
        return SIMD ? Parallel.THREADS : 1;
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
     * {@code h W_hhᵀ} at H = 1024 runs about twice as fast).
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
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.ADD_ROW_VECTOR, (long) m * n);
            if (task != null) {
                // a pass bound by memory, which two cores get through faster than one
                task.arrays(c, bias, null, null, null, null, null).offsets(cOff, biasOff, 0, 0, 0, 0, 0);
                task.batchRows(m, n);
                return;
            }
            SimdKernels.addRowVector(c, cOff, bias, biasOff, m, n);
        } else {
            ScalarKernels.addRowVector(c, cOff, bias, biasOff, m, n);
        }
    }

    /** {@code dst[j] += Σ_i A[i, j]}. */
    public static void addColumnSums(float[] dst, int dstOff, float[] a, int aOff, int m, int n) {
        assert range("dst", dst, dstOff, n) && range("a", a, aOff, (long) m * n);
        if (SIMD) {
            SimdKernels.addColumnSums(dst, dstOff, a, aOff, m, n);
        } else {
            ScalarKernels.addColumnSums(dst, dstOff, a, aOff, m, n);
        }
    }

    /** {@code Σ x²} in double. */
    public static double sumOfSquares(float[] x, int off, int len) {
        assert range("x", x, off, len);
        return SIMD ? SimdKernels.sumOfSquares(x, off, len) : ScalarKernels.sumOfSquares(x, off, len);
    }

    /**
     * Row-wise softmax {@code dst[r, j] = e^{src[r,j]} / Σ_j e^{src[r,j]}} of {@code src [rows, cols]},
     * with {@code logSumExp[r]} (in double) the log of each row's denominator. dst may be src.
     */
    public static void softmaxRows(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp) {
        assert range("dst", dst, dOff, (long) rows * cols) && range("src", src, sOff, (long) rows * cols)
                && logSumExp.length >= rows;
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.SOFTMAX_ROWS, (long) rows * cols);
            if (task != null) {
                task.arrays(dst, src, null, null, null, null, null).offsets(dOff, sOff, 0, 0, 0, 0, 0);
                task.logSumExp = logSumExp;
                task.batchRows(rows, cols);
                return;
            }
            SimdKernels.softmaxRows(dst, dOff, src, sOff, rows, cols, logSumExp);
        } else {
            ScalarKernels.softmaxRows(dst, dOff, src, sOff, rows, cols, logSumExp);
        }
    }

    /** Whether every value of {@code x[off, off + len)} is finite (no NaN, no infinity). */
    public static boolean allFinite(float[] x, int off, int len) {
        assert range("x", x, off, len);
        return SIMD ? SimdKernels.allFinite(x, off, len) : ScalarKernels.allFinite(x, off, len);
    }

    /** {@code x *= s}. */
    public static void scale(float[] x, int off, int len, float s) {
        assert range("x", x, off, len);
        if (SIMD) {
            SimdKernels.scale(x, off, len, s);
        } else {
            ScalarKernels.scale(x, off, len, s);
        }
    }

    /** {@code y += x}; x may be the same range as y. */
    public static void add(float[] y, int yOff, float[] x, int xOff, int len) {
        assert range("y", y, yOff, len) && range("x", x, xOff, len);
        if (SIMD) {
            SimdKernels.add(y, yOff, x, xOff, len);
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
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.SUM, len);
            if (task != null) {
                task.arrays(dst, a, b, null, null, null, null).offsets(dOff, aOff, bOff, 0, 0, 0, 0);
                task.split(len);
                return;
            }
            SimdKernels.sum(dst, dOff, a, aOff, b, bOff, len);
        } else {
            ScalarKernels.sum(dst, dOff, a, aOff, b, bOff, len);
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
        GateTask task = SIMD ? GateTask.of(GateTask.SWAP_AXES, (long) n0 * n1 * width) : null;
        if (task != null) {
            task.arrays(dst, src, null, null, null, null, null).offsets(dstOff, srcOff, 0, 0, 0, 0, 0);
            task.axes(n0, n1, width);
            return;
        }
        swapAxes(dst, dstOff, src, srcOff, n0, n1, width, 0, n0);
    }

    /** {@link #swapAxes} for {@code i} in {@code [from, to)}: the n1 rows of src's i scatter to rows n0 apart. */
    private static void swapAxes(float[] dst, int dstOff, float[] src, int srcOff, int n0, int n1, int width,
                                 int from, int to) {
        for (int i = from; i < to; i++) {
            ScalarKernels.copyRows(dst, dstOff + i * width, n0 * width, src, srcOff + i * n1 * width, width, n1, width);
        }
    }

    // ---------------------------------------------------------------- cells

    /** Vanilla RNN activation in place (tanh or relu). */
    public static void rnnActivate(float[] pre, int off, int len, boolean relu) {
        assert range("pre", pre, off, len);
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.RNN_ACTIVATE, len);
            if (task != null) {
                task.arrays(pre, null, null, null, null, null, null).offsets(off, 0, 0, 0, 0, 0, 0);
                task.relu = relu;
                task.split(len);
                return;
            }
            SimdKernels.rnnActivate(pre, off, len, relu);
        } else {
            ScalarKernels.rnnActivate(pre, off, len, relu);
        }
    }

    /** Vanilla RNN activation backward from the output h; dPre may be the same range as h or dh. */
    public static void rnnActivateBackward(float[] dPre, int dPreOff, float[] h, int hOff,
                                           float[] dh, int dhOff, int len, boolean relu) {
        assert range("dPre", dPre, dPreOff, len) && range("h", h, hOff, len) && range("dh", dh, dhOff, len);
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.RNN_ACTIVATE_BACKWARD, len);
            if (task != null) {
                task.arrays(dPre, h, dh, null, null, null, null).offsets(dPreOff, hOff, dhOff, 0, 0, 0, 0);
                task.relu = relu;
                task.split(len);
                return;
            }
            SimdKernels.rnnActivateBackward(dPre, dPreOff, h, hOff, dh, dhOff, len, relu);
        } else {
            ScalarKernels.rnnActivateBackward(dPre, dPreOff, h, hOff, dh, dhOff, len, relu);
        }
    }

    /** LSTM pointwise forward; see {@link ScalarKernels#lstmForward}. c may be the same range as cPrev. */
    public static void lstmForward(float[] gates, int gOff, float[] cPrev, int cPrevOff,
                                   float[] c, int cOff, float[] h, int hOff, int batch, int hidden) {
        long bh = (long) batch * hidden;
        assert range("gates", gates, gOff, 4 * bh) && range("cPrev", cPrev, cPrevOff, bh)
                && range("c", c, cOff, bh) && range("h", h, hOff, bh);
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.LSTM_FORWARD, bh);
            if (task != null) {
                task.arrays(gates, cPrev, c, h, null, null, null).offsets(gOff, cPrevOff, cOff, hOff, 0, 0, 0);
                task.batchRows(batch, hidden);
                return;
            }
            SimdKernels.lstmForward(gates, gOff, cPrev, cPrevOff, c, cOff, h, hOff, batch, hidden);
        } else {
            ScalarKernels.lstmForward(gates, gOff, cPrev, cPrevOff, c, cOff, h, hOff, batch, hidden);
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
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.LSTM_BACKWARD, bh);
            if (task != null) {
                task.arrays(dGates, gates, cPrev, c, dh, dc, null).offsets(dgOff, gOff, cPrevOff, cOff, dhOff, dcOff, 0);
                task.batchRows(batch, hidden);
                return;
            }
            SimdKernels.lstmBackward(dGates, dgOff, gates, gOff, cPrev, cPrevOff, c, cOff, dh, dhOff, dc, dcOff, batch, hidden);
        } else {
            ScalarKernels.lstmBackward(dGates, dgOff, gates, gOff, cPrev, cPrevOff, c, cOff, dh, dhOff, dc, dcOff, batch, hidden);
        }
    }

    /** GRU pointwise forward; see {@link ScalarKernels#gruForward}. h may be the same range as hPrev. */
    public static void gruForward(float[] gates, int gOff, float[] hProj, int hpOff, float[] hnCache, int hnOff,
                                  float[] hPrev, int hPrevOff, float[] h, int hOff, int batch, int hidden) {
        long bh = (long) batch * hidden;
        assert range("gates", gates, gOff, 3 * bh) && range("hProj", hProj, hpOff, 3 * bh)
                && range("hnCache", hnCache, hnOff, bh) && range("hPrev", hPrev, hPrevOff, bh)
                && range("h", h, hOff, bh);
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.GRU_FORWARD, bh);
            if (task != null) {
                task.arrays(gates, hProj, hnCache, hPrev, h, null, null).offsets(gOff, hpOff, hnOff, hPrevOff, hOff, 0, 0);
                task.batchRows(batch, hidden);
                return;
            }
            SimdKernels.gruForward(gates, gOff, hProj, hpOff, hnCache, hnOff, hPrev, hPrevOff, h, hOff, batch, hidden);
        } else {
            ScalarKernels.gruForward(gates, gOff, hProj, hpOff, hnCache, hnOff, hPrev, hPrevOff, h, hOff, batch, hidden);
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
        if (SIMD) {
            GateTask task = GateTask.of(GateTask.GRU_BACKWARD, bh);
            if (task != null) {
                task.arrays(dPreIh, dPreHh, gates, hnCache, hPrev, dh, dhPrev)
                        .offsets(dIhOff, dHhOff, gOff, hnOff, hPrevOff, dhOff, dhPrevOff);
                task.batchRows(batch, hidden);
                return;
            }
            SimdKernels.gruBackward(dPreIh, dIhOff, dPreHh, dHhOff, gates, gOff, hnCache, hnOff,
                    hPrev, hPrevOff, dh, dhOff, dhPrev, dhPrevOff, batch, hidden);
        } else {
            ScalarKernels.gruBackward(dPreIh, dIhOff, dPreHh, dHhOff, gates, gOff, hnCache, hnOff,
                    hPrev, hPrevOff, dh, dhOff, dhPrev, dhPrevOff, batch, hidden);
        }
    }

    // ---------------------------------------------------------------- gate math over two threads

    /**
     * One call of a gate kernel (or of the row softmax, {@link #sum}, {@link #swapAxes} or
     * {@link #addRowVector}), its arguments held in fields so that {@link Parallel#rows} can share
     * its batch rows (or chunks of elements) between the threads without allocating: one instance
     * per calling thread, refilled at each call. The results do not depend on the split; the
     * kernels have no sums across rows.
     */
    static final class GateTask implements Parallel.RowTask {
        static final int RNN_ACTIVATE = 0, RNN_ACTIVATE_BACKWARD = 1, LSTM_FORWARD = 2, LSTM_BACKWARD = 3,
                GRU_FORWARD = 4, GRU_BACKWARD = 5, SOFTMAX_ROWS = 6, SUM = 7, SWAP_AXES = 8, ADD_ROW_VECTOR = 9;
        /**
         * Elements below which a gate kernel stays on one thread. A hand-over costs well under a
         * microsecond to an awake helper; from B·H = 2048 (B = 32, H = 64) the split pays, since
         * each core then updates the batch rows whose gates it computed (see
         * {@code Parallel.ROW_SPLIT_MAX_B_FLOATS}).
         */
        static final long MIN_SPLIT_ELEMENTS = 2048;
        /** Elements per row of the flat ranges (the vanilla RNN's and {@link #sum}'s). */
        static final int CHUNK = 256;
        private static final ThreadLocal<GateTask> PER_THREAD = ThreadLocal.withInitial(GateTask::new);

        int kind;
        float[] x0, x1, x2, x3, x4, x5, x6;
        int o0, o1, o2, o3, o4, o5, o6;
        double[] logSumExp;
        int hidden, length;
        int n0, n1;        // swapAxes: src [n0, n1, hidden]
        boolean relu;

        /** This thread's task for {@code kind}, or null when {@code elements} do not pay for a split. */
        static GateTask of(int kind, long elements) {
            if (Parallel.THREADS < 2 || elements < MIN_SPLIT_ELEMENTS) {
                return null;
            }
            GateTask task = PER_THREAD.get();
            task.kind = kind;
            return task;
        }

        GateTask arrays(float[] x0, float[] x1, float[] x2, float[] x3, float[] x4, float[] x5, float[] x6) {
            this.x0 = x0;
            this.x1 = x1;
            this.x2 = x2;
            this.x3 = x3;
            this.x4 = x4;
            this.x5 = x5;
            this.x6 = x6;
            return this;
        }

        GateTask offsets(int o0, int o1, int o2, int o3, int o4, int o5, int o6) {
            this.o0 = o0;
            this.o1 = o1;
            this.o2 = o2;
            this.o3 = o3;
            this.o4 = o4;
            this.o5 = o5;
            this.o6 = o6;
            return this;
        }

        /** Runs {@link Kernels#swapAxes} over the {@code n0} rows of src's first axis. */
        void axes(int n0, int n1, int width) {
            this.n0 = n0;
            this.n1 = n1;
            this.hidden = width;
            run(n0);
        }

        /** Runs over {@code batch} rows of {@code hidden} units. */
        void batchRows(int batch, int hidden) {
            this.hidden = hidden;
            run(batch);
        }

        /** Runs over a flat range of {@code length} elements, in chunks of {@link #CHUNK}. */
        void split(int length) {
            this.length = length;
            run((length + CHUNK - 1) / CHUNK);
        }

        private void run(int rows) {
            try {
                Parallel.rows(this, rows);
            } finally {
                arrays(null, null, null, null, null, null, null); // keep no arrays alive
                logSumExp = null;
            }
        }

        @Override
        public void run(int from, int to) {
            int h = hidden, rows = to - from;
            switch (kind) {
                case RNN_ACTIVATE: {
                    int start = from * CHUNK, len = Math.min(length, to * CHUNK) - start;
                    SimdKernels.rnnActivate(x0, o0 + start, len, relu);
                    break;
                }
                case RNN_ACTIVATE_BACKWARD: {
                    int start = from * CHUNK, len = Math.min(length, to * CHUNK) - start;
                    SimdKernels.rnnActivateBackward(x0, o0 + start, x1, o1 + start, x2, o2 + start, len, relu);
                    break;
                }
                case LSTM_FORWARD:
                    SimdKernels.lstmForward(x0, o0 + from * 4 * h, x1, o1 + from * h, x2, o2 + from * h,
                            x3, o3 + from * h, rows, h);
                    break;
                case LSTM_BACKWARD:
                    SimdKernels.lstmBackward(x0, o0 + from * 4 * h, x1, o1 + from * 4 * h, x2, o2 + from * h,
                            x3, o3 + from * h, x4, o4 + from * h, x5, o5 + from * h, rows, h);
                    break;
                case GRU_FORWARD:
                    SimdKernels.gruForward(x0, o0 + from * 3 * h, x1, o1 + from * 3 * h, x2, o2 + from * h,
                            x3, o3 + from * h, x4, o4 + from * h, rows, h);
                    break;
                case GRU_BACKWARD:
                    SimdKernels.gruBackward(x0, o0 + from * 3 * h, x1, o1 + from * 3 * h, x2, o2 + from * 3 * h,
                            x3, o3 + from * h, x4, o4 + from * h, x5, o5 + from * h, x6, o6 + from * h, rows, h);
                    break;
                case SUM: {
                    int start = from * CHUNK, len = Math.min(length, to * CHUNK) - start;
                    SimdKernels.sum(x0, o0 + start, x1, o1 + start, x2, o2 + start, len);
                    break;
                }
                case ADD_ROW_VECTOR:
                    SimdKernels.addRowVector(x0, o0 + from * h, x1, o1, rows, h);
                    break;
                case SWAP_AXES:
                    swapAxes(x0, o0, x1, o1, n0, n1, h, from, to);
                    break;
                case SOFTMAX_ROWS:
                    // hidden is the row width here; logSumExp is indexed by row
                    SimdKernels.softmaxRows(x0, o0 + from * h, x1, o1 + from * h, rows, h, logSumExp, from);
                    break;
                default:
                    throw new AssertionError(kind);
            }
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
