package io.unroll.layer;

import io.unroll.cell.Cell;
import io.unroll.cell.CellType;
import io.unroll.cell.GruCell;
import io.unroll.cell.LstmCell;
import io.unroll.cell.RnnCell;
import io.unroll.cell.StepBuffers;
import io.unroll.kernel.Kernels;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.Arrays;
import java.util.Objects;

/**
 * A stack of L recurrent layers with PyTorch semantics and names ({@code nn.RNN}, {@code nn.LSTM},
 * {@code nn.GRU} with {@code batch_first=True}), trained by full backpropagation through time.
 * Layer k's input is layer k-1's output sequence. Parameters, per layer k, in PyTorch's layout:
 * {@code weight_ih_lk [G·H, I_k]}, {@code weight_hh_lk [G·H, H]}, {@code bias_ih_lk [G·H]},
 * {@code bias_hh_lk [G·H]}.
 *
 * <p>This class holds the one time loop of the library, run the way cuDNN runs it: the input
 * projection {@code X W_ihᵀ + b} of all T steps is one GEMM before the loop; each step adds only
 * {@code h_{t-1} W_hhᵀ} and the cell's gate math; backward walks the steps in reverse, and the
 * weight gradients {@code dW_ih += dGatesᵀ X}, {@code dW_hh += dGatesᵀ H_prev} and the input
 * gradient {@code dX = dGates W_ih} (left out for data inputs, {@link InputGradient#SKIP}) are
 * again one GEMM each over all steps. The bias gradients {@code Σ dGates} are summed inside the
 * loop, step by step, while a step's gate gradients are still in the cache: a pass over all of
 * them afterwards read them back from memory (4-6 ms of a 170-230 ms LSTM or GRU step at H = 256,
 * B = 128, against 1-2 ms now).
 *
 * <p>Workspaces are sized for the last (batch, steps) shape and reused: repeated calls with one
 * shape allocate nothing. Arrays returned by {@link #forward} and {@link #backward} belong to that
 * workspace and stay valid until the next call; copy them to keep them. Not thread-safe.
 */
public final class Recurrent {
    private final RecurrentConfig config;
    private final Layer[] layers;

    // Workspace for the current shape; see ensureShape.
    private int batch;
    private int steps;
    private float[] inputTimeMajor; // [T, B, I]
    private float[] output;         // [B, T, H]
    private float[] hFinal;         // [L, B, H]
    private float[] cFinal;         // [L, B, H] or null
    private float[] dTopTimeMajor;  // [T, B, H]
    private float[] dInput;         // [B, T, I]
    private float[] dhInitial;      // [L, B, H]
    private float[] dcInitial;      // [L, B, H] or null
    private int[] lengths;          // [B] valid steps per sequence
    private boolean padded;         // some sequence is shorter than the batch's steps
    private float[] dcKeep;         // [B, H] LSTM cell gradient of padded rows, kept across a backward step
    private Output forwardResult;
    private Gradients backwardResult;
    private Gradients backwardResultWithoutInput; // the same state gradients, dInput null
    private boolean forwardDone;

    /** Result of {@link #forward}: the top layer's outputs {@code [B, T, H]} and the final state. */
    public record Output(float[] output, State finalState) {}

    /**
     * Result of {@link #backward}: the gradients of the input {@code [B, T, I]} (null when
     * {@link InputGradient#SKIP} was asked for) and of the initial state.
     */
    public record Gradients(float[] dInput, State dInitialState) {}

    /**
     * Whether {@link #backward} computes the gradient of the input sequence. An input that is data
     * (one-hot characters, features) needs none; skipping it saves the GEMM {@code dX = dGates W_ih}
     * of the first layer, a sixth of the backward work of a one-layer network with I = H. The
     * parameter and initial-state gradients are the same either way.
     */
    public enum InputGradient {
        /** Compute {@code dX}, for an input that is itself trained (an embedding, a layer below). */
        COMPUTE,
        /** Leave {@code dX} out; {@link Gradients#dInput()} is null. */
        SKIP
    }

