package io.unroll.flow;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.tensor.Memory;
import io.unroll.tensor.State;
import java.util.Arrays;
import java.util.Locale;

/**
 * The lesson's probe on any stack: how much of a unit gradient put on the last hidden state of the
 * top layer reaches every step of every layer. For one sequence {@code x [1, T, I]} from a given
 * initial state, the stack runs forward, then backward from
 * <pre>
 *   dL/dh_{T-1} = 1/√H on every unit of the top layer,   no other loss
 * </pre>
 * (a gradient of norm 1), and {@code ‖dL/dh_t‖₂} is recorded for every layer l and step t, and
 * {@code ‖dL/dc_t‖₂} for a cell with a cell state, through a {@link GradientNorms} observer on the
 * ordinary backward pass. h_t and c_t are taken as separate variables: {@code dL/dc_t} is what
 * reaches c_t from later steps, not through {@code h_t = o ⊙ tanh(c_t)}. The top layer's norm at
 * T-1 is exactly 1; a lower layer's gradient arrives through the layers above it.
 *
 * <p>This is what {@link GradientDecay} averages over freshly drawn layers. A record of arrays
 * indexed {@code [layer][step]}; the arrays are copied in and out, so a value never changes.
 *
 * @param cell the stack's cell
 * @param dh   {@code ‖dL/dh_t‖₂}, {@code [L][T]}
 * @param dc   {@code ‖dL/dc_t‖₂}, {@code [L][T]}, or null for a cell without a cell state
 */
public record StepGradients(CellType cell, double[][] dh, double[][] dc) {
    public StepGradients {
        if (cell == null || dh == null || dh.length == 0) {
            throw new IllegalArgumentException("step gradients need the cell and at least one layer of norms");
        }
        if ((dc != null) != cell.hasCellState() || dc != null && dc.length != dh.length) {
            throw new IllegalArgumentException("step gradients of a " + cell.id() + " need "
                    + (cell.hasCellState() ? dh.length + " layers of cell-state norms" : "no cell-state norms"));
        }
        dh = deepCopy(dh);
        dc = dc == null ? null : deepCopy(dc);
        int steps = dh[0].length;
        for (int k = 0; k < dh.length; k++) {
            if (steps == 0 || dh[k].length != steps || dc != null && dc[k].length != steps) {
                throw new IllegalArgumentException("step gradients of layer " + k + " have " + dh[k].length
                        + " steps, expected the same positive number of steps (" + steps + ") for every layer and both norms");
            }
        }
    }

    /**
     * Runs the probe on a copy of {@code stack}'s weights: the stack itself, its parameter
     * gradients and its workspace are left as they were.
     *
     * @param input   one sequence {@code [1, T, I]}, finite
     * @param initial the state before step 0, {@code [L, 1, H]} (with c for an LSTM), or null for zeros
     * @throws IllegalArgumentException naming what is wrong with the input or the state
     * @throws Memory.InsufficientMemoryException before anything large is allocated, if the heap cannot hold the run
     */
    public static StepGradients of(Recurrent stack, float[] input, State initial) {
        return probe(stack, input, initial).gradients();
    }

    /** The probe's gradients and the copy of the stack it ran on, whose buffers hold that forward pass's activations. */
    record Probed(StepGradients gradients, Recurrent copy) {}

    /** {@link #of}, keeping the copy it ran on. */
    static Probed probe(Recurrent stack, float[] input, State initial) {
        int steps = StackCopies.checkSequence(stack, input, initial);
        int layers = stack.config().layers();
        long bytes = 4 * (StackCopies.parameterFloats(stack, 0, layers) + stack.workspaceFloats(1, steps))
                + 8L * layers * steps * 2;
        Memory.require(String.format(Locale.ROOT, "the gradient probe of a %s over %,d steps", stack.config().cell().id(),
                steps), bytes, "use a shorter sequence or a larger heap");
        Recurrent copy = StackCopies.layers(stack, 0, layers);
        return new Probed(measure(copy, input, steps, initial), copy);
    }

    /**
     * The probe on a stack the caller owns and lets it use: it resizes that stack's workspace to one
     * sequence of {@code steps} and leaves its parameter gradients as they were.
     */
    static StepGradients measure(Recurrent stack, float[] input, int steps, State initial) {
        int layers = stack.config().layers();
        int hidden = stack.config().hiddenSize();
        stack.forward(input, 1, steps, initial);
        State dFinal = stack.zeroState(1);
        Arrays.fill(dFinal.h(), (layers - 1) * hidden, layers * hidden, (float) (1 / Math.sqrt(hidden)));
        GradientNorms norms = new GradientNorms(layers, steps);
        stack.backward(null, dFinal, norms, Recurrent.InputGradient.SKIP, Recurrent.ParameterGradients.SKIP);
        double[][] dh = new double[layers][];
        double[][] dc = stack.config().cell().hasCellState() ? new double[layers][] : null;
        for (int k = 0; k < layers; k++) {
            dh[k] = norms.layer(k);
            if (dc != null) {
                dc[k] = norms.cellLayer(k);
            }
        }
        return new StepGradients(stack.config().cell(), dh, dc);
    }

    public int layers() {
        return dh.length;
    }

    public int steps() {
        return dh[0].length;
    }

    /** {@code ‖dL/dh_t‖₂} of every layer, {@code [L][T]}: a copy. */
    @Override
    public double[][] dh() {
        return deepCopy(dh);
    }

    /** {@code ‖dL/dc_t‖₂} of every layer, {@code [L][T]}, or null without a cell state: a copy. */
    @Override
    public double[][] dc() {
        return dc == null ? null : deepCopy(dc);
    }

    /** {@code ‖dL/dh_t‖₂} of one layer, indexed by step. */
    public double[] dh(int layer) {
        return dh[layer].clone();
    }

    /** {@code ‖dL/dc_t‖₂} of one layer, indexed by step, or null without a cell state. */
    public double[] dc(int layer) {
        return dc == null ? null : dc[layer].clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StepGradients s && cell == s.cell && Arrays.deepEquals(dh, s.dh) && Arrays.deepEquals(dc, s.dc);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * cell.hashCode() + Arrays.deepHashCode(dh)) + Arrays.deepHashCode(dc);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s, %d layer%s over %d steps: top layer ‖dL/dh_0‖ = %.3e", cell.id(), layers(),
                layers() == 1 ? "" : "s", steps(), dh[dh.length - 1][0]);
    }

    /** A copy of every row; a missing row is refused. */
    static double[][] deepCopy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            if (a[i] == null) {
                throw new IllegalArgumentException("row " + i + " of the norms is missing (null)");
            }
            c[i] = a[i].clone();
        }
        return c;
    }
}
