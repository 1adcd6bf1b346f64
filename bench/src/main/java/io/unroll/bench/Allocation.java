package io.unroll.bench;

import java.lang.management.ManagementFactory;

/**
 * Heap bytes allocated per iteration while the timed runs went on, read from the JVM's per-thread
 * allocation counters ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}), which
 * count exactly. {@code allThreads} adds every live thread (kernel helpers included), so a kernel
 * that allocates on its worker threads shows up too; a thread that ended during the runs is not
 * counted.
 *
 * @param thisThread bytes per iteration allocated by the benchmark thread
 * @param allThreads bytes per iteration allocated by all threads alive when the runs began
 * @param iterations iterations the counts were taken over
 */
public record Allocation(double thisThread, double allThreads, long iterations) {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Whether the JVM can count allocations per thread (HotSpot can; it is switched on here). */
    static boolean supported() {
        if (!THREADS.isThreadAllocatedMemorySupported()) {
            return false;
        }
        if (!THREADS.isThreadAllocatedMemoryEnabled()) {
            THREADS.setThreadAllocatedMemoryEnabled(true);
        }
        return true;
    }

    /**
     * Counter readings at one moment. {@link #start()} allocates its arrays before it reads, and
     * {@link #readInto} reads into them, so taking readings adds nothing to what they measure.
     */
    static final class Counter {
        private final long self;
        private final long[] ids;
        private final long[] start;
        private final long[] end;
        private long selfStart;

        private Counter() {
            self = Thread.currentThread().getId();
            ids = THREADS.getAllThreadIds();
            start = new long[ids.length];
            end = new long[ids.length];
        }

        /** Takes the first reading; {@code null} when the JVM cannot count. */
        static Counter start() {
            if (!supported()) {
                return null;
            }
            Counter c = new Counter();
            readInto(c.ids, c.start);
            c.selfStart = THREADS.getThreadAllocatedBytes(c.self);
            return c;
        }

        /** Takes the second reading and returns bytes per iteration over {@code iterations}. */
        Allocation stop(long iterations) {
            long selfEnd = THREADS.getThreadAllocatedBytes(self);
            readInto(ids, end);
            long all = 0;
            for (int i = 0; i < ids.length; i++) {
                if (start[i] >= 0 && end[i] >= 0) {
                    all += end[i] - start[i];
                }
            }
            long n = Math.max(1, iterations);
            return new Allocation((double) (selfEnd - selfStart) / n, (double) all / n, iterations);
        }

        private static void readInto(long[] ids, long[] into) {
            for (int i = 0; i < ids.length; i++) {
                into[i] = THREADS.getThreadAllocatedBytes(ids[i]);
            }
        }
    }
}
