package io.unroll.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unroll.kernel.Parallel.Gemm;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Parallel}: a split GEMM equals the single-thread one bit for bit, by rows and by columns,
 * for any number of parts, run after run and with concurrent callers; helper failures reach the
 * caller; helpers are daemons; the thread count property is validated.
 */
class ParallelTest {
    private final SplittableRandom random = new SplittableRandom(42);

    @Test
    void splitResultIsBitIdenticalToSingleThread() {
        int[][] shapes = {
            {67, 301, 129},  // split by rows, odd sizes everywhere
            {3, 1000, 70},   // too few rows: split by columns
            {32, 256, 64},   // short and wide, but B small: split by rows (a small model's step)
            {130, 5, 40},    // narrow C
            {600, 150, 300}, // blocks of rows and of k; A copied for dGatesᵀX, B too in 2 or 3 parts
        };
        for (Gemm op : Gemm.values()) {
            for (int[] shape : shapes) {
                int m = shape[0], n = shape[1], k = shape[2];
                float[] a = random(m * k), b = random(n * k), c0 = random(m * n);
                float[] single = c0.clone();
                Parallel.gemm(op, single, 0, a, 0, b, 0, m, n, k, 1);
                for (int parts : new int[] {2, 3, 7}) {
                    float[] split = c0.clone();
                    Parallel.gemm(op, split, 0, a, 0, b, 0, m, n, k, parts);
                    if (!Arrays.equals(single, split)) {
                        fail(op + " " + Arrays.toString(shape) + " in " + parts + " parts differs from one thread");
                    }
                }
            }
        }
    }

    @Test
    void facadeIsDeterministicRunToRun() {
        // big enough to be split when more than one thread is available
        int m = 96, n = 512, k = 256;
        float[] a = random(m * k), b = random(n * k);
        float[] single = new float[m * n];
        SimdGemm.gemmNN(single, 0, a, 0, b, 0, m, n, k);
        for (int run = 0; run < 20; run++) {
            float[] c = new float[m * n];
            Kernels.gemmNN(c, 0, a, 0, b, 0, m, n, k);
            if (!Arrays.equals(single, c)) {
                fail("run " + run + " differs from the single-thread result");
            }
        }
    }

    @Test
    void concurrentCallersGetTheirOwnResults() throws InterruptedException {
        // while one caller holds the helpers, the other computes on its own thread
        int m = 64, n = 256, k = 128;
        float[] a = random(m * k), b = random(n * k);
        float[] expected = new float[m * n];
        SimdGemm.gemmNN(expected, 0, a, 0, b, 0, m, n, k);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] callers = new Thread[3];
        for (int t = 0; t < callers.length; t++) {
            callers[t] = new Thread(() -> {
                try {
                    for (int run = 0; run < 50; run++) {
                        float[] c = new float[m * n];
                        Parallel.gemm(Gemm.NN, c, 0, a, 0, b, 0, m, n, k, 2);
                        assertTrue(Arrays.equals(expected, c), "run " + run);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            callers[t].start();
        }
        for (Thread caller : callers) {
            caller.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a concurrent caller failed", failure.get());
        }
    }

    @Test
    void failureInAShareReachesTheCallerAndThePoolRecovers() {
        // one row, so the split is by columns; B lacks its last rows, so only the last part fails
        int m = 1, n = 1000, k = 64;
        float[] a = random(m * k), shortB = random((n - 100) * k), c = new float[m * n];
        assertThrows(IndexOutOfBoundsException.class,
                () -> Parallel.gemm(Gemm.NN, c, 0, a, 0, shortB, 0, m, n, k, 2));

        float[] b = random(n * k), expected = new float[m * n], actual = new float[m * n];
        SimdGemm.gemmNN(expected, 0, a, 0, b, 0, m, n, k);
        Parallel.gemm(Gemm.NN, actual, 0, a, 0, b, 0, m, n, k, 2);
        assertTrue(Arrays.equals(expected, actual), "the pool works after a failure");
    }

    @Test
    void helpersAreDaemons() {
        float[] c = new float[64 * 64];
        Parallel.gemm(Gemm.NN, c, 0, random(64 * 64), 0, random(64 * 64), 0, 64, 64, 64, 2);
        long helpers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("unroll-kernel-"))
                .peek(t -> assertTrue(t.isDaemon(), t.getName() + " is not a daemon"))
                .count();
        assertEquals(Parallel.THREADS - 1, helpers);
    }

    @Test
    void threadCountProperty() {
        assertEquals(Runtime.getRuntime().availableProcessors(), Parallel.threadsFromProperty(null));
        assertEquals(3, Parallel.threadsFromProperty("3"));
        assertEquals(1, Parallel.threadsFromProperty(" 1 "));
        for (String bad : new String[] {"0", "-2", "two", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallel.threadsFromProperty(bad));
            assertTrue(e.getMessage().startsWith("system property unroll.threads is '" + bad + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("-Dunroll.threads=" + bad), e.getMessage());
            assertTrue(e.getMessage().contains(">= 1"), e.getMessage());
        }
    }

    private float[] random(int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        return x;
    }
}
