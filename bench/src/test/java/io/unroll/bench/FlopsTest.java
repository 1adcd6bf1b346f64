package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.unroll.cell.CellType;
import org.junit.jupiter.api.Test;

/** The standard FLOP count and the floats full BPTT needs, by hand for each cell. */
class FlopsTest {

    @Test
    void forwardIsTwoGHTimesInputPlusHiddenTimesBatchTimesSteps() {
        // LSTM, H = I = 256, B = 32, T = 100: 2·4·256·512·32·100
        assertEquals(3_355_443_200.0, Flops.forward(CellType.LSTM, 256, 256, 32, 100));
        assertEquals(2.0 * 1 * 64 * (8 + 64) * 1 * 10, Flops.forward(CellType.RNN_TANH, 8, 64, 1, 10));
        assertEquals(2.0 * 3 * 1024 * 2048 * 32 * 100, Flops.forward(CellType.GRU, 1024, 1024, 32, 100));
    }

    @Test
    void backwardIsTwiceForwardAndAStepIsThreeTimesForward() {
        for (CellType cell : CellType.values()) {
            double f = Flops.forward(cell, 64, 64, 32, 100);
            assertEquals(2 * f, Flops.backward(cell, 64, 64, 32, 100), cell.id());
            assertEquals(3 * f, Flops.trainingStep(cell, 64, 64, 32, 100), cell.id());
        }
    }

    @Test
    void requiredStoredFloatsFollowTheBpttNeedsOfEachCell() {
        int h = 5;
        int b = 3;
        int t = 7;
        long states = 8L * 3 * 5;   // (T+1)·B·H
        long perStep = 7L * 3 * 5;  // T·B·H
        assertEquals(states, Flops.requiredStoredFloats(CellType.RNN_TANH, h, b, t));
        assertEquals(states, Flops.requiredStoredFloats(CellType.RNN_RELU, h, b, t));
        assertEquals(2 * states + 4 * perStep, Flops.requiredStoredFloats(CellType.LSTM, h, b, t));
        assertEquals(states + 4 * perStep, Flops.requiredStoredFloats(CellType.GRU, h, b, t));
    }

    @Test
    void theEngineStoresWhatTheFormulaSaysForTheRnn() {
        // the vanilla RNN's gate activations are its hidden states: nothing beyond h_0..h_T
        TrainingStep step = new TrainingStep(CellType.RNN_TANH, 6, 2, 4, 3, 1);
        step.run();
        assertEquals(Flops.requiredStoredFloats(CellType.RNN_TANH, 6, 2, 4), step.storedFloats());
    }
}
