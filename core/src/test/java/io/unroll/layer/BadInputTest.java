package io.unroll.layer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.loss.MeanSquaredError;
import io.unroll.loss.SoftmaxCrossEntropy;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import io.unroll.train.Adam;
import io.unroll.train.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every malformed input to a public entry point is an {@link IllegalArgumentException} whose message
 * names the value, what was expected and, where known, the likely cause.
 */
class BadInputTest {
    private static void rejects(Executable call, String... keyWords) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String word : keyWords) {
            assertTrue(e.getMessage().contains(word), "message '" + e.getMessage() + "' lacks '" + word + "'");
        }
    }

    private static Recurrent lstm(int input, int hidden, int layers) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(CellType.LSTM, input, hidden, layers));
        pb.build();
        return rnn;
    }

    @Test
    void inputOfTheWrongShapeNamesBothShapesAndTheLikelyCause() {
        Recurrent rnn = lstm(9, 4, 1);
        rejects(() -> rnn.forward(new float[4 * 35 * 8], 4, 35, null),
                "input", "1120", "expected [4, 35, 9] = 1260", "last dimension looks like 8 instead of 9");
        rejects(() -> rnn.forward(null, 4, 35, null), "input", "missing");
    }

    @Test
    void nonFiniteInputsAreRejectedWithTheirPosition() {
        Recurrent rnn = lstm(2, 3, 1);
        float[] x = new float[2 * 2 * 2];
        x[5] = Float.NaN;
        rejects(() -> rnn.forward(x, 2, 2, null), "input", "NaN", "flat index 5", "expected finite");
        x[5] = Float.POSITIVE_INFINITY;
        rejects(() -> rnn.forward(x, 2, 2, null), "Infinity");
    }

    @Test
    void zeroOrNegativeSizesAreRejected() {
        rejects(() -> RecurrentConfig.of(CellType.GRU, 0, 4, 1), "input size is 0", "positive");
        rejects(() -> RecurrentConfig.of(CellType.GRU, 3, -2, 1), "hidden size is -2");
        rejects(() -> RecurrentConfig.of(CellType.GRU, 3, 4, 0), "layers is 0");
        Recurrent rnn = lstm(2, 3, 1);
        rejects(() -> rnn.forward(new float[0], 0, 5, null), "batch is 0");
        rejects(() -> rnn.forward(new float[0], 1, -1, null), "steps is -1");
    }

    @Test
    void aStateOfTheWrongShapeOrKindIsRejected() {
        Recurrent rnn = lstm(2, 3, 2);
        float[] x = new float[2 * 4 * 2];
        rejects(() -> rnn.forward(x, 2, 4, State.zeros(1, 2, 3, true)), "initial state", "[1, 2, 3]", "expected [layers, batch, hidden] = [2, 2, 3]");
        rejects(() -> rnn.forward(x, 2, 4, State.zeros(2, 2, 3, false)), "no cell state c", "another cell type");
        float[] h = new float[2 * 2 * 3];
        h[1] = Float.NaN;
        rejects(() -> rnn.forward(x, 2, 4, new State(2, 2, 3, h, new float[12])), "initial state h", "NaN");
    }

    @Test
    void backwardGradientsOfTheWrongShapeAreRejected() {
        Recurrent rnn = lstm(2, 3, 1);
        rnn.forward(new float[2 * 4 * 2], 2, 4, null);
        rejects(() -> rnn.backward(new float[5], null), "output gradient", "expected [2, 4, 3]");
    }

    @Test
    void unknownCellAndInitNamesListTheValidOnes() {
        rejects(() -> CellType.parse("lstn"), "unknown cell 'lstn'", "lstm", "gru");
        rejects(() -> CellType.parse("rnn", "sigmoid"), "unknown activation 'sigmoid'", "tanh or relu");
        rejects(() -> CellType.parse("rnn"), "needs an activation", "rnn_tanh", "rnn_relu");
        rejects(() -> CellType.parse("lstm", "relu"), "does not apply to cell lstm", "fixed");
        rejects(() -> InitScheme.parse("he"), "unknown init 'he'", "orthogonal", "identity");
    }

    @Test
    void tokenIdsOutOfRangeNameTheVocabulary() {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, 5, RecurrentConfig.of(CellType.GRU, 3, 4, 1));
        pb.build();
        rejects(() -> model.forward(new int[] {0, 1, 7}, new int[3], null, 1, 3, null),
                "tokens", "holds 7 at flat index 2", "[0, 5)", "vocabulary");
        rejects(() -> model.forward(new int[] {0, -1, 2}, new int[3], null, 1, 3, null), "holds -1");
        rejects(() -> model.forward(new int[] {0, 1, 2}, new int[] {0, 9, 1}, null, 1, 3, null), "targets hold 9", "[0, 5)");
    }

    @Test
    void lossesRejectBadMasksAndShapes() {
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        rejects(() -> ce.compute(new float[6], new int[] {0, 1}, new float[] {0, 0}, 2, 3), "mask counts no position");
        rejects(() -> ce.compute(new float[6], new int[] {0, 1}, new float[] {0.5f, 1}, 2, 3), "mask holds 0.5", "0 or 1");
        rejects(() -> ce.compute(new float[5], new int[] {0, 1}, null, 2, 3), "logits", "expected [2, 3]");
        MeanSquaredError mse = new MeanSquaredError();
        rejects(() -> mse.compute(new float[4], new float[] {0, 0, Float.NaN, 0}, null, 2, 2), "target", "NaN");
    }

    @Test
    void optimizerSettingsOutOfRangeAreRejected() {
        rejects(() -> new Sgd(0), "learning rate is 0.0");
        rejects(() -> new Sgd(-1), "learning rate is -1.0");
        rejects(() -> new Sgd(0.1, 1.5, 0), "momentum is 1.5", "[0.0, 1.0)");
        rejects(() -> Adam.adam(Double.NaN), "learning rate is NaN");
        rejects(() -> Adam.adamW(0.01, -0.1), "weight decay is -0.1");
    }

    @Test
    void embeddingAndLinearRejectBadSizes() {
        rejects(() -> new Embedding(ParamStore.builder(), "e.", 0, 4), "vocabulary size is 0");
        ParamStore.Builder pb = ParamStore.builder();
        Linear linear = new Linear(pb, "head.", 3, 2);
        pb.build();
        rejects(() -> linear.forward(new float[7], 2), "linear input", "expected [2, 3] = 6");
    }
}