    /** One layer's parameters, cell and buffers. */
    private static final class Layer {
        final int inputSize;
        final Param weightIh; // [GH, I_k]
        final Param weightHh; // [GH, H]
        final Param biasIh;   // [GH] or null
        final Param biasHh;   // [GH] or null
        final Cell cell;
        final float[] weightIhTPanels; // W_ihᵀ [I_k, GH] in panels, packed before each forward
        final float[] biasScratch; // [GH]: b_ih + b_hh in forward, Σ_rows dPre_ih in backward
        final float[] biasScratchHh; // [GH]: Σ_rows dPre_hh in backward when it differs from dPre_ih (the GRU)
        StepBuffers buf;
        float[] dInput;       // [T, B, I_k] time-major

        Layer(int inputSize, Param weightIh, Param weightHh, Param biasIh, Param biasHh, Cell cell) {
            this.inputSize = inputSize;
            this.weightIh = weightIh;
            this.weightHh = weightHh;
            this.biasIh = biasIh;
            this.biasHh = biasHh;
            this.cell = cell;
            this.weightIhTPanels = new float[weightIh.size()];
            this.biasScratch = new float[weightIh.rows()];
            this.biasScratchHh = new float[weightIh.rows()];
        }
    }

    /**
     * Declares the parameters on {@code params} under {@code prefix} (e.g. {@code "rnn."}, or
     * {@code ""} for the bare PyTorch module names). They are zero until initialised.
     */
    public Recurrent(ParamStore.Builder params, String prefix, RecurrentConfig config) {
        this.config = config;
        int h = config.hiddenSize();
        int gh = config.cell().gates() * h;
        this.layers = new Layer[config.layers()];
        for (int k = 0; k < config.layers(); k++) {
            int in = config.layerInputSize(k);
            Param wIh = params.add(prefix + "weight_ih_l" + k, gh, in);
            Param wHh = params.add(prefix + "weight_hh_l" + k, gh, h);
            Param bIh = config.biasIh() ? params.add(prefix + "bias_ih_l" + k, gh) : null;
            Param bHh = config.biasHh() ? params.add(prefix + "bias_hh_l" + k, gh) : null;
            layers[k] = new Layer(in, wIh, wHh, bIh, bHh, newCell(config.cell(), bHh));
        }
    }

    private Recurrent(Recurrent shared) {
        this.config = shared.config;
        this.layers = new Layer[shared.layers.length];
        for (int k = 0; k < layers.length; k++) {
            Layer l = shared.layers[k];
            layers[k] = new Layer(l.inputSize, l.weightIh, l.weightHh, l.biasIh, l.biasHh, l.cell);
        }
    }

    /**
     * A stack that shares this one's parameters (and so sees every update to them) but has its own
     * workspace: for streaming or evaluation beside training without resizing the training workspace.
     */
    public Recurrent sharingParameters() {
        return new Recurrent(this);
    }

    private static Cell newCell(CellType type, Param biasHh) {
        switch (type) {
            case RNN_TANH:
            case RNN_RELU:
                return new RnnCell(type);
            case LSTM:
                return new LstmCell();
            case GRU:
                return new GruCell(biasHh);
            default:
                throw new AssertionError(type);
        }
    }

    public RecurrentConfig config() {
        return config;
    }

    public Param weightIh(int layer) {
        return layers[layer].weightIh;
    }

    public Param weightHh(int layer) {
        return layers[layer].weightHh;
    }

    /** {@code bias_ih_lk}, or null when the stack has none. */
    public Param biasIh(int layer) {
        return layers[layer].biasIh;
    }

    /** {@code bias_hh_lk}, or null when the stack has none. */
    public Param biasHh(int layer) {
        return layers[layer].biasHh;
    }

    /** {@link #forward(float[], int, int, State, int[])} with every sequence {@code steps} long. */
    public Output forward(float[] input, int batch, int steps, State initial) {
        return forward(input, batch, steps, initial, null);
    }

