package io.unroll.flow;

import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.Arrays;

/**
 * Copies of some layers of a stack with a parameter store of their own, and the matching slices of
 * a state: a probe runs its forward and backward passes on a copy, so it neither adds to the
 * caller's parameter gradients nor resizes the caller's workspace.
 */
final class StackCopies {
    private StackCopies() {}

    /** Layers {@code [from, to)} of {@code stack} as a new stack whose weights are a snapshot of theirs. */
    static Recurrent layers(Recurrent stack, int from, int to) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent copy = declared(stack, from, to, pb);
        pb.build();
        for (int k = from; k < to; k++) {
            copy(stack.weightIh(k), copy.weightIh(k - from));
            copy(stack.weightHh(k), copy.weightHh(k - from));
            copy(stack.biasIh(k), copy.biasIh(k - from));
            copy(stack.biasHh(k), copy.biasHh(k - from));
        }
        return copy;
    }

    /**
     * Layers {@code [from, to)} of {@code stack} declared on {@code params}, nothing allocated until
     * the store is built: what {@link #layers} makes, for weighing its workspace first.
     */
    static Recurrent declared(Recurrent stack, int from, int to, ParamStore.Builder params) {
        RecurrentConfig c = stack.config();
        return new Recurrent(params, "", new RecurrentConfig(c.cell(), c.layerInputSize(from), c.hiddenSize(), to - from,
                c.biasIh(), c.biasHh()));
    }

    /** Floats of parameters and gradients that {@link #layers} allocates for layers {@code [from, to)}. */
    static long parameterFloats(Recurrent stack, int from, int to) {
        long n = 0;
        for (int k = from; k < to; k++) {
            n += stack.weightIh(k).size() + (long) stack.weightHh(k).size();
            n += stack.biasIh(k) == null ? 0 : stack.biasIh(k).size();
            n += stack.biasHh(k) == null ? 0 : stack.biasHh(k).size();
        }
        return 2 * n;
    }

    /** Layers {@code [from, to)} of a state, or null for null (a zero state). */
    static State layers(State state, int from, int to) {
        if (state == null) {
            return null;
        }
        int n = state.batch() * state.hidden();
        float[] h = Arrays.copyOfRange(state.h(), from * n, to * n);
        float[] c = state.c() == null ? null : Arrays.copyOfRange(state.c(), from * n, to * n);
        return new State(to - from, state.batch(), state.hidden(), h, c);
    }

    /**
     * The number of steps T of a one-sequence input {@code [1, T, I]} for {@code stack}, after
     * checking it and the initial state (null, or {@code [L, 1, H]} with a cell state exactly for
     * the LSTM).
     */
    static int checkSequence(Recurrent stack, float[] input, State initial) {
        RecurrentConfig c = stack.config();
        int in = c.inputSize();
        if (input == null) {
            throw new IllegalArgumentException("input is missing (null), expected one sequence [1, T, " + in + "]");
        }
        if (input.length == 0 || input.length % in != 0) {
            throw new IllegalArgumentException("input has " + input.length + " values, expected one sequence [1, T, " + in
                    + "]: a positive multiple of the input size " + in);
        }
        Check.finite("input", input);
        if (initial != null) {
            if (initial.layers() != c.layers() || initial.batch() != 1 || initial.hidden() != c.hiddenSize()) {
                throw new IllegalArgumentException("initial state has shape " + Check.describe(initial.layers(),
                        initial.batch(), initial.hidden()) + ", expected [layers, 1, hidden size] = "
                        + Check.describe(c.layers(), 1, c.hiddenSize()) + " (one sequence)");
            }
            if (initial.hasCell() != c.cell().hasCellState()) {
                throw new IllegalArgumentException("initial state " + (initial.hasCell() ? "has a cell state c, which a "
                        + c.cell().id() + " does not have" : "has no cell state c, which a " + c.cell().id() + " needs")
                        + "; the likely cause is a state from another cell type");
            }
        }
        return input.length / in;
    }

    private static void copy(Param from, Param to) {
        if (from != null) {
            to.set(from.shape(), from.copyValues());
        }
    }
}
