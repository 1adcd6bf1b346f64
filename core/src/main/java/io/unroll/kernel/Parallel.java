package io.unroll.kernel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Deterministic multi-threading of the big {@link SimdGemm} products, and of row-wise kernels
 * ({@link #rows}).
 *
 * <p>A product is split into disjoint ranges of C's rows (or, when C has too few rows, of its
 * columns), cut at multiples of the kernels' register tiles; every element of C is computed by
 * exactly one thread. Since {@link SimdGemm} computes each element with the same sequence of
 * operations wherever it falls, the result is bit-identical to the single-thread one, whatever the
 * number of threads and from run to run. There are no shared sums to race on.
 *
 * <p>Calls with fewer than {@link #MIN_SPLIT_WORK} multiply-adds ({@code m·n·k}) stay on the
 * caller's thread, lone rows below {@link #MIN_SPLIT_ROW_WORK}. The caller always computes one share itself; the other shares go to
 * {@code threads - 1} persistent daemon helpers. After a job a helper spins for
 * {@link #BUSY_SPIN_NANOS}, which covers the gap between the steps of a recurrent time loop, then
 * keeps checking while yielding its core (so the JIT's threads are not starved on a small
 * machine) until {@link #SPIN_NANOS}, then parks. The pool serves one caller at a time; a
 * GEMM issued while it is busy, from another thread, runs on its own thread, with the same
 * result.
 *
 * <p>The system property {@code unroll.threads} (default: the number of available processors)
 * sets the thread count, the caller included; 1 disables the helpers. The thresholds below were
 * measured on two cores; the figures are in docs/engine.md#two-threads.
 */
final class Parallel {
    private Parallel() {}

    /** Threads a split call may use, the caller included. */
    static final int THREADS = threadsFromProperty(System.getProperty(KernelProperties.THREADS));
    /**
     * Multiply-adds below which splitting does not pay: the work on one thread is then too short
     * for what handing a share to a helper costs, let alone waking a parked one.
     */
    static final long MIN_SPLIT_WORK = 1L << 18;
    /**
     * Multiply-adds above which a lone row ({@code m = 1}, a streaming step) is split after all,
     * if every thread gets a full lone-row tile of columns: it is bound by reading B from the
     * cache, and two cores, each reading its own half of B from its own L2, read it faster.
     */
    static final long MIN_SPLIT_ROW_WORK = 1L << 15;
    /**
     * How long a waiting thread spins without giving up its core: long enough to catch the next
     * step of a time loop. A yield can cost a whole time slice when anything else is runnable.
     */
    private static final long BUSY_SPIN_NANOS = 20_000;
    /** How long an idle helper stays awake, yielding between checks, before it parks. */
    private static final long SPIN_NANOS = 200_000;

    /**
     * Floats of B up to which a short, wide product ({@code m < n}: a small model's step,
     * {@code h W_hhᵀ} with m = B) is split by rows after all. Each core then reads all of B, which
     * at 128 KB its own L2 serves cheaply, and computes whole batch rows, the same rows the gate
     * kernels give it next ({@link Kernels}' row split), so a step's gates and hidden state stay
     * in the cache of the core that made them instead of crossing to the other.
     */
    static final long ROW_SPLIT_MAX_B_FLOATS = 32 * 1024;

    /** The GEMM variants of {@link SimdGemm}. */
    enum Gemm { NN, NN_ADD, TN_ADD, NN_PANELS, NN_PANELS_ADD }

    /**
     * Runs {@code op} on {@code C[m,n]}, {@code A}, {@code B} with the arguments of the
     * {@link Kernels} method of the same name, split over {@link #THREADS} threads when it is
     * big enough.
     */
    static void gemm(Gemm op, float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        long work = (long) m * n * k;
        boolean split = work >= MIN_SPLIT_WORK
                || m == 1 && work >= MIN_SPLIT_ROW_WORK && n >= THREADS * SimdGemm.WIDE_ROW_COLUMNS;
        int parts = THREADS > 1 && split ? THREADS : 1;
        gemm(op, c, cOff, a, aOff, b, bOff, m, n, k, parts);
    }

    /**
     * Runs {@code op} split into at most {@code parts} ranges, shared round-robin between the
     * caller and the helpers; with more parts than threads some threads run several ranges.
     */
    static void gemm(Gemm op, float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                     int m, int n, int k, int parts) {
        if (parts > 1 && m > 0 && n > 0) {
            Pool pool = Pool.INSTANCE;
            if (pool.busy.compareAndSet(false, true)) {
                try {
                    pool.run(op, c, cOff, a, aOff, b, bOff, m, n, k, parts);
                } finally {
                    pool.busy.set(false);
                }
                return;
            }
        }
        run(op, c, cOff, a, aOff, b, bOff, m, n, k, true, 0, m);
    }

    /** Work over rows {@code [from, to)} of something, any range independent of the others. */
    interface RowTask {
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over {@code [0, rows)}, the range split over {@link #THREADS} threads (the
     * caller takes the first share) when the pool is free; the caller checks that it pays.
     */
    static void rows(RowTask task, int rows) {
        if (THREADS > 1 && rows > 1) {
            Pool pool = Pool.INSTANCE;
            if (pool.busy.compareAndSet(false, true)) {
                try {
                    pool.runRows(task, rows);
                } finally {
                    pool.busy.set(false);
                }
                return;
            }
        }
        task.run(0, rows);
    }

    /**
     * Computes rows {@code [from, to)} of C ({@code byRows}) or its columns {@code [from, to)}.
     * The offsets move to the range; the leading dimensions stay those of the whole matrices.
     */
    static void run(Gemm op, float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                    int m, int n, int k, boolean byRows, int from, int to) {
        int row = byRows ? from : 0, rows = byRows ? to - from : m;
        int col = byRows ? 0 : from, cols = byRows ? n : to - from;
        int cAt = cOff + row * n + col;
        switch (op) {
            case NN:
            case NN_ADD:
                SimdGemm.gemmRowBlocks(c, cAt, n, a, aOff + row * k, k, b, bOff + col, n,
                        rows, cols, k, op == Gemm.NN_ADD);
                break;
            case NN_PANELS:
            case NN_PANELS_ADD:
                // a column range starts on a panel: the unit of a column split
                SimdGemm.gemmPanelRowBlocks(c, cAt, n, a, aOff + row * k, k, 1, b, bOff, n, col,
                        rows, cols, k, op == Gemm.NN_PANELS_ADD);
                break;
            case TN_ADD:
                // A is [k, m]: C's rows are A's columns
                SimdGemm.gemmTNPacked(c, cAt, n, a, aOff + row, m, b, bOff + col, n, rows, cols, k);
                break;
            default:
                throw new AssertionError(op);
        }
    }

    /** The thread count the {@code unroll.threads} property asks for: unset means every available processor. */
    static int threadsFromProperty(String value) {
        return KernelProperties.threads(value);
    }

    /** The helpers and the one job they share. */
    private static final class Pool {
        static final Pool INSTANCE = new Pool(THREADS - 1);

        final AtomicBoolean busy = new AtomicBoolean();
        final Helper[] helpers;
        final Job job = new Job();
        long generation;

        Pool(int helperCount) {
            helpers = new Helper[helperCount];
            for (int h = 0; h < helperCount; h++) {
                helpers[h] = new Helper(this, h + 1);
                helpers[h].start();
            }
        }

        /** Called only by the thread that holds {@link #busy}. */
        void run(Gemm op, float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                 int m, int n, int k, int parts) {
            Job j = job;
            j.plan(op, c, cOff, a, aOff, b, bOff, m, n, k, parts, helpers.length + 1);
            if (j.parts <= 1) {
                j.clear();
                Parallel.run(op, c, cOff, a, aOff, b, bOff, m, n, k, true, 0, m);
                return;
            }
            share(j);
        }

        /** Called only by the thread that holds {@link #busy}. */
        void runRows(RowTask task, int rows) {
            Job j = job;
            j.planRows(task, rows, helpers.length + 1);
            share(j);
        }

        /** Posts the planned job to the helpers, runs the first share, waits for the others. */
        private void share(Job j) {
            long g = ++generation;
            int posted = Math.min(helpers.length, j.workers - 1);
            for (int h = 0; h < posted; h++) {
                helpers[h].post(g);
            }
            Throwable failure = null;
            try {
                j.runShare(0);
            } catch (Throwable t) {
                failure = t;
            }
            // Wait for every posted helper even when our share failed: they still write into C.
            for (int h = 0; h < posted; h++) {
                Throwable helperFailure = helpers[h].awaitDone(g);
                if (failure == null) {
                    failure = helperFailure;
                }
            }
            j.clear();
            if (failure instanceof RuntimeException) {
                throw (RuntimeException) failure;
            }
            if (failure instanceof Error) {
                throw (Error) failure;
            }
        }
    }

    /** One split GEMM: its arguments and how it is cut into parts. */
    private static final class Job {
        Gemm op;
        RowTask task; // a rows job instead of a GEMM, or null
        float[] c, a, b;
        int cOff, aOff, bOff, m, n, k;
        boolean byRows;
        int unit, extent, units, parts, workers;

        void planRows(RowTask task, int rows, int threads) {
            this.task = task;
            byRows = true;
            unit = 1;
            extent = rows;
            units = rows;
            parts = Math.min(threads, rows);
            workers = parts;
        }

        void plan(Gemm op, float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                  int m, int n, int k, int parts, int threads) {
            this.op = op;
            this.task = null;
            this.c = c;
            this.a = a;
            this.b = b;
            this.cOff = cOff;
            this.aOff = aOff;
            this.bOff = bOff;
            this.m = m;
            this.n = n;
            this.k = k;
            boolean panels = op == Gemm.NN_PANELS || op == Gemm.NN_PANELS_ADD;
            int columnUnit = panels ? Kernels.PANEL_COLUMNS : SimdGemm.BROADCAST_TILE_COLUMNS;
            // A thread reads its share of A and all of B when C is split by rows, all of A and its
            // share of B when split by columns: rows read less when m >= n (the input projection,
            // the weight gradients), columns when n > m (a step's h·W_hhᵀ, where each core then
            // keeps only its half of the weights in its own L2), unless B is small enough for
            // each core to keep all of it (ROW_SPLIT_MAX_B_FLOATS). Columns only if they split at all.
            boolean rowsSplit = m >= parts * SimdGemm.TILE_ROWS
                    || ceilDiv(m, SimdGemm.TILE_ROWS) >= ceilDiv(n, columnUnit);
            boolean columnsSplit = n >= parts * columnUnit;
            byRows = rowsSplit && (m >= n || !columnsSplit || (long) k * n <= ROW_SPLIT_MAX_B_FLOATS);
            unit = byRows ? SimdGemm.TILE_ROWS : columnUnit;
            extent = byRows ? m : n;
            units = ceilDiv(extent, unit);
            this.parts = Math.min(parts, units);
            workers = Math.min(threads, this.parts);
        }

        /** Runs the parts {@code worker, worker + workers, ...}. */
        void runShare(int worker) {
            for (int p = worker; p < parts; p += workers) {
                int from = (int) ((long) p * units / parts) * unit;
                int to = Math.min(extent, (int) ((long) (p + 1) * units / parts) * unit);
                if (task != null) {
                    task.run(from, to);
                } else {
                    run(op, c, cOff, a, aOff, b, bOff, m, n, k, byRows, from, to);
                }
            }
        }

        /** Drops the array references so an idle pool keeps no matrices alive. */
        void clear() {
            task = null;
            c = null;
            a = null;
            b = null;
        }

        private static int ceilDiv(int x, int y) {
            return (x + y - 1) / y;
        }
    }

    /** A daemon thread that runs its share of each job posted to it. */
    private static final class Helper extends Thread {
        private final Pool pool;
        private final int worker;
        private volatile long posted;
        private volatile long done;
        private volatile boolean parked;
        /** Written before {@link #done}, read after it. */
        private Throwable failure;

        Helper(Pool pool, int worker) {
            super("unroll-kernel-" + worker);
            this.pool = pool;
            this.worker = worker;
            setDaemon(true);
        }

        void post(long generation) {
            posted = generation;
            // Pairs with the check in awaitPosted: one of the two sides sees the other's write.
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        Throwable awaitDone(long generation) {
            long since = System.nanoTime();
            for (int spins = 0; done != generation; spins++) {
                if ((spins & 63) == 63 && System.nanoTime() - since > BUSY_SPIN_NANOS) {
                    // the helper may be waiting for a core: let it have ours
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
            Throwable t = failure;
            failure = null;
            return t;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                seen = awaitPosted(seen);
                try {
                    pool.job.runShare(worker);
                } catch (Throwable t) {
                    failure = t;
                }
                done = seen;
            }
        }

        private long awaitPosted(long seen) {
            long idleSince = System.nanoTime();
            for (int spins = 0; ; spins++) {
                long g = posted;
                if (g != seen) {
                    return g;
                }
                if ((spins & 63) != 63) {
                    Thread.onSpinWait();
                    continue;
                }
                long idle = System.nanoTime() - idleSince;
                if (idle < BUSY_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (idle < SPIN_NANOS) {
                    // still awake, but the JIT's threads get the core when they need it
                    Thread.yield();
                } else {
                    parked = true;
                    if (posted == seen) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
