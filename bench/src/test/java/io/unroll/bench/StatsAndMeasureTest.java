package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Order statistics and the shape of a measurement (never how long anything took). */
class StatsAndMeasureTest {

    @Test
    void medianAndQuartilesInterpolateLikeNumpy() {
        Stats s = Stats.of(new double[] {7, 1, 3, 5});
        assertEquals(4, s.n());
        assertEquals(4.0, s.median());
        assertEquals(1.0, s.min());
        assertEquals(7.0, s.max());
        assertEquals(2.5, s.q1());   // numpy.percentile([1,3,5,7], 25)
        assertEquals(5.5, s.q3());
        assertEquals(3.0, Stats.of(new double[] {3}).median());
        assertThrows(IllegalArgumentException.class, () -> Stats.of(new double[0]));
    }

    @Test
    void aFixedRunCountGivesThatManySamplesOfOneIterationForTraining() {
        long[] calls = new long[1];
        Timing timing = new Timing(0, 0, 1, 2, 10, 0, 0, 1, 1).withRuns(4);
        Measure.Result r = Measure.run(timing, n -> calls[0] += n);
        Measurement m = r.measurement();
        assertEquals(4, m.samples().length);
        assertEquals(1, m.iterationsPerRun());
        assertEquals(4, m.stats().n());
        assertTrue(m.warmupIterations() >= 1);
        assertEquals(m.warmupIterations() + 4, calls[0], "every iteration ran through the work");
        assertEquals(4, r.allocation().iterations());
    }

    @Test
    void theHookBeforeTheRunsRunsOnceBetweenWarmUpAndRuns() {
        long[] calls = new long[1];
        long[] callsWhenHooked = {-1};
        int[] hooks = new int[1];
        Timing timing = new Timing(0, 0, 1, 2, 10, 0, 0, 1, 1).withRuns(3);
        Measure.Result r = Measure.run(timing, n -> calls[0] += n, () -> {
            hooks[0]++;
            callsWhenHooked[0] = calls[0];
        });
        assertEquals(1, hooks[0]);
        assertEquals(r.measurement().warmupIterations(), callsWhenHooked[0], "after every warm-up iteration");
        assertEquals(callsWhenHooked[0] + 3, calls[0], "and before the 3 timed ones");
    }

    @Test
    void streamingSamplesTimeManyIterationsTogether() {
        long[] sink = new long[1];
        Timing timing = new Timing(0, 0.5, 3, 3, 10, 0.002, 0.01, 3, 3);
        Measurement m = Measure.run(timing, n -> {
            for (long i = 0; i < n; i++) {
                sink[0] += i ^ sink[0];
            }
        }).measurement();
        assertEquals(3, m.samples().length);
        assertTrue(m.iterationsPerRun() > 1, "a sample of a tiny work spans many iterations: " + m.iterationsPerRun());
    }

    @Test
    void theRunCountFollowsTheBudgetWithinItsBounds() {
        Timing t = new Timing(0, 0, 1, 1, 0, 0, 1.0, 5, 30);
        assertEquals(30, Measure.runs(t, 1e6));     // 1 ms per run: 1000 would fit, capped at 30
        assertEquals(10, Measure.runs(t, 1e8));     // 100 ms per run: 10
        assertEquals(5, Measure.runs(t, 1e9));      // 1 s per run: at least 5
    }

    @Test
    void stabilityIsTheRelativeSpreadOfTheWindow() {
        assertTrue(Measure.stable(new double[] {100, 104, 102}, 0.05));
        assertTrue(!Measure.stable(new double[] {100, 110, 102}, 0.05));
    }

    @Test
    void badTimingsAreRejectedWithTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Timing(0, 1, 1, 3, 0.05, 0, 1, 6, 5));
        assertTrue(e.getMessage().contains("6") && e.getMessage().contains("5"), e.getMessage());
    }
}
