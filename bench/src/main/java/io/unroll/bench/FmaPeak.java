package io.unroll.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's single-precision FMA peak as Java sees it, measured with the Vector API: 16
 * independent accumulators of the preferred species, each updated {@code acc = acc·a + b} every
 * iteration (a fused multiply-add, 2 FLOP per lane), enough to cover the FMA latency on every
 * pipe. It runs first on one thread alone (the per-core figure), then on {@code threads} threads
 * at once (the machine total, which is what "share of peak" is measured against). Each figure is
 * the best of several runs: noise only ever lowers a peak.
 *
 * @param species       the preferred species, e.g. {@code Species[float, 16, S_512_BIT]}
 * @param vectorBits    its width in bits
 * @param perCoreGflops GFLOP/s of one thread alone
 * @param totalGflops   GFLOP/s of {@code threads} threads at once
 * @param threads       threads in the total (the number of cores)
 */
public record FmaPeak(String species, int vectorBits, double perCoreGflops, double totalGflops, int threads) {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ACCUMULATORS = 16;
    private static final int REPEATS = 5;

    /** The peak available to {@code n} threads: the measured total on all cores, else n × per core. */
    public double gflopsFor(int n) {
        return n >= threads ? totalGflops : n * perCoreGflops;
    }

    /**
     * Measures the peak: a JIT warm-up, then {@value #REPEATS} runs of about {@code runSeconds}
     * on one thread and as many on {@code threads} threads together.
     */
    public static FmaPeak measure(int threads, double runSeconds) {
        // warm-up: let C2 compile the loop, and find how many iterations take runSeconds
        int iterations = 1 << 12;
        long deadline = System.nanoTime() + (long) (Math.max(runSeconds, 0.05) * 4e9);
        double perIteration = Double.NaN;
        float sink = 0;
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            sink += loop(iterations);
            perIteration = (double) (System.nanoTime() - t0) / iterations;
            if (perIteration * iterations < 1e7) {
                iterations = Math.min(iterations * 2, 1 << 30);
            }
        }
        int runIterations = (int) Math.max(1, Math.min(1 << 30, runSeconds * 1e9 / perIteration));
        double flopsPerThread = 2.0 * ACCUMULATORS * S.length() * runIterations;
        double single = 0;
        double total = 0;
        for (int r = 0; r < REPEATS; r++) {
            long t0 = System.nanoTime();
            sink += loop(runIterations);
            single = Math.max(single, flopsPerThread / (System.nanoTime() - t0));
            total = Math.max(total, threads * flopsPerThread / together(threads, runIterations));
        }
        if (sink == 42.4242f) {
            // never true; keeps the JIT from discarding the loops' results
            throw new AssertionError(sink);
        }
        return new FmaPeak(S.toString(), S.vectorBitSize(), single, total, threads);
    }

    /**
     * Nanoseconds for {@code threads} threads to run {@code iterations} each, released together:
     * from the first start to the last end, as each worker reads the clock itself (the releasing
     * thread may not even be scheduled while the workers run).
     */
    private static long together(int threads, int iterations) {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> workers = new ArrayList<>();
        long[] begin = new long[threads];
        long[] end = new long[threads];
        float[] sinks = new float[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException | BrokenBarrierException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                begin[id] = System.nanoTime();
                sinks[id] = loop(iterations);
                end[id] = System.nanoTime();
            }, "fma-peak-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        try {
            for (Thread t : workers) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("FMA peak measurement interrupted", e);
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (int i = 0; i < threads; i++) {
            if (end[i] == 0) {
                throw new IllegalStateException("FMA peak measurement interrupted");
            }
            first = Math.min(first, begin[i]);
            last = Math.max(last, end[i]);
        }
        return last - first;
    }

    /**
     * The FMA loop: 16 independent accumulators, straight-line in one method so no vector ever
     * leaves registers. {@code a} just below 1 and {@code b} tiny keep the values finite and normal.
     */
    static float loop(int iterations) {
        FloatVector a = FloatVector.broadcast(S, 0.99999994f);
        FloatVector b = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(S, 0.50f);
        FloatVector c1 = FloatVector.broadcast(S, 0.51f);
        FloatVector c2 = FloatVector.broadcast(S, 0.52f);
        FloatVector c3 = FloatVector.broadcast(S, 0.53f);
        FloatVector c4 = FloatVector.broadcast(S, 0.54f);
        FloatVector c5 = FloatVector.broadcast(S, 0.55f);
        FloatVector c6 = FloatVector.broadcast(S, 0.56f);
        FloatVector c7 = FloatVector.broadcast(S, 0.57f);
        FloatVector c8 = FloatVector.broadcast(S, 0.58f);
        FloatVector c9 = FloatVector.broadcast(S, 0.59f);
        FloatVector c10 = FloatVector.broadcast(S, 0.60f);
        FloatVector c11 = FloatVector.broadcast(S, 0.61f);
        FloatVector c12 = FloatVector.broadcast(S, 0.62f);
        FloatVector c13 = FloatVector.broadcast(S, 0.63f);
        FloatVector c14 = FloatVector.broadcast(S, 0.64f);
        FloatVector c15 = FloatVector.broadcast(S, 0.65f);
        for (int i = 0; i < iterations; i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
            c12 = c12.fma(a, b);
            c13 = c13.fma(a, b);
            c14 = c14.fma(a, b);
            c15 = c15.fma(a, b);
        }
        FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7)
                .add(c8).add(c9).add(c10).add(c11).add(c12).add(c13).add(c14).add(c15);
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
