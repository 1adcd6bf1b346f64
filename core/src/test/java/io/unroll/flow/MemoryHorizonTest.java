package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link MemoryHorizon#of}: the definition on curves worked out by hand, and every malformed input. */
class MemoryHorizonTest {
    /** norms[t] = factor^(T-1-t): a gradient shrinking by {@code factor} at every step back. */
    private static double[] geometric(int steps, double factor) {
        double[] n = new double[steps];
        for (int t = 0; t < steps; t++) {
            n[t] = 3 * Math.pow(factor, steps - 1 - t);
        }
        return n;
    }

    @Test
    void aHalvingGradientIsGoneAfterSevenSteps() {
        // 0.5^6 = 0.0156 is still above 1 %, 0.5^7 = 0.0078 is below
        MemoryHorizon h = MemoryHorizon.of(geometric(20, 0.5));
        assertEquals(new MemoryHorizon(7, true, 19, 0.01), h);
        assertEquals("7 steps", h.toString());
    }

    @Test
    void theReferenceDecayOfTheLessonHasItsHorizonWhere0point9PowersCross1Percent() {
        // 0.9^43 = 0.0108, 0.9^44 = 0.0097 (the figures of docs/spec.md: 0.9^50 ~ 0.005)
        assertEquals(44, MemoryHorizon.of(geometric(80, 0.9)).steps());
        assertEquals(21, MemoryHorizon.of(geometric(80, 0.9), 0.11).steps()); // 0.9^21 = 0.109
    }

    @Test
    void aGradientThatNeverFallsFarEnoughHasAHorizonOfAtLeastTheWindow() {
        MemoryHorizon h = MemoryHorizon.of(geometric(30, 0.99));
        assertFalse(h.reached());
        assertEquals(29, h.steps());
        assertEquals(29, h.span());
        assertTrue(h.toString().startsWith("at least 29 steps"), h.toString());
    }

    @Test
    void theFirstCrossingCounts() {
        double[] n = {5, 5, 5, 0.001, 5, 1}; // dips below 1 % of 1 three steps back, comes back
        assertEquals(2, MemoryHorizon.of(n).steps());
        double[] growing = {4, 3, 2, 1};
        assertFalse(MemoryHorizon.of(growing).reached());
    }

    @Test
    void malformedCurvesAreRefusedWithWhatWasExpected() {
        assertMessage(() -> MemoryHorizon.of(null), "missing", "one norm per step");
        assertMessage(() -> MemoryHorizon.of(new double[] {1}), "1 step(s)", "at least 2");
        assertMessage(() -> MemoryHorizon.of(new double[] {1, -1, 1}), "step 1 is -1.0", "finite number >= 0");
        assertMessage(() -> MemoryHorizon.of(new double[] {Double.NaN, 1}), "step 0 is NaN", "overflowed");
        assertMessage(() -> MemoryHorizon.of(new double[] {1, Double.POSITIVE_INFINITY}), "step 1 is Infinity");
        assertMessage(() -> MemoryHorizon.of(new double[] {1, 1, 0}), "last step (2) is 0", "no gradient to follow");
        assertMessage(() -> MemoryHorizon.of(new double[] {1, 1}, 0), "threshold is 0.0", "(0, 1)");
        assertMessage(() -> MemoryHorizon.of(new double[] {1, 1}, 1.5), "threshold is 1.5");
        assertMessage(() -> new MemoryHorizon(5, true, 3, 0.01), "5 steps", "span of 3");
        assertMessage(() -> new MemoryHorizon(2, false, 3, 0.01), "not reached", "steps = span");
    }

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should contain '" + p + "'");
        }
    }
}
