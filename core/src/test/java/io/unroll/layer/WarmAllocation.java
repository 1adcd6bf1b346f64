package io.unroll.layer;

import java.lang.management.ManagementFactory;

/** Bytes a warm training step allocates, by the JVM's exact per-thread counter. */
final class WarmAllocation {
    private WarmAllocation() {}

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The bytes one run of {@code r} allocates on this thread. */
    static long bytes(Runnable r) {
        long thread = Thread.currentThread().getId();
        long before = THREADS.getThreadAllocatedBytes(thread);
        r.run();
        return THREADS.getThreadAllocatedBytes(thread) - before;
    }

    /**
     * The fewest bytes any window of {@code windowSteps} runs of {@code step} allocated on this
     * thread, looking until a window allocates nothing or {@code seconds} have passed. "Once warm"
     * needs the patience: until C2 has compiled every vector kernel, interpreted and C1 code box
     * vectors, and on a busy machine the compile queue can take seconds to reach the last one.
     */
    static long fewestBytesPerWindow(Runnable step, int windowSteps, double seconds) {
        return fewestBytesPerWindow(step, windowSteps, seconds, 0);
    }

    /** As {@link #fewestBytesPerWindow(Runnable, int, double)}, looking until a window allocates at most {@code floor}. */
    static long fewestBytesPerWindow(Runnable step, int windowSteps, double seconds, long floor) {
        long thread = Thread.currentThread().getId();
        long fewest = Long.MAX_VALUE;
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (fewest > floor && System.nanoTime() < deadline) {
            long before = THREADS.getThreadAllocatedBytes(thread);
            for (int i = 0; i < windowSteps; i++) {
                step.run();
            }
            fewest = Math.min(fewest, THREADS.getThreadAllocatedBytes(thread) - before);
        }
        return fewest;
    }
}
