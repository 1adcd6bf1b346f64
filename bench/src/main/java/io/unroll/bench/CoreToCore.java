package io.unroll.bench;

import java.util.Arrays;

/**
 * How close the two cores a two-thread step runs on are right now: the round trip of a value
 * between the calling thread and a partner thread, both spinning on one volatile field, in
 * nanoseconds.
 *
 * <p>Two-thread figures need it next to them. On the development machine (a 2-vCPU virtual
 * machine) the round trip is about 67 ns most of the time, but for seconds at a time it is about
 * 340 ns, as when the host runs the two vCPUs on cores that share no cache; then every hand-over
 * of a time step and every hidden state one core writes and the other reads costs five times as
 * much. Measured on the RNN H = 256 B = 32 training step: 13-14 ms at 67 ns, 17.6-18.3 ms at
 * 340 ns, while one thread (27 ms) and a pure FMA loop on both cores do not change.
 */
final class CoreToCore {
    private CoreToCore() {}

    private static final int BLOCKS = 5;
    /** A round trip that does not finish in this long means the partner is not running at all. */
    private static final long STALL_NANOS = 1_000_000_000L;

    /** The value passed back and forth, alone on its cache line. */
    @SuppressWarnings("unused") // the padding fields exist only to keep other data off the line
    private static final class Court {
        long p1, p2, p3, p4, p5, p6, p7;
        volatile long ball;
        long q1, q2, q3, q4, q5, q6, q7;
    }

    /**
     * The median over {@value #BLOCKS} blocks of about {@code seconds / BLOCKS} each of the
     * nanoseconds one round trip takes: this thread writes an odd number, the partner answers with
     * the next even one. NaN on a machine with one core, or if the partner never answers.
     */
    static double roundTripNanos(double seconds) {
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return Double.NaN;
        }
        Court court = new Court();
        Thread partner = new Thread(() -> {
            long seen = 0;
            while (true) {
                long b = court.ball;
                if (b < 0) {
                    return;
                }
                if (b != seen && (b & 1) == 1) {
                    court.ball = b + 1;
                    seen = b + 1;
                } else {
                    Thread.onSpinWait();
                }
            }
        }, "core-to-core");
        partner.setDaemon(true);
        partner.start();
        try {
            double[] blocks = new double[BLOCKS];
            long v = 0;
            for (int k = 0; k < BLOCKS; k++) {
                long start = System.nanoTime();
                long end = start + (long) (seconds * 1e9 / BLOCKS);
                long trips = 0;
                long now;
                do {
                    for (int i = 0; i < 256; i++) {
                        court.ball = v + 1;
                        long asked = 0; // read the clock only once the answer is late
                        for (int spins = 1; court.ball != v + 2; spins++) {
                            if ((spins & 1023) == 0) {
                                long t = System.nanoTime();
                                if (asked == 0) {
                                    asked = t;
                                } else if (t - asked > STALL_NANOS) {
                                    return Double.NaN;
                                }
                            }
                            Thread.onSpinWait();
                        }
                        v += 2;
                    }
                    trips += 256;
                    now = System.nanoTime();
                } while (now < end);
                blocks[k] = (double) (now - start) / trips;
            }
            Arrays.sort(blocks);
            return blocks[BLOCKS / 2];
        } finally {
            court.ball = -1;
        }
    }
}
