package io.unroll.flow;

import io.unroll.cell.CellType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link FlowTelemetry} recorded on one sampled training step: the gradient reaching every
 * layer's state at every timestep of the step's first window, the activations behind it, the
 * per-parameter gradient norms and the step's clipping. Immutable; its arrays are copies.
 * docs/telemetry.md defines every figure.
 *
 * @param step           the training step (1 for a run's first)
 * @param cell           the cell of the stack
 * @param batch          B, the sequences of the window
 * @param steps          T, the timesteps of the window (the truncated-BPTT window k, or the
 *                       sequence length when there is none)
 * @param loss           the window's mean loss
 * @param preClipNorm    the global L2 norm of all parameter gradients before clipping
 * @param postClipNorm   after clipping: {@code min(pre, maxNorm)}, to within clipping's ε
 * @param maxNorm        the clipping threshold, {@code Infinity} without clipping
 * @param clipped        whether clipping scaled the gradients ({@code preClipNorm > maxNorm})
 * @param layers         one entry per layer, bottom first
 * @param parameterNorms the L2 norm of each parameter's gradient before clipping, by PyTorch name,
 *                       in the store's order
 */
public record FlowSample(long step, CellType cell, int batch, int steps, double loss, double preClipNorm,
                         double postClipNorm, double maxNorm, boolean clipped, List<Layer> layers,
                         Map<String, Double> parameterNorms) {
    public FlowSample {
        layers = List.copyOf(layers);
        parameterNorms = Collections.unmodifiableMap(new LinkedHashMap<>(parameterNorms));
    }

    /**
     * One layer of a sample (or of a {@link FlowSummary}, averaged over its samples). Norms are
     * L2 over the layer's whole {@code [B, H]} slice at a step, indexed by step 0 .. T-1.
     *
     * @param layer          k, 0 for the bottom layer
     * @param hNorms         {@code ‖dL/dh_t‖}: the total gradient reaching h_t, from the loss at t
     *                       and from every later step
     * @param cNorms         {@code ‖dL/dc_t‖} for the LSTM, the gradient reaching c_t from the later
     *                       steps (c_t taken as a variable of its own, as the state it hands on);
     *                       null for a cell without a cell state
     * @param lastLossNorms  {@code ‖dL_{T-1}/ds_t‖}: the gradient that reaches the layer at the last
     *                       step (from the loss there, or from the layer above) followed back alone
     *                       through the layer's steps, s the state (h, with c for the LSTM); equal to
     *                       {@link #hNorms} when the loss is applied at the last step only; null on a
     *                       sample that was not replayed ({@link FlowTelemetry.Builder#replayEvery})
     * @param firstToLast    {@code lastLossNorms[0] / lastLossNorms[T-1]}: the share of the last
     *                       step's gradient that reaches the first step; NaN without that curve or
     *                       with no gradient at its last step
     * @param horizon        the memory horizon of {@link #lastLossNorms} ({@link MemoryHorizon#of}),
     *                       or null when there is none to measure (no replay, a window of one step,
     *                       or no finite gradient at the last step)
     * @param tanhSaturation the share of the tanh outputs beyond ±{@value FlowTelemetry#SATURATED} over
     *                       the batch and steps: h of a tanh RNN or IndRNN, the candidate g of the LSTM
     *                       and n of the GRU; NaN for the ReLU cells
     * @param deadUnits      for the ReLU cells, the share of the H units that never fired (h > 0)
     *                       anywhere in the batch and steps; NaN for the others
     * @param gate           the LSTM's forget gate f or the GRU's update gate z, or null for the
     *                       cells without one
     */
    public record Layer(int layer, double[] hNorms, double[] cNorms, double[] lastLossNorms, double firstToLast,
                        MemoryHorizon horizon, double tanhSaturation, double deadUnits, Gate gate) {
        public Layer {
            hNorms = hNorms.clone();
            cNorms = cNorms == null ? null : cNorms.clone();
            lastLossNorms = lastLossNorms == null ? null : lastLossNorms.clone();
        }

        @Override
        public double[] hNorms() {
            return hNorms.clone();
        }

        @Override
        public double[] cNorms() {
            return cNorms == null ? null : cNorms.clone();
        }

        @Override
        public double[] lastLossNorms() {
            return lastLossNorms == null ? null : lastLossNorms.clone();
        }
    }

    /**
     * A gate's activations over the batch, steps and units of a layer.
     *
     * @param name       {@code f} (the LSTM's forget gate: how much of c_{t-1} is kept) or {@code z}
     *                   (the GRU's update gate: how much of h_{t-1} is kept)
     * @param mean       the mean activation
     * @param openShare  the share above {@value FlowTelemetry#GATE_OPEN}: memory kept, gradient carried
     * @param shutShare  the share below {@value FlowTelemetry#GATE_SHUT}: memory, and the gradient along
     *                   it, cut at that step
     */
    public record Gate(String name, double mean, double openShare, double shutShare) {
        /** The gate {@code cell} keeps its memory with (f of the LSTM, z of the GRU), or null for a cell without one. */
        static Gate of(CellType cell, double mean, double openShare, double shutShare) {
            return switch (cell) {
                case LSTM -> new Gate("f", mean, openShare, shutShare);
                case GRU -> new Gate("z", mean, openShare, shutShare);
                default -> null;
            };
        }
    }
}
