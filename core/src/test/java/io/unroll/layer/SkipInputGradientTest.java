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
        int batch = 3, steps = 6, in = 5, hidden = 7;
        Rng rng = Rng.seeded(seed);
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, in, hidden, layers));
        ParamStore store = pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, rng);
        float[] x = gaussian(rng, batch * steps * in);
        float[] dOut = gaussian(rng, batch * steps * hidden);
        int states = layers * batch * hidden;
        State dFinal = new State(layers, batch, hidden, gaussian(rng, states),
                cell.hasCellState() ? gaussian(rng, states) : null);

        // skipped first, on fresh workspaces: nothing left over from a full backward can stand in
        rnn.forward(x, batch, steps, null);
        Recurrent.Gradients skipped = rnn.backward(dOut, dFinal, StepObserver.NONE, Recurrent.InputGradient.SKIP);
        assertNull(skipped.dInput(), "no input gradient when it is skipped");
        float[] skippedGrads = store.grads().clone();
        State skippedInitial = skipped.dInitialState().copy();

        store.zeroGrads();
        rnn.forward(x, batch, steps, null);
        Recurrent.Gradients full = rnn.backward(dOut, dFinal);
        assertNotNull(full.dInput());

        assertArrayEquals(full.dInitialState().h(), skippedInitial.h(), "initial h gradient");
        if (cell.hasCellState()) {
            assertArrayEquals(full.dInitialState().c(), skippedInitial.c(), "initial c gradient");
        }
        assertArrayEquals(store.grads(), skippedGrads, "parameter gradients");
    }

    @ParameterizedTest(name = "{0} layers={1}")
    @MethodSource("cases")
    void skippingTheParameterGradientsChangesNothingElse(CellType cell, int layers, long seed) {
        int batch = 3, steps = 6, in = 5, hidden = 7;
        Rng rng = Rng.seeded(seed);
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, in, hidden, layers));
        ParamStore store = pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, rng);
        float[] x = gaussian(rng, batch * steps * in);
        float[] dOut = gaussian(rng, batch * steps * hidden);
        int states = layers * batch * hidden;
        State dFinal = new State(layers, batch, hidden, gaussian(rng, states), cell.hasCellState() ? gaussian(rng, states) : null);
        int perStep = 2 * batch * hidden;                       // dh then dc (zeros without a cell state)
        float[] seenSkipped = new float[layers * steps * perStep];
        float[] seenAdded = new float[layers * steps * perStep];

        rnn.forward(x, batch, steps, null);
        Recurrent.Gradients skipped = rnn.backward(dOut, dFinal, recorder(seenSkipped, steps, perStep),
                Recurrent.InputGradient.COMPUTE, Recurrent.ParameterGradients.SKIP);
        float[] skippedInput = skipped.dInput().clone();
        State skippedInitial = skipped.dInitialState().copy();
        assertArrayEquals(new float[store.grads().length], store.grads(), "no parameter gradient is added");

        rnn.forward(x, batch, steps, null);
        Recurrent.Gradients added = rnn.backward(dOut, dFinal, recorder(seenAdded, steps, perStep),
                Recurrent.InputGradient.COMPUTE, Recurrent.ParameterGradients.ADD);
        assertFalse(Arrays.equals(new float[store.grads().length], store.grads()), "ADD adds them");
        assertArrayEquals(seenAdded, seenSkipped, "the state gradients of every step");
        assertArrayEquals(added.dInput(), skippedInput, "input gradient");
        assertArrayEquals(added.dInitialState().h(), skippedInitial.h(), "initial h gradient");
        if (cell.hasCellState()) {
            assertArrayEquals(added.dInitialState().c(), skippedInitial.c(), "initial c gradient");
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
