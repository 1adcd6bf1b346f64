package io.unroll.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Masked cross-entropy and MSE against values worked out by hand. */
class LossesTest {
    @Test
    void crossEntropyOfUniformLogitsIsLogVAndMaskedRowsGetNoGradient() {
        // two positions of three classes; the second is masked out
        float[] logits = {0f, 0f, 0f, 5f, -5f, 2f};
        SoftmaxCrossEntropy r = new SoftmaxCrossEntropy();
        double loss = r.compute(logits, new int[] {2, 0}, new float[] {1f, 0f}, 2, 3);
        assertEquals(Math.log(3), loss, 1e-7);
        assertEquals(1, r.counted());
        float third = 1f / 3f;
        assertArrayEquals(new float[] {third, third, third - 1f, 0f, 0f, 0f}, r.dLogits(), 1e-7f);
    }

    @Test
    void crossEntropyIsTheMeanOverCountedPositions() {
        // log-sum-exp of (ln 1, ln 3) = ln 4: p = (1/4, 3/4)
        float[] logits = {0f, (float) Math.log(3), 0f, (float) Math.log(3)};
        SoftmaxCrossEntropy r = new SoftmaxCrossEntropy();
        double loss = r.compute(logits, new int[] {0, 1}, null, 2, 2);
        assertEquals((-Math.log(0.25) - Math.log(0.75)) / 2, loss, 1e-6);
        assertArrayEquals(new float[] {(0.25f - 1f) / 2, 0.75f / 2, 0.25f / 2, (0.75f - 1f) / 2}, r.dLogits(), 1e-7f);
    }

    @Test
    void crossEntropyStaysFiniteForHugeLogits() {
        SoftmaxCrossEntropy r = new SoftmaxCrossEntropy();
        double loss = r.compute(new float[] {1e30f, -1e30f}, new int[] {1}, null, 1, 2);
        assertEquals(2e30, loss, 1e24);
        assertArrayEquals(new float[] {1f, -1f}, r.dLogits());
    }

    @Test
    void meanSquaredErrorAveragesOverCountedElements() {
        float[] pred = {1f, 2f, 3f, 4f, 100f, 100f};
        float[] target = {0f, 0f, 3f, 6f, 0f, 0f};
        MeanSquaredError r = new MeanSquaredError();
        double loss = r.compute(pred, target, new float[] {1f, 1f, 0f}, 3, 2);
        // (1 + 4 + 0 + 4) / 4 elements
        assertEquals(9.0 / 4, loss, 1e-12);
        assertArrayEquals(new float[] {0.5f, 1f, 0f, -1f, 0f, 0f}, r.dPrediction(), 1e-7f);
    }
}
