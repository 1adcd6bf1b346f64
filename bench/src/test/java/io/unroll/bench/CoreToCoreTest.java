package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The probe of how far apart two cores are (a plausible figure, not a speed test). */
class CoreToCoreTest {

    @Test
    void aRoundTripBetweenTwoThreadsTakesNanosecondsToMicroseconds() {
        double ns = CoreToCore.roundTripNanos(0.01);
        if (Runtime.getRuntime().availableProcessors() < 2) {
            assertTrue(Double.isNaN(ns), "one core: nothing to probe, got " + ns);
        } else {
            // one store seen by the other core and back: more than a nanosecond; no upper bound, since
            // on a busy machine the partner waits for a time slice (milliseconds) and that is a figure too
            assertTrue(ns > 1 && Double.isFinite(ns), "round trip: " + ns + " ns");
        }
    }

    @Test
    void thePartnerThreadEndsWithTheProbe() throws InterruptedException {
        CoreToCore.roundTripNanos(0.005);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (partnerAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(!partnerAlive(), "the core-to-core partner thread is still running after the probe");
    }

    private static boolean partnerAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("core-to-core") && t.isAlive());
    }
}
