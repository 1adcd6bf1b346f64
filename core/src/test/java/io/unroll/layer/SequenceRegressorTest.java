package io.unroll.layer;

import static io.unroll.reference.Close.assertClose;
import static io.unroll.reference.Close.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.reference.RegressionCase;
import io.unroll.reference.ReferenceRecurrent;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SequenceRegressor} in float32 against the double reference of the same loss
 * ({@link RegressionCase}, itself checked by finite differences): predictions, loss and every
 * parameter gradient within {@code 1e-4·|expected| + 1e-5}, for every cell family; the state
 * names of PyTorch's module; and one-line errors for what it cannot take.
 */
class SequenceRegressorTest {
    private static final double REL = 1e-4;
    private static final double ABS = 1e-5;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long seed = 301;
        for (CellType type : CellType.values()) {
            out.add(Arguments.of(new RegressionCase(type, 1, 3, 6, 2, 5, 1, true, seed++)));
            out.add(Arguments.of(new RegressionCase(type, 2, 4, 7, 3, 9, 2, false, seed++)));
            // wider than a SIMD vector, odd sizes
            out.add(Arguments.of(new RegressionCase(type, 1, 5, 4, 19, 37, 3, false, seed++)));
        }
        return out.stream();
    }

    /** The model with the case's weights. */
    private static SequenceRegressor model(RegressionCase c, ParamStore.Builder pb) {
        ReferenceRecurrent ref = c.ref;
        SequenceRegressor model = new SequenceRegressor(pb, RecurrentConfig.of(ref.type, ref.inputSize, ref.hidden, ref.layers),
                c.outputSize);
        return model;
    }

    private static void load(SequenceRegressor model, RegressionCase c) {
        ReferenceRecurrent ref = c.ref;
        Recurrent rnn = model.rnn();
        for (int k = 0; k < ref.layers; k++) {
            rnn.weightIh(k).set(rnn.weightIh(k).shape(), toFloat(ref.wIh[k]));
            rnn.weightHh(k).set(rnn.weightHh(k).shape(), toFloat(ref.wHh[k]));
            rnn.biasIh(k).set(rnn.biasIh(k).shape(), toFloat(ref.bIh[k]));
            rnn.biasHh(k).set(rnn.biasHh(k).shape(), toFloat(ref.bHh[k]));
        }
        model.head().weight().set(model.head().weight().shape(), toFloat(c.headWeight));
        model.head().bias().set(model.head().bias().shape(), toFloat(c.headBias));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float32MatchesTheDoubleReference(RegressionCase c) {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceRegressor model = model(c, pb);
        ParamStore store = pb.build();
        load(model, c);
        double[] expectedY = c.predictions();
        double expectedLoss = c.loss();
        RegressionCase.Grads g = c.gradients();
        ReferenceRecurrent ref = c.ref;
        State initial = new State(ref.layers, c.batch, ref.hidden, toFloat(c.h0), c.c0 == null ? null : toFloat(c.c0));
        Batch batch = Batch.wrapVectors(toFloat(c.input), toFloat(c.target), c.batch, c.steps, ref.inputSize, c.outputSize);
        for (int run = 1; run <= 2; run++) { // the workspace reused; the parameter gradients accumulate
            double loss = model.forward(batch, null, initial);
            assertClose(c + " predictions", expectedY, model.predictions(), REL, ABS);
            assertClose(c + " loss", new double[] {expectedLoss}, new float[] {(float) loss}, REL, ABS);
            model.backward(StepObserver.NONE);
            Recurrent rnn = model.rnn();
            for (int k = 0; k < ref.layers; k++) {
                assertClose(c + " grad rnn.weight_ih_l" + k, times(g.rnn().dWIh()[k], run), rnn.weightIh(k).copyGrad(), REL, ABS);
                assertClose(c + " grad rnn.weight_hh_l" + k, times(g.rnn().dWHh()[k], run), rnn.weightHh(k).copyGrad(), REL, ABS);
                assertClose(c + " grad rnn.bias_ih_l" + k, times(g.rnn().dBIh()[k], run), rnn.biasIh(k).copyGrad(), REL, ABS);
                assertClose(c + " grad rnn.bias_hh_l" + k, times(g.rnn().dBHh()[k], run), rnn.biasHh(k).copyGrad(), REL, ABS);
            }
            assertClose(c + " grad head.weight", times(g.dHeadWeight(), run), model.head().weight().copyGrad(), REL, ABS);
            assertClose(c + " grad head.bias", times(g.dHeadBias(), run), model.head().bias().copyGrad(), REL, ABS);
        }
        store.zeroGrads();
    }

    @Test
    void theLossEntersTheStackAtTheLastStepOnly() {
        RegressionCase c = new RegressionCase(CellType.RNN_TANH, 1, 2, 5, 2, 4, 1, true, 9);
        ParamStore.Builder pb = ParamStore.builder();
        SequenceRegressor model = model(c, pb);
        pb.build();
        load(model, c);
        // a zero recurrent matrix: h_t depends on x_t alone, so the gradient seen at every step but the last is 0
        model.rnn().weightHh(0).set(model.rnn().weightHh(0).shape(), new float[model.rnn().weightHh(0).size()]);
        model.forward(toFloat(c.input), toFloat(c.target), c.batch, c.steps, null);
        double[] seen = new double[c.steps];
        model.backward((layer, t, dh, dc, batch, hidden) -> {
            for (int i = 0; i < batch * hidden; i++) {
                seen[t] += Math.abs(dh[i]);
            }
        });
        for (int t = 0; t < c.steps - 1; t++) {
            assertEquals(0.0, seen[t], 0.0, "gradient seen at step " + t);
        }
        assertTrue(seen[c.steps - 1] > 0, "the last step receives the loss's gradient");
    }

    @Test
    void theParametersHaveTheNamesOfPyTorchsModule() {
        ParamStore.Builder pb = ParamStore.builder();
        new SequenceRegressor(pb, RecurrentConfig.of(CellType.LSTM, 2, 8, 2), 1);
        ParamStore store = pb.build();
        List<String> names = new ArrayList<>();
        store.params().forEach(p -> names.add(p.name()));
        assertEquals(List.of("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "head.weight", "head.bias"), names);
    }

    @Test
    void badInputIsRefusedWithWhatWasExpected() {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceRegressor model = new SequenceRegressor(pb, RecurrentConfig.of(CellType.GRU, 2, 4, 1), 1);
        pb.build();
        IllegalStateException early = assertThrows(IllegalStateException.class, () -> model.backward(StepObserver.NONE));
        assertTrue(early.getMessage().contains("before forward"), early.getMessage());
        Batch good = model.newBatch(3, 5);
        assertEquals(Batch.Kind.VECTORS, good.kind());
        assertEquals(0.0, model.forward(good, null, null), 1e-12, "zero weights predict 0 = the zero targets");

        IllegalArgumentException lengths = assertThrows(IllegalArgumentException.class,
                () -> model.forward(good, new int[] {5, 4, 5}, null));
        assertTrue(lengths.getMessage().contains("all must be T long"), lengths.getMessage());
        IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class,
                () -> model.forward(Batch.allocateTokens(3, 5), null, null));
        assertTrue(tokens.getMessage().contains("token ids [B, T]") && tokens.getMessage().contains("use a SequenceModel"),
                tokens.getMessage());
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                () -> model.forward(Batch.allocateVectors(3, 5, 3, 1), null, null));
        assertTrue(width.getMessage().contains("inputs of width 3") && width.getMessage().contains("expected 2 and 1"),
                width.getMessage());
        IllegalArgumentException targets = assertThrows(IllegalArgumentException.class,
                () -> model.forward(new float[3 * 5 * 2], new float[2], 3, 5, null));
        assertTrue(targets.getMessage().contains("real targets [batch, output size]"), targets.getMessage());
        float[] nan = new float[3];
        nan[1] = Float.NaN;
        IllegalArgumentException notFinite = assertThrows(IllegalArgumentException.class,
                () -> model.forward(new float[3 * 5 * 2], nan, 3, 5, null));
        assertTrue(notFinite.getMessage().contains("target"), notFinite.getMessage());
        IllegalStateException wrongKind = assertThrows(IllegalStateException.class, () -> good.tokens());
        assertTrue(wrongKind.getMessage().contains("asked for token ids of a batch of input vectors"), wrongKind.getMessage());
    }

    private static double[] times(double[] a, int factor) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * factor;
        }
        return out;
    }
}
