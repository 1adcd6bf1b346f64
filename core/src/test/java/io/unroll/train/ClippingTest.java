package io.unroll.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.tensor.ParamStore;
import org.junit.jupiter.api.Test;

class ClippingTest {
    private static ParamStore store(float... grads) {
        ParamStore.Builder pb = ParamStore.builder();
        pb.add("g", grads.length);
        ParamStore s = pb.build();
        System.arraycopy(grads, 0, s.grads(), 0, grads.length);
        return s;
    }

    @Test
    void belowTheThresholdNothingChangesAndTheNormIsReturned() {
        ParamStore s = store(3f, 4f);
        assertEquals(5.0, Clipping.clipByGlobalNorm(s, 5.0, 1e-8), 1e-12);
        assertArrayEquals(new float[] {3f, 4f}, s.grads());
    }

    @Test
    void aboveTheThresholdEveryGradientIsScaledByMaxOverNormPlusEpsilon() {
        ParamStore s = store(30f, 40f);
        assertEquals(50.0, Clipping.clipByGlobalNorm(s, 5.0, 1e-8), 1e-12);
        float scale = (float) (5.0 / (50.0 + 1e-8));
        assertArrayEquals(new float[] {30f * scale, 40f * scale}, s.grads());
    }

    @Test
    void aNonFiniteNormIsReportedAndLeavesGradientsAlone() {
        ParamStore s = store(Float.NaN, 1f);
        assertTrue(Double.isNaN(Clipping.clipByGlobalNorm(s, 1.0)));
        assertEquals(1f, s.grads()[1]);
    }

    @Test
    void byValueClampsEachGradient() {
        ParamStore s = store(-3f, 0.5f, 2f);
        assertEquals(2, Clipping.clipByValue(s, 1.0));
        assertArrayEquals(new float[] {-1f, 0.5f, 1f}, s.grads());
    }

    @Test
    void badThresholdsAreRejected() {
        ParamStore s = store(1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Clipping.clipByGlobalNorm(s, 0));
        assertTrue(e.getMessage().contains("max norm is 0.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Clipping.clipByValue(s, Double.NaN));
    }
}
