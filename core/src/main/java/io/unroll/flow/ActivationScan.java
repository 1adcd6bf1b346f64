package io.unroll.flow;

import io.unroll.cell.CellType;
import io.unroll.cell.GruGate;
import io.unroll.cell.LstmGate;
import io.unroll.cell.StepBuffers;
import java.util.Arrays;

/**
 * The activation figures of one layer's last forward pass, read from its step buffers
 * (docs/telemetry.md defines them): the share of saturated tanh outputs, the share of ReLU units
 * that never fired, and the mean, open and shut shares of the LSTM's forget gate or the GRU's
 * update gate. Figures a cell does not have are NaN. No allocation: the telemetry calls it on
 * every sample.
 */
final class ActivationScan {
    /** Indices of the figures in the output array. */
    static final int SATURATION = 0;
    static final int DEAD = 1;
    static final int GATE_MEAN = 2;
    static final int GATE_OPEN = 3;
    static final int GATE_SHUT = 4;
    static final int FIGURES = 5;

    // The thresholds as float bits. The scans count with integer arithmetic on them, never a branch:
    // compiled while a model is young, a branch is laid out for activations that are never saturated,
    // and costs a misprediction on every other value once half of them are (measured: 7x slower).
    private static final int SATURATED_BITS = Float.floatToRawIntBits((float) FlowTelemetry.SATURATED);
    private static final int OPEN_BITS = Float.floatToRawIntBits((float) FlowTelemetry.GATE_OPEN);
    private static final int SHUT_BITS = Float.floatToRawIntBits((float) FlowTelemetry.GATE_SHUT);

    private ActivationScan() {}

    /**
     * The figures of a layer of {@code cell} with {@code hidden} units, over the batch and steps
     * its buffers hold, into {@code out[FIGURES]}.
     *
     * @param largest scratch of {@code hidden} floats
     */
    static void scan(CellType cell, StepBuffers buf, int hidden, float[] largest, double[] out) {
        Arrays.fill(out, Double.NaN);
        int rows = buf.steps * buf.batch;
        switch (cell) {
            case RNN_TANH, INDRNN_TANH -> out[SATURATION] = saturatedShare(buf.hs, buf.stateSlot(1), rows, hidden);
            case RNN_RELU, INDRNN_RELU -> out[DEAD] = deadShare(buf.hs, buf.stateSlot(1), rows, hidden, largest);
            case LSTM -> gates(buf.gates, buf.gatesBase, rows, buf.gateWidth, hidden, LstmGate.G.offset(hidden),
                    LstmGate.F.offset(hidden), out);
            case GRU -> gates(buf.gates, buf.gatesBase, rows, buf.gateWidth, hidden, GruGate.N.offset(hidden),
                    GruGate.Z.offset(hidden), out);
            default -> throw new AssertionError(cell);
        }
    }

    /** The share of {@code |y| > SATURATED} in {@code rows} rows of states {@code [rows, H]} from {@code from}. */
    private static double saturatedShare(float[] hs, int from, int rows, int h) {
        long count = 0;
        for (int r = 0; r < rows; r++) {
            int o = from + r * h;
            int n = 0;
            for (int j = 0; j < h; j++) {
                // |y| > SATURATED: the magnitude's bits exceed the threshold's, so their difference is negative
                n += (SATURATED_BITS - (Float.floatToRawIntBits(hs[o + j]) & 0x7fffffff)) >>> 31;
            }
            count += n;
        }
        return (double) count / ((long) rows * h);
    }

    /** The share of the H units never above 0 in {@code rows} rows of states {@code [rows, H]} from {@code from}. */
    private static double deadShare(float[] hs, int from, int rows, int h, float[] largest) {
        Arrays.fill(largest, 0, h, 0f);
        for (int r = 0; r < rows; r++) {
            int o = from + r * h;
            for (int j = 0; j < h; j++) {
                largest[j] = Math.max(largest[j], hs[o + j]);
            }
        }
        int never = 0;
        for (int j = 0; j < h; j++) {
            never += largest[j] > 0 ? 0 : 1;
        }
        return (double) never / h;
    }

    /**
     * In one pass over {@code rows} rows of gate activations {@code [rows, width]}: the saturated
     * share of the tanh block at {@code candidate}, and the mean and the open and shut shares of
     * the gate block at {@code keep} (values in [0, 1]).
     */
    private static void gates(float[] a, int from, int rows, int width, int h, int candidate, int keep, double[] out) {
        long saturated = 0;
        double sum = 0;
        long open = 0;
        long shut = 0;
        for (int r = 0; r < rows; r++) {
            int c = from + r * width + candidate;
            int g = from + r * width + keep;
            int rowSaturated = 0;
            int rowOpen = 0;
            int rowShut = 0;
            float rowSum = 0;
            for (int j = 0; j < h; j++) {
                rowSaturated += (SATURATED_BITS - (Float.floatToRawIntBits(a[c + j]) & 0x7fffffff)) >>> 31;
                float v = a[g + j];
                int bits = Float.floatToRawIntBits(v); // v >= 0: the bits order as the values
                rowSum += v;
                rowOpen += (OPEN_BITS - bits) >>> 31;
                rowShut += (bits - SHUT_BITS) >>> 31;
            }
            saturated += rowSaturated;
            sum += rowSum;
            open += rowOpen;
            shut += rowShut;
        }
        double n = (double) rows * h;
        out[SATURATION] = saturated / n;
        out[GATE_MEAN] = sum / n;
        out[GATE_OPEN] = open / n;
        out[GATE_SHUT] = shut / n;
    }
}
