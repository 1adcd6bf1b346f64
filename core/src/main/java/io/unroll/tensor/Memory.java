package io.unroll.tensor;

import java.util.Locale;

/**
 * Weighing a planned allocation against the heap before it is made, so that a model or a text too
 * large for this JVM is refused up front with what it needs and what there is, instead of running
 * out of memory part way. The limit is the most the heap may grow to,
 * {@link Runtime#maxMemory()} (the JVM's {@code -Xmx}); estimates count the large arrays a task
 * allocates, so a task that passes can still run short when other things fill the heap.
 */
public final class Memory {
    private Memory() {}

    /** The most bytes the heap may grow to ({@code -Xmx}). */
    public static long heapLimit() {
        return Runtime.getRuntime().maxMemory();
    }

    /** {@link #require(String, long, long, String)} against {@link #heapLimit()}. */
    public static void require(String what, long bytes, String remedy) {
        require(what, bytes, heapLimit(), remedy);
    }

    /**
     * Checks that {@code bytes} fit in {@code limit}.
     *
     * @param what   what needs the memory, for the message: {@code training this model (...)}
     * @param remedy what would make it fit, for the message: {@code use a smaller hidden size}
     * @throws InsufficientMemoryException naming both sizes when they do not fit
     */
    public static void require(String what, long bytes, long limit, String remedy) {
        if (bytes > limit) {
            throw new InsufficientMemoryException(what + " needs about " + format(bytes) + ", more than the " + format(limit)
                    + " this JVM may use (its maximum heap, -Xmx); " + remedy, bytes, limit);
        }
    }

    /** Bytes for people: {@code 512 bytes}, {@code 3.4 KB}, {@code 12.0 MB}, {@code 25.8 GB} (powers of 1024). */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        String[] units = {"KB", "MB", "GB", "TB", "PB", "EB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** A task that would need more memory than the heap may hold; its message names both. */
    public static final class InsufficientMemoryException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final long required;
        private final long limit;

        InsufficientMemoryException(String message, long required, long limit) {
            super(message);
            this.required = required;
            this.limit = limit;
        }

        /** The bytes the task would need, about. */
        public long required() {
            return required;
        }

        /** The bytes the heap may hold. */
        public long limit() {
            return limit;
        }
    }
}