    /**
     * Runs the stack over a batch of sequences, each padded to {@code steps}.
     *
     * <p>A sequence of length {@code n < steps} gives exactly what it gives alone: its state stops
     * changing after step n-1, so the final state is the one after its last real step; its outputs
     * at padded steps are 0; and backward passes no gradient through the padded steps (the job of
     * PyTorch's {@code pack_padded_sequence}).
     *
     * @param input   {@code [B, T, I]} batch-first, finite (padded positions are read but do not matter)
     * @param initial the state before step 0, {@code [L, B, H]} (with c for an LSTM), or null for zeros
     * @param lengths {@code [B]} the number of real steps of each sequence, each in {@code [1, T]}, or null
     * @return the top layer's outputs {@code [B, T, H]} and the state after each sequence's last step
     */
    public Output forward(float[] input, int batch, int steps, State initial, int[] lengths) {
        Check.positive("batch", batch);
        Check.positive("steps", steps);
        int in = config.inputSize();
        int h = config.hiddenSize();
        Check.shape("input [batch, steps, input size]", input, batch, steps, in);
        Check.finite("input", input);
        checkState("initial state", initial, batch);
        checkLengths(lengths, batch, steps);
        ensureShape(batch, steps);
        padded = false;
        for (int b = 0; b < batch; b++) {
            this.lengths[b] = lengths == null ? steps : lengths[b];
            padded |= this.lengths[b] < steps;
        }

        Kernels.swapAxes(inputTimeMajor, 0, input, 0, batch, steps, in);
        int bh = batch * h;
        for (int k = 0; k < layers.length; k++) {
            Layer layer = layers[k];
            StepBuffers buf = layer.buf;
            float[] x = k == 0 ? inputTimeMajor : layers[k - 1].buf.hs;
            int xOff = k == 0 ? 0 : bh;
            copyStateSlice(buf.hs, initial == null ? null : initial.h(), k * bh, bh);
            if (buf.cs != null) {
                copyStateSlice(buf.cs, initial == null ? null : initial.c(), k * bh, bh);
            }
            // the weights as the B of A·B products, in panels that stream through the cache:
            // W_ihᵀ [I_k, GH]; W_hhᵀ [H, GH] for the steps forward and W_hh [GH, H] for backward's
            Kernels.packPanels(layer.weightIhTPanels, 0, layer.weightIh.data(), layer.weightIh.offset(),
                    layer.inputSize, buf.gateWidth, true);
            Kernels.packPanels(buf.weightHhTPanels, 0, layer.weightHh.data(), layer.weightHh.offset(), h, buf.gateWidth, true);
            Kernels.packPanels(buf.weightHhPanels, 0, layer.weightHh.data(), layer.weightHh.offset(), buf.gateWidth, h, false);
            // gates[t] = x_t W_ihᵀ + b_ih (+ b_hh) for all steps at once
            int rows = steps * batch;
            Kernels.gemmNNPanels(buf.gates, buf.gatesBase, x, xOff, layer.weightIhTPanels, 0, rows, buf.gateWidth,
                    layer.inputSize);
            boolean foldHh = layer.biasHh != null && layer.cell.foldsHiddenBias();
            if (layer.biasIh != null && foldHh) {
                // one pass over the gates with b_ih + b_hh
                System.arraycopy(layer.biasIh.data(), layer.biasIh.offset(), layer.biasScratch, 0, buf.gateWidth);
                Kernels.add(layer.biasScratch, 0, layer.biasHh.data(), layer.biasHh.offset(), buf.gateWidth);
                Kernels.addRowVector(buf.gates, buf.gatesBase, layer.biasScratch, 0, rows, buf.gateWidth);
            } else if (layer.biasIh != null) {
                Kernels.addRowVector(buf.gates, buf.gatesBase, layer.biasIh.data(), layer.biasIh.offset(), rows, buf.gateWidth);
            } else if (foldHh) {
                Kernels.addRowVector(buf.gates, buf.gatesBase, layer.biasHh.data(), layer.biasHh.offset(), rows, buf.gateWidth);
            }
            for (int t = 0; t < steps; t++) {
                layer.cell.forward(buf, t);
                if (padded) {
                    holdStateOfEndedSequences(buf, t);
                }
            }
            System.arraycopy(buf.hs, buf.stateSlot(steps), hFinal, k * bh, bh);
            if (cFinal != null) {
                System.arraycopy(buf.cs, buf.stateSlot(steps), cFinal, k * bh, bh);
            }
        }
        Kernels.swapAxes(output, 0, layers[layers.length - 1].buf.hs, bh, steps, batch, h);
        if (padded) {
            for (int b = 0; b < batch; b++) {
                Arrays.fill(output, (b * steps + this.lengths[b]) * h, (b + 1) * steps * h, 0f);
            }
        }
        forwardDone = true;
        return forwardResult;
    }

