package io.unroll.cli;

import io.unroll.tensor.Memory;
import java.lang.management.ManagementFactory;
import picocli.CommandLine.ParseResult;

/**
 * What {@link Main} says when memory runs short: for a task the library refused up front
 * ({@link Memory.InsufficientMemoryException}) and, the last resort, for an
 * {@link OutOfMemoryError}: which command ran out, with which heap, and how to give the JVM more
 * through the launcher, when this machine has that much.
 */
final class MemoryAdvice {
    /** The launcher's environment variable for JVM options. */
    static final String UNROLL_JAVA_OPTS = "UNROLL_JAVA_OPTS";

    private MemoryAdvice() {
    }

    /** {@code unroll train ran out of memory (Java heap space) with a maximum heap of ...; use smaller sizes, or ...}. */
    static String outOfMemory(OutOfMemoryError e, ParseResult parseResult) {
        String command = "unroll";
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            command = p.commandSpec().qualifiedName();
        }
        String what = e.getMessage() == null ? "" : e.getMessage();
        if (what.contains("array size")) {
            return command + " asked for an array larger than the JVM allows (" + what + "); use smaller sizes";
        }
        String line = command + " ran out of memory (" + (what.isEmpty() ? "OutOfMemoryError" : what) + ")";
        if (what.isEmpty() || what.contains("heap") || what.contains("GC overhead")) {
            long limit = Memory.heapLimit();
            String more = giveMore(2 * limit);
            line += " with a maximum heap of " + Memory.format(limit) + "; use smaller sizes" + (more == null ? "" : ", or " + more);
        }
        return line;
    }

    /** How to get a heap for a task that needs {@code required} bytes, a quarter more to spare; or that this machine has too little. */
    static String largerHeap(long required) {
        String more = giveMore(required + required / 4);
        return more != null ? more : "a heap that large does not fit this machine's " + Memory.format(physicalMemory()) + " of memory";
    }

    /**
     * How to give the JVM a heap of {@code bytes}: the launcher's variable with an {@code -Xmx} of
     * whole gigabytes; null when this machine does not have that much memory.
     */
    private static String giveMore(long bytes) {
        long physical = physicalMemory();
        if (physical > 0 && bytes > physical) {
            return null;
        }
        return "give the JVM more memory: the launcher takes its options from " + UNROLL_JAVA_OPTS + ", e.g. "
                + UNROLL_JAVA_OPTS + "=-Xmx" + Math.max(1, (bytes + (1L << 30) - 1) >> 30) + "g";
    }

    /** This machine's memory in bytes (a container's limit inside one), or 0 if the JVM does not say. */
    private static long physicalMemory() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : 0;
    }
}
