package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import org.junit.jupiter.api.Test;

/** The standard FLOP count and the floats full BPTT needs, by hand for each cell. */
class FlopsTest {

    private static Recurrent stack(CellType cell, int input, int hidden, int layers) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, input, hidden, layers));
        pb.build();
        return rnn;
    }

    @Test
    void forwardIsTwoGHTimesInputPlusHiddenTimesBatchTimesSteps() {
        // LSTM, H = I = 256, B = 32, T = 100: 2·4·256·512·32·100
        assertEquals(3_355_443_200.0, Flops.forward(stack(CellType.LSTM, 256, 256, 1), 32, 100));
        assertEquals(2.0 * 1 * 64 * (8 + 64) * 1 * 10, Flops.forward(stack(CellType.RNN_TANH, 8, 64, 1), 1, 10));
        assertEquals(2.0 * 3 * 1024 * 2048 * 32 * 100, Flops.forward(stack(CellType.GRU, 1024, 1024, 1), 32, 100));
        // two layers: the second reads H inputs
        assertEquals(2.0 * 4 * 16 * (8 + 16) * 2 * 5 + 2.0 * 4 * 16 * (16 + 16) * 2 * 5,
                Flops.forward(stack(CellType.LSTM, 8, 16, 2), 2, 5));
    }

    @Test
    void backwardIsTwiceForwardAndAStepIsThreeTimesForward() {
        for (CellType cell : CellType.values()) {
            Recurrent rnn = stack(cell, 64, 64, 1);
            double f = Flops.forward(rnn, 32, 100);
            assertEquals(2 * f, Flops.backward(rnn, 32, 100), cell.id());
            assertEquals(3 * f, Flops.trainingStep(rnn, 32, 100), cell.id());
        }
    }

    @Test
    void requiredStoredFloatsFollowTheBpttNeedsOfEachCell() {
        int h = 5;
        int b = 3;
        int t = 7;
        long states = 8L * 3 * 5;   // (T+1)·B·H
        long perStep = 7L * 3 * 5;  // T·B·H
        assertEquals(states, stack(CellType.RNN_TANH, 4, h, 1).requiredStoredFloats(b, t));
        assertEquals(states, stack(CellType.RNN_RELU, 4, h, 1).requiredStoredFloats(b, t));
        assertEquals(2 * states + 4 * perStep, stack(CellType.LSTM, 4, h, 1).requiredStoredFloats(b, t));
        assertEquals(states + 4 * perStep, stack(CellType.GRU, 4, h, 1).requiredStoredFloats(b, t));
    }

    @Test
    void theEngineStoresWhatTheCellsSayTheyNeed() {
        for (CellType cell : CellType.values()) {
            TrainingStep step = new TrainingStep(cell, 6, 2, 4, 3, 1);
            step.run();
            assertEquals(step.rnn().requiredStoredFloats(2, 4), step.rnn().storedFloats(), cell.id());
        }
    }
}