    /** {@link #backward(float[], State, StepObserver, InputGradient)} without an observer, computing the input gradient. */
    public Gradients backward(float[] dOutput, State dFinal) {
        return backward(dOutput, dFinal, StepObserver.NONE, InputGradient.COMPUTE);
    }

    /** {@link #backward(float[], State, StepObserver, InputGradient)} computing the input gradient. */
    public Gradients backward(float[] dOutput, State dFinal, StepObserver observer) {
        return backward(dOutput, dFinal, observer, InputGradient.COMPUTE);
    }

    /**
     * Backpropagation through time over the sequence of the last {@link #forward} call.
     * Parameter gradients are <em>added</em> to the store's gradient array.
     *
     * @param dOutput  gradient of the loss with respect to the outputs {@code [B, T, H]}, or null for zeros
     * @param dFinal   gradient with respect to the final state, or null for zeros
     * @param observer sees the total gradient reaching every h_t of every layer
     * @param inputGradient whether to compute the gradient of the input sequence
     * @return the gradients of the input {@code [B, T, I]} (null if skipped) and of the initial state
     */
    public Gradients backward(float[] dOutput, State dFinal, StepObserver observer, InputGradient inputGradient) {
        Objects.requireNonNull(observer, "observer (use StepObserver.NONE for none)");
        Objects.requireNonNull(inputGradient, "inputGradient (COMPUTE or SKIP)");
        if (!forwardDone) {
            throw new IllegalStateException("backward called before forward: run forward on the batch first");
        }
        int h = config.hiddenSize();
        if (dOutput != null) {
            Check.shape("output gradient [batch, steps, hidden size]", dOutput, batch, steps, h);
            Check.finite("output gradient", dOutput);
            Kernels.swapAxes(dTopTimeMajor, 0, dOutput, 0, batch, steps, h);
        } else {
            Arrays.fill(dTopTimeMajor, 0f);
        }
        checkState("final-state gradient", dFinal, batch);
        if (dFinal != null) {
            Check.finite("final-state gradient h", dFinal.h());
            if (dFinal.c() != null) {
                Check.finite("final-state gradient c", dFinal.c());
            }
        }
        int bh = batch * h;
        int rows = steps * batch;
        for (int k = layers.length - 1; k >= 0; k--) {
            Layer layer = layers[k];
            StepBuffers buf = layer.buf;
            float[] dOut = k == layers.length - 1 ? dTopTimeMajor : layers[k + 1].dInput; // [T, B, H]
            copyStateSlice(buf.dhCarry, 0, dFinal == null ? null : dFinal.h(), k * bh, bh);
            if (buf.dc != null) {
                copyStateSlice(buf.dc, 0, dFinal == null ? null : dFinal.c(), k * bh, bh);
            }
            // the bias gradients Σ_rows dPre, summed step by step while a step's dPre is in the cache
            boolean sharedPre = buf.dPreHh == buf.dPreIh;
            boolean sumIh = layer.biasIh != null || layer.biasHh != null && sharedPre;
            boolean sumHh = layer.biasHh != null && !sharedPre;
            Arrays.fill(layer.biasScratch, 0f);
            Arrays.fill(layer.biasScratchHh, 0f);
            for (int t = steps - 1; t >= 0; t--) {
                // dh_t = ∂L/∂output_t + the gradient carried back from step t+1
                Kernels.sum(buf.dh, 0, buf.dhCarry, 0, dOut, t * bh, bh);
                boolean someEnded = padded && endedBefore(t);
                if (someEnded) {
                    beforePaddedStepBackward(buf, t);
                }
                observer.onStep(k, t, buf.dh, batch, h);
                layer.cell.backward(buf, t);
                if (someEnded) {
                    afterPaddedStepBackward(buf, t);
                }
                if (sumIh) {
                    Kernels.addColumnSums(layer.biasScratch, 0, buf.dPreIh, buf.gateStep(t), batch, buf.gateWidth);
                }
                if (sumHh) {
                    Kernels.addColumnSums(layer.biasScratchHh, 0, buf.dPreHh, buf.gateStep(t), batch, buf.gateWidth);
                }
            }
            System.arraycopy(buf.dhCarry, 0, dhInitial, k * bh, bh);
            if (buf.dc != null) {
                System.arraycopy(buf.dc, 0, dcInitial, k * bh, bh);
            }
            // weight and input gradients: one GEMM each over all T·B rows
            float[] x = k == 0 ? inputTimeMajor : layers[k - 1].buf.hs;
            int xOff = k == 0 ? 0 : bh;
            Kernels.gemmTNAdd(layer.weightIh.grad(), layer.weightIh.offset(), buf.dPreIh, 0, x, xOff,
                    buf.gateWidth, layer.inputSize, rows);
            Kernels.gemmTNAdd(layer.weightHh.grad(), layer.weightHh.offset(), buf.dPreHh, 0, buf.hs, 0,
                    buf.gateWidth, h, rows);
            if (layer.biasIh != null) {
                Kernels.add(layer.biasIh.grad(), layer.biasIh.offset(), layer.biasScratch, 0, buf.gateWidth);
            }
            if (layer.biasHh != null) {
                Kernels.add(layer.biasHh.grad(), layer.biasHh.offset(), sharedPre ? layer.biasScratch : layer.biasScratchHh,
                        0, buf.gateWidth);
            }
            if (k > 0 || inputGradient == InputGradient.COMPUTE) {
                Kernels.gemmNN(layer.dInput, 0, buf.dPreIh, 0, layer.weightIh.data(), layer.weightIh.offset(),
                        rows, layer.inputSize, buf.gateWidth);
            }
        }
        if (inputGradient == InputGradient.SKIP) {
            return backwardResultWithoutInput;
        }
        Kernels.swapAxes(dInput, 0, layers[0].dInput, 0, steps, batch, config.inputSize());
        return backwardResult;
    }

