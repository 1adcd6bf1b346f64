package io.unroll.layer;

import static io.unroll.layer.LayerCases.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import io.unroll.train.Init;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Recurrent#repeatForward}: a backward after a stretch of one sequence's forward repeated
 * into R rows is the backward after a forward over R copies of that stretch from the state before it, for every cell, 1 and 2 layers, with
 * a different seed in every row: the gradients every step's observer sees, the initial-state, input
 * and parameter gradients. The two forwards compute the same values through kernels of other
 * shapes, so they may differ in the last bits; 1e-5 absolute on gradients of order 1 is that, not
 * a missing step.
 */
class RepeatForwardTest {
    private static final int ROWS = 4;
    private static final int STEPS = 6;
    private static final int PREFIX = 2;
    private static final int INPUT = 3;
    private static final int HIDDEN = 5;
    private static final double CLOSE = 1e-5;

    static Stream<Arguments> cases() {
        return LayerCases.everyCellOneAndTwoLayers(31);
    }

    @ParameterizedTest(name = "{0} layers={1}")
    @MethodSource("cases")
    void aRepeatedForwardBacksUpLikeAForwardOverIdenticalRows(CellType cell, int layers, long seed) {
        Rng rng = Rng.seeded(seed);
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent copies = new Recurrent(pb, "", RecurrentConfig.of(cell, INPUT, HIDDEN, layers));
        ParamStore store = pb.build();
        Init.apply(copies, InitScheme.PYTORCH, rng);
        float[] prefix = gaussian(rng, PREFIX * INPUT);                    // [1, P, I]: the steps before the stretch
        float[] x = gaussian(rng, STEPS * INPUT);                          // [1, T, I]: the stretch repeated
        State initial = copies.sharingParameters().forward(prefix, 1, PREFIX, null).finalState().copy();
        float[] dOut = gaussian(rng, ROWS * STEPS * HIDDEN);               // [R, T, H]: every row its own
        int states = layers * ROWS * HIDDEN;
        State dFinal = new State(layers, ROWS, HIDDEN, gaussian(rng, states), cell.hasCellState() ? gaussian(rng, states) : null);

        // R copies of the sequence and of its initial state, forward and backward
        float[] xRows = new float[ROWS * STEPS * INPUT];
        State initialRows = State.zeros(layers, ROWS, HIDDEN, cell.hasCellState());
        for (int r = 0; r < ROWS; r++) {
            System.arraycopy(x, 0, xRows, r * STEPS * INPUT, STEPS * INPUT);
            for (int k = 0; k < layers; k++) {
                System.arraycopy(initial.h(), k * HIDDEN, initialRows.h(), (k * ROWS + r) * HIDDEN, HIDDEN);
                if (cell.hasCellState()) {
                    System.arraycopy(initial.c(), k * HIDDEN, initialRows.c(), (k * ROWS + r) * HIDDEN, HIDDEN);
                }
            }
        }
        int perStep = 2 * ROWS * HIDDEN;
        float[] seenCopies = new float[layers * STEPS * perStep];
        copies.forward(xRows, ROWS, STEPS, initialRows);
        Recurrent.Gradients g = copies.backward(dOut, dFinal, recorder(seenCopies, perStep));
        float[] dInputCopies = g.dInput().clone();
        State dInitialCopies = g.dInitialState().copy();
        float[] paramsCopies = store.grads().clone();

        // one forward, repeated
        store.zeroGrads();
        Recurrent single = copies.sharingParameters();
        Recurrent repeated = copies.sharingParameters();
        float[] whole = new float[(PREFIX + STEPS) * INPUT];
        System.arraycopy(prefix, 0, whole, 0, prefix.length);
        System.arraycopy(x, 0, whole, prefix.length, x.length);
        single.forward(whole, 1, PREFIX + STEPS, null);
        repeated.repeatForward(single, PREFIX, STEPS, ROWS);
        float[] seenRepeated = new float[layers * STEPS * perStep];
        Recurrent.Gradients r = repeated.backward(dOut, dFinal, recorder(seenRepeated, perStep));

        assertArrayEquals(seenCopies, seenRepeated, (float) CLOSE, "the gradient at every layer and step");
        assertArrayEquals(dInputCopies, r.dInput(), (float) CLOSE, "input gradient");
        assertArrayEquals(dInitialCopies.h(), r.dInitialState().h(), (float) CLOSE, "initial h gradient");
        if (cell.hasCellState()) {
            assertArrayEquals(dInitialCopies.c(), r.dInitialState().c(), (float) CLOSE, "initial c gradient");
        }
        assertArrayEquals(paramsCopies, store.grads(), (float) CLOSE, "parameter gradients");
    }

    @Test
    void onlyABatchOneForwardOfTheSameParametersCanBeRepeated() {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent stack = new Recurrent(pb, "", RecurrentConfig.of(CellType.GRU, 2, 3, 1));
        pb.build();
        ParamStore.Builder other = ParamStore.builder();
        Recurrent stranger = new Recurrent(other, "", RecurrentConfig.of(CellType.GRU, 2, 3, 1));
        other.build();
        stranger.forward(new float[4 * 2], 1, 4, null);
        IllegalArgumentException notShared = assertThrows(IllegalArgumentException.class, () -> stack.repeatForward(stranger, 0, 4, 3));
        assertTrue(notShared.getMessage().contains("share this stack's parameters"), notShared.getMessage());

        Recurrent twin = stack.sharingParameters();
        IllegalArgumentException noForward = assertThrows(IllegalArgumentException.class, () -> stack.repeatForward(twin, 0, 4, 3));
        assertTrue(noForward.getMessage().contains("forward on one sequence without lengths"), noForward.getMessage());
        twin.forward(new float[2 * 4 * 2], 2, 4, null);
        assertThrows(IllegalArgumentException.class, () -> stack.repeatForward(twin, 0, 4, 3), "a batch of two");
        twin.forward(new float[4 * 2], 1, 4, null);
        assertThrows(IllegalArgumentException.class, () -> stack.repeatForward(twin, 2, 4, 3), "steps 2 to 5 of a forward over 4");
        twin.forward(new float[4 * 2], 1, 4, null, new int[] {3});
        assertThrows(IllegalArgumentException.class, () -> stack.repeatForward(twin, 0, 4, 3), "a sequence shorter than its steps");
    }

    /** Copies what the observer sees into {@code into [L, T, 2·R·H]}: dh, then dc (zeros without a cell state). */
    private static StepObserver recorder(float[] into, int perStep) {
        return (layer, t, dh, dc, batch, hiddenSize) -> {
            int at = (layer * STEPS + t) * perStep;
            System.arraycopy(dh, 0, into, at, batch * hiddenSize);
            if (dc != null) {
                System.arraycopy(dc, 0, into, at + batch * hiddenSize, batch * hiddenSize);
            }
        };
    }
}
