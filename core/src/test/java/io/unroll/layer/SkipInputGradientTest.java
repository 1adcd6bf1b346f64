package io.unroll.layer;

import static io.unroll.layer.LayerCases.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import io.unroll.train.Init;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Recurrent.InputGradient#SKIP} leaves out only {@code dX}: the parameter gradients and
 * the initial-state gradients are bit for bit those of a backward that computes it, for every
 * cell, 1 and 2 layers (where layer 1 still needs layer 0's input gradient internally).
 * {@link Recurrent.ParameterGradients#SKIP} leaves out only the parameter gradients: the state
 * gradients every step's observer sees, the initial-state and the input gradients are bit for bit
 * those of a backward that adds them.
 */
class SkipInputGradientTest {
    static Stream<Arguments> cases() {
        return LayerCases.everyCellOneAndTwoLayers(11);
    }

    @ParameterizedTest(name = "{0} layers={1}")
    @MethodSource("cases")
    void skippingTheInputGradientChangesNothingElse(CellType cell, int layers, long seed) {
        Case c = new Case(cell, layers, seed);
        // skipped first, on fresh workspaces: nothing left over from a full backward can stand in
        c.rnn.forward(c.x, Case.BATCH, Case.STEPS, null);
        Recurrent.Gradients skipped = c.rnn.backward(c.dOut, c.dFinal, StepObserver.NONE, Recurrent.InputGradient.SKIP);
        assertNull(skipped.dInput(), "no input gradient when it is skipped");
        float[] skippedGrads = c.store.grads().clone();
        State skippedInitial = skipped.dInitialState().copy();

        c.store.zeroGrads();
        c.rnn.forward(c.x, Case.BATCH, Case.STEPS, null);
        Recurrent.Gradients full = c.rnn.backward(c.dOut, c.dFinal);
        assertNotNull(full.dInput());

        assertArrayEquals(full.dInitialState().h(), skippedInitial.h(), "initial h gradient");
        if (cell.hasCellState()) {
            assertArrayEquals(full.dInitialState().c(), skippedInitial.c(), "initial c gradient");
        }
        assertArrayEquals(c.store.grads(), skippedGrads, "parameter gradients");
    }

    @ParameterizedTest(name = "{0} layers={1}")
    @MethodSource("cases")
    void skippingTheParameterGradientsChangesNothingElse(CellType cell, int layers, long seed) {
        Case c = new Case(cell, layers, seed);
        int perStep = 2 * Case.BATCH * Case.HIDDEN;            // dh then dc (zeros without a cell state)
        float[] seenSkipped = new float[layers * Case.STEPS * perStep];
        float[] seenAdded = new float[layers * Case.STEPS * perStep];

        c.rnn.forward(c.x, Case.BATCH, Case.STEPS, null);
        Recurrent.Gradients skipped = c.rnn.backward(c.dOut, c.dFinal, recorder(seenSkipped, Case.STEPS, perStep),
                Recurrent.InputGradient.COMPUTE, Recurrent.ParameterGradients.SKIP);
        float[] skippedInput = skipped.dInput().clone();
        State skippedInitial = skipped.dInitialState().copy();
        float[] none = new float[c.store.grads().length];
        assertArrayEquals(none, c.store.grads(), "no parameter gradient is added");

        c.rnn.forward(c.x, Case.BATCH, Case.STEPS, null);
        Recurrent.Gradients added = c.rnn.backward(c.dOut, c.dFinal, recorder(seenAdded, Case.STEPS, perStep),
                Recurrent.InputGradient.COMPUTE, Recurrent.ParameterGradients.ADD);
        assertFalse(Arrays.equals(none, c.store.grads()), "ADD adds them");
        assertArrayEquals(seenAdded, seenSkipped, "the state gradients of every step");
        assertArrayEquals(added.dInput(), skippedInput, "input gradient");
        assertArrayEquals(added.dInitialState().h(), skippedInitial.h(), "initial h gradient");
        if (cell.hasCellState()) {
            assertArrayEquals(added.dInitialState().c(), skippedInitial.c(), "initial c gradient");
        }
    }

    /** A stack of every cell's kind with PyTorch's init, an input, an output gradient and a final-state gradient. */
    private static final class Case {
        static final int BATCH = 3;
        static final int STEPS = 6;
        static final int INPUT = 5;
        static final int HIDDEN = 7;
        final Recurrent rnn;
        final ParamStore store;
        final float[] x;        // [B, T, I]
        final float[] dOut;     // [B, T, H]
        final State dFinal;     // [L, B, H]

        Case(CellType cell, int layers, long seed) {
            Rng rng = Rng.seeded(seed);
            ParamStore.Builder pb = ParamStore.builder();
            rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, INPUT, HIDDEN, layers));
            store = pb.build();
            Init.apply(rnn, InitScheme.PYTORCH, rng);
            x = gaussian(rng, BATCH * STEPS * INPUT);
            dOut = gaussian(rng, BATCH * STEPS * HIDDEN);
            int states = layers * BATCH * HIDDEN;
            dFinal = new State(layers, BATCH, HIDDEN, gaussian(rng, states), cell.hasCellState() ? gaussian(rng, states) : null);
        }
    }

    /** Copies what the observer sees at every layer and step into {@code into [L, T, 2·B·H]}. */
    private static StepObserver recorder(float[] into, int steps, int perStep) {
        return (layer, t, dh, dc, batch, hiddenSize) -> {
            int at = (layer * steps + t) * perStep;
            System.arraycopy(dh, 0, into, at, batch * hiddenSize);
            if (dc != null) {
                System.arraycopy(dc, 0, into, at + batch * hiddenSize, batch * hiddenSize);
            }
        };
    }

    @Test
    void aNullChoiceIsRefusedWithTheChoices() {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(CellType.LSTM, 2, 3, 1));
        pb.build();
        rnn.forward(new float[2 * 4 * 2], 2, 4, null);
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> rnn.backward(null, null, StepObserver.NONE, null));
        assertTrue(e.getMessage().contains("COMPUTE or SKIP"), e.getMessage());
    }
}