    /** Floats kept from forward for backward at the current shape, over all layers. */
    public long storedFloats() {
        long n = 0;
        for (Layer layer : layers) {
            n += layer.buf == null ? 0 : layer.buf.storedFloats();
        }
        return n;
    }

    private static void checkLengths(int[] lengths, int batch, int steps) {
        if (lengths == null) {
            return;
        }
        Check.shape("lengths [batch]", lengths, batch);
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                throw new IllegalArgumentException("length of sequence " + b + " is " + lengths[b] + ", expected 1 to "
                        + steps + " (the padded length)" + (lengths[b] < 1
                        ? "; an empty sequence has nothing to run: leave it out of the batch"
                        : "; the likely cause is lengths counted with a separator or a batch padded too short"));
            }
        }
    }

    /** True when some sequence's last real step comes before step t. */
    private boolean endedBefore(int t) {
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                return true;
            }
        }
        return false;
    }

    /** Forward at a padded step t: a sequence that has ended keeps its state, {@code h_t = h_{t-1}}. */
    private void holdStateOfEndedSequences(StepBuffers buf, int t) {
        int h = config.hiddenSize();
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                System.arraycopy(buf.hs, buf.stateSlot(t) + b * h, buf.hs, buf.stateSlot(t + 1) + b * h, h);
                if (buf.cs != null) {
                    System.arraycopy(buf.cs, buf.stateSlot(t) + b * h, buf.cs, buf.stateSlot(t + 1) + b * h, h);
                }
            }
        }
    }

    /** Backward at a padded step t, before the cell: the loss does not see an ended sequence here. */
    private void beforePaddedStepBackward(StepBuffers buf, int t) {
        int h = config.hiddenSize();
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                System.arraycopy(buf.dhCarry, b * h, buf.dh, b * h, h);
            }
        }
        if (buf.dc != null) {
            System.arraycopy(buf.dc, 0, dcKeep, 0, dcKeep.length);
        }
    }

    /**
     * Backward at a padded step t, after the cell: the step was an identity for an ended sequence,
     * so its gradient passes through unchanged and none reaches the weights.
     */
    private void afterPaddedStepBackward(StepBuffers buf, int t) {
        int h = config.hiddenSize();
        int gw = buf.gateWidth;
        int g0 = buf.gateStep(t);
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                Arrays.fill(buf.dPreIh, g0 + b * gw, g0 + (b + 1) * gw, 0f);
                Arrays.fill(buf.dPreHh, g0 + b * gw, g0 + (b + 1) * gw, 0f);
                System.arraycopy(buf.dh, b * h, buf.dhCarry, b * h, h);
                if (buf.dc != null) {
                    System.arraycopy(dcKeep, b * h, buf.dc, b * h, h);
                }
            }
        }
    }

    private void checkState(String what, State state, int batch) {
        if (state == null) {
            return;
        }
        int l = config.layers();
        int h = config.hiddenSize();
        if (state.layers() != l || state.batch() != batch || state.hidden() != h) {
            throw new IllegalArgumentException(what + " has shape " + Check.describe(state.layers(), state.batch(), state.hidden())
                    + ", expected [layers, batch, hidden] = " + Check.describe(l, batch, h));
        }
        boolean needsCell = config.cell().hasCellState();
        if (state.hasCell() != needsCell) {
            throw new IllegalArgumentException(what + (needsCell ? " has no cell state c, which an LSTM needs"
                    : " has a cell state c, which only an LSTM has") + "; the likely cause is a state from another cell type");
        }
        Check.finite(what, " h", state.h());
        if (state.c() != null) {
            Check.finite(what, " c", state.c());
        }
    }

    private void ensureShape(int batch, int steps) {
        if (batch == this.batch && steps == this.steps) {
            return;
        }
        int in = config.inputSize();
        int h = config.hiddenSize();
        int l = config.layers();
        for (Layer layer : layers) {
            layer.buf = new StepBuffers(config.cell(), batch, steps, h);
            layer.dInput = new float[steps * batch * layer.inputSize];
        }
        inputTimeMajor = new float[steps * batch * in];
        output = new float[batch * steps * h];
        hFinal = new float[l * batch * h];
        boolean cell = config.cell().hasCellState();
        cFinal = cell ? new float[l * batch * h] : null;
        dTopTimeMajor = new float[steps * batch * h];
        dInput = new float[batch * steps * in];
        dhInitial = new float[l * batch * h];
        dcInitial = cell ? new float[l * batch * h] : null;
        lengths = new int[batch];
        dcKeep = cell ? new float[batch * h] : null;
        forwardResult = new Output(output, new State(l, batch, h, hFinal, cFinal));
        backwardResult = new Gradients(dInput, new State(l, batch, h, dhInitial, dcInitial));
        backwardResultWithoutInput = new Gradients(null, backwardResult.dInitialState());
        this.batch = batch;
        this.steps = steps;
        forwardDone = false;
    }

    private static void copyStateSlice(float[] dst, float[] state, int stateOff, int len) {
        copyStateSlice(dst, 0, state, stateOff, len);
    }

    private static void copyStateSlice(float[] dst, int dstOff, float[] state, int stateOff, int len) {
        if (state == null) {
            Arrays.fill(dst, dstOff, dstOff + len, 0f);
        } else {
            System.arraycopy(state, stateOff, dst, dstOff, len);
        }
    }
}
