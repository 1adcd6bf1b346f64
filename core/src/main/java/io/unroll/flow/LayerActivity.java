package io.unroll.flow;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.tensor.Memory;
import io.unroll.tensor.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How one layer's units behave on a sequence: the activation figures the training telemetry
 * samples, for a one-shot look at a model (docs/telemetry.md defines them and their thresholds).
 * Figures a cell does not have are NaN (and the gate null).
 *
 * @param layer          k, 0 for the bottom layer
 * @param tanhSaturation the share of tanh outputs beyond ±{@value FlowTelemetry#SATURATED}: h of a
 *                       tanh RNN or IndRNN, the candidate g of the LSTM, n of the GRU; NaN for ReLU
 * @param deadUnits      for the ReLU cells, the share of units that never fired (h > 0) on the
 *                       sequence; NaN for the others
 * @param gate           the LSTM's forget gate f or the GRU's update gate z, or null
 */
public record LayerActivity(int layer, double tanhSaturation, double deadUnits, FlowSample.Gate gate) {
    /**
     * Runs {@code stack} forward over one sequence on a copy of its weights and reads every
     * layer's activations.
     *
     * @param input   one sequence {@code [1, T, I]}, finite
     * @param initial the state before step 0, {@code [L, 1, H]} (with c for an LSTM), or null for zeros
     * @throws IllegalArgumentException naming what is wrong with the input or the state
     * @throws Memory.InsufficientMemoryException before anything large is allocated, if the heap cannot hold the run
     */
    public static List<LayerActivity> of(Recurrent stack, float[] input, State initial) {
        int steps = StackCopies.checkSequence(stack, input, initial);
        int layers = stack.config().layers();
        CellType cell = stack.config().cell();
        Memory.require(String.format(Locale.ROOT, "the activations of a %s over %,d steps", cell.id(), steps),
                4 * (StackCopies.parameterFloats(stack, 0, layers) + stack.workspaceFloats(1, steps)),
                "use a shorter sequence or a larger heap");
        Recurrent copy = StackCopies.layers(stack, 0, layers);
        copy.forward(input, 1, steps, initial);
        return scan(copy);
    }

    /**
     * Every layer's figures from the activations {@code ran}'s buffers hold from its last forward
     * pass (a backward after it leaves them as they are).
     */
    static List<LayerActivity> scan(Recurrent ran) {
        CellType cell = ran.config().cell();
        int hidden = ran.config().hiddenSize();
        float[] largest = new float[hidden];
        double[] f = new double[ActivationScan.FIGURES];
        List<LayerActivity> list = new ArrayList<>(ran.config().layers());
        for (int k = 0; k < ran.config().layers(); k++) {
            ActivationScan.scan(cell, ran.cell(k).buffers(), hidden, largest, f);
            FlowSample.Gate gate = FlowSample.Gate.of(cell, f[ActivationScan.GATE_MEAN], f[ActivationScan.GATE_OPEN],
                    f[ActivationScan.GATE_SHUT]);
            list.add(new LayerActivity(k, f[ActivationScan.SATURATION], f[ActivationScan.DEAD], gate));
        }
        return list;
    }
}
