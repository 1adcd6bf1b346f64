package io.unroll.cell;

import io.unroll.init.InitScheme;
import io.unroll.kernel.Kernels;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import java.util.Arrays;

/**
 * One layer's recurrent cell: its parameters under PyTorch's names, the memory a (batch, steps)
 * shape needs, its bias rules, one step forward and the matching step backward, its weight
 * gradients, its batch-1 streaming step and its cost. The time loop that calls it lives once, in
 * {@link io.unroll.layer.Recurrent}; docs/engine.md draws how a forward and a backward pass use
 * these methods.
 *
 * <p>Parameters of layer k, declared here: {@code weight_ih_lk [G·H, I_k]}, {@code weight_hh_lk}
 * (shape chosen by the cell: {@code [G·H, H]} for a recurrent matrix), {@code bias_ih_lk [G·H]} and
 * {@code bias_hh_lk [G·H]} when the stack has them.
 *
 * <p>What all cells share is here: the input projection {@code X W_ihᵀ + b} of all steps as one
 * GEMM before the loop, the bias gradients summed step by step while a step's gradients are in
 * the cache, and {@code dW_ih}, {@code dX} as one GEMM each after the loop. A cell that
 * {@linkplain #foldsHiddenBias() folds} {@code b_hh} adds it once with the input projection, and
 * its bias gradient is the input side's.
 *
 * <p>A cell instance owns a workspace; {@link #sharingParameters()} makes another over the same
 * parameters. Declaring a cell allocates almost nothing: its workspace, the packed copies of its
 * weights included, is allocated by the first {@link #resize}, so a model can be declared and
 * its memory ({@link #workspaceFloats}) weighed against the heap before anything large exists.
 * Not thread-safe.
 */
public abstract class Cell {
    private final CellType type;
    protected final int inputSize;  // I_k
    protected final int hidden;     // H
    protected final int gateWidth;  // G·H
    protected final Param weightIh; // [GH, I_k]
    protected final Param weightHh; // the cell's recurrent weight
    protected final Param biasIh;   // [GH] or null
    protected final Param biasHh;   // [GH] or null
    private final boolean foldsHiddenBias;
    // The workspace that does not depend on the shape, allocated with the rest by the first resize:
    private float[] weightIhTPanels; // W_ihᵀ [I_k, GH] in panels, packed before each forward
    private float[] biasSum;         // [GH]: b_ih + b_hh in forward; Σ_rows dPre_ih in backward
    private float[] hiddenBiasSum;   // [GH]: Σ_rows dPre_hh in backward, for cells that do not fold b_hh; else null
    /** The workspace of the current (batch, steps) shape; null before the first {@link #resize}. */
    protected StepBuffers buf;

    /**
     * Declares the layer's parameters on {@code params} under {@code prefix}.
     *
     * @param recurrentShape  the shape of {@code weight_hh_lk}
     * @param foldsHiddenBias whether {@code b_hh} enters the same pre-activation as {@code b_ih}
     */
    protected Cell(CellType type, ParamStore.Builder params, String prefix, CellShape shape, int[] recurrentShape,
                   boolean foldsHiddenBias) {
        this.type = type;
        this.inputSize = shape.inputSize();
        this.hidden = shape.hidden();
        int k = shape.layer();
        // weight_ih [G·H, I_k] must fit one array, and so G·H an int, before anything is multiplied out
        Check.arrayLength(prefix + "weight_ih_l" + k + " [gates, hidden size, input size]",
                type.gates(), hidden, inputSize);
        this.gateWidth = type.gates() * hidden;
        this.weightIh = params.add(prefix + "weight_ih_l" + k, gateWidth, inputSize);
        this.weightHh = params.add(prefix + "weight_hh_l" + k, recurrentShape);
        this.biasIh = shape.biasIh() ? params.add(prefix + "bias_ih_l" + k, gateWidth) : null;
        this.biasHh = shape.biasHh() ? params.add(prefix + "bias_hh_l" + k, gateWidth) : null;
        this.foldsHiddenBias = foldsHiddenBias;
    }

    /** A cell over the parameters of {@code shared}, with a workspace of its own. */
    protected Cell(Cell shared) {
        this.type = shared.type;
        this.inputSize = shared.inputSize;
        this.hidden = shared.hidden;
        this.gateWidth = shared.gateWidth;
        this.weightIh = shared.weightIh;
        this.weightHh = shared.weightHh;
        this.biasIh = shared.biasIh;
        this.biasHh = shared.biasHh;
        this.foldsHiddenBias = shared.foldsHiddenBias;
    }

    /** A cell of the same kind over the same parameters (it sees every update to them), with its own workspace. */
    public abstract Cell sharingParameters();

    public CellType type() {
        return type;
    }

    /** {@code weight_ih_lk [G·H, I_k]}. */
    public Param weightIh() {
        return weightIh;
    }

    /** {@code weight_hh_lk}, in the shape the cell declared. */
    public Param weightHh() {
        return weightHh;
    }

    /** {@code bias_ih_lk [G·H]}, or null. */
    public Param biasIh() {
        return biasIh;
    }

    /** {@code bias_hh_lk [G·H]}, or null. */
    public Param biasHh() {
        return biasHh;
    }

    /** Whether {@code b_hh} is added once with the input projection (true unless a gate multiplies the hidden side, as the GRU's r). */
    public boolean foldsHiddenBias() {
        return foldsHiddenBias;
    }

    /** The gate block whose bias is the forget-gate bias (the LSTM's f), or -1 when the cell has none. */
    public int forgetGateBlock() {
        return -1;
    }

    /** The workspace of the current shape. */
    public StepBuffers buffers() {
        return buf;
    }

    /**
     * Sizes the workspace for {@code batch} sequences of {@code steps} steps (the first call also
     * allocates the part that does not depend on the shape); cells with memory of their own size it
     * here too, and count it in {@link #workspaceFloats}.
     */
    public void resize(int batch, int steps) {
        if (weightIhTPanels == null) {
            weightIhTPanels = new float[gateWidth * inputSize];
            biasSum = new float[gateWidth];
            hiddenBiasSum = foldsHiddenBias ? null : new float[gateWidth];
        }
        buf = new StepBuffers(batch, steps, hidden, gateWidth, type.gates() == 1, type.hasCellState(), !foldsHiddenBias);
    }

    /**
     * Floats of the workspace {@link #resize} allocates for {@code batch} sequences of
     * {@code steps} steps: the step buffers ({@link StepBuffers#floats}), the packed weights and the
     * gradient sums; computed without allocating anything, to weigh a model against the heap first.
     */
    public long workspaceFloats(int batch, int steps) {
        return StepBuffers.floats(batch, steps, hidden, gateWidth, type.gates() == 1, type.hasCellState(), !foldsHiddenBias)
                + (long) gateWidth * inputSize + (foldsHiddenBias ? 1L : 2L) * gateWidth;
    }

    // ---------------------------------------------------------------- forward

    /**
     * Before the time loop: {@code gates[0..T) = X W_ihᵀ + b_ih (+ b_hh where folded)} for all T·B
     * rows at once, and the recurrent weight prepared for the steps.
     *
     * @param x {@code [T, B, I_k]} time-major from {@code xOff}
     */
    public final void projectInputs(float[] x, int xOff) {
        int rows = buf.steps * buf.batch;
        // W_ihᵀ [I_k, GH] as the B of an A·B product, in panels that stream through the cache
        Kernels.packPanels(weightIhTPanels, 0, weightIh.data(), weightIh.offset(), inputSize, gateWidth, true);
        prepareRecurrentWeight();
        Kernels.gemmNNPanels(buf.gates, buf.gatesBase, x, xOff, weightIhTPanels, 0, rows, gateWidth, inputSize);
        addInputBiases(rows);
    }

    /** Adds the biases that enter with the input projection: b_ih, b_hh where folded, in one pass. */
    private void addInputBiases(int rows) {
        Param folded = foldsHiddenBias ? biasHh : null;
        if (biasIh != null && folded != null) {
            System.arraycopy(biasIh.data(), biasIh.offset(), biasSum, 0, gateWidth);
            Kernels.add(biasSum, 0, folded.data(), folded.offset(), gateWidth);
            Kernels.addRowVector(buf.gates, buf.gatesBase, biasSum, 0, rows, gateWidth);
        } else if (biasIh != null || folded != null) {
            Param only = biasIh != null ? biasIh : folded;
            Kernels.addRowVector(buf.gates, buf.gatesBase, only.data(), only.offset(), rows, gateWidth);
        }
    }

    /** Readies the recurrent weight for this forward and the backward after it (packs it, for a matrix). */
    protected abstract void prepareRecurrentWeight();

    /** Step t forward: reads {@code hs[t]} (and {@code cs[t]}), completes {@code gates[t]}, writes {@code hs[t+1]} (and {@code cs[t+1]}). */
    public abstract void forward(int t);

    /**
     * Instead of a forward pass over B identical sequences: readies the recurrent weight as forward
     * does and fills everything forward stores for backward with B copies of what {@code single}
     * (a cell sharing this one's parameters) stored for steps {@code from .. from + T - 1} of a
     * forward over one of them, batch 1, T this workspace's steps; the state before step
     * {@code from} becomes the initial state. A forward over identical rows stores the same values;
     * this costs a copy instead of B times the products. For probes that run one sequence backward
     * from B different seeds.
     */
    public final void repeatStored(Cell single, int from) {
        StepBuffers one = single.buf;
        if (one == null || one.batch != 1 || from < 0 || from + buf.steps > one.steps || single.weightHh != weightHh) {
            throw new IllegalArgumentException("the cell to repeat must share this cell's parameters and hold a forward"
                    + " of batch 1 over steps " + from + " to " + (from + buf.steps - 1));
        }
        prepareRecurrentWeight();
        repeatRows(one.hs, one.stateSlot(from), buf.hs, 0, buf.steps + 1, hidden, buf.batch);
        if (buf.cs != null) {
            repeatRows(one.cs, one.stateSlot(from), buf.cs, 0, buf.steps + 1, hidden, buf.batch);
        }
        if (buf.gates != buf.hs) {  // else the gates are the hidden states, repeated above
            repeatRows(one.gates, one.gatesBase + one.gateStep(from), buf.gates, buf.gatesBase, buf.steps, gateWidth, buf.batch);
        }
        repeatOwnStored(single, from);
    }

    /** Repeats what this kind of cell stores for backward beyond the step buffers ({@link #repeatStored}); nothing by default. */
    protected void repeatOwnStored(Cell single, int from) {}

    /** {@code to [slots, rows, width]} from {@code from [slots, 1, width]}: every slot's row {@code rows} times. */
    protected static void repeatRows(float[] from, int fromOff, float[] to, int toOff, int slots, int width, int rows) {
        for (int s = 0; s < slots; s++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(from, fromOff + s * width, to, toOff + (s * rows + r) * width, width);
            }
        }
    }

    // ---------------------------------------------------------------- backward

    /** Before the backward loop: the per-step gradient sums start from zero. */
    public void startBackward() {
        Arrays.fill(biasSum, 0f);
        if (hiddenBiasSum != null) {
            Arrays.fill(hiddenBiasSum, 0f);
        }
    }

    /**
     * Step t backward: from {@code dh} (the total gradient at h_t) and the stored activations,
     * writes {@code dPreIh[t]}, {@code dPreHh[t]} and {@code dhCarry} (the gradient at h_{t-1});
     * a cell with a cell state also turns {@code dc} from the gradient at c_t into the one at c_{t-1}.
     */
    public abstract void backward(int t);

    /**
     * After step t's backward (and the padding's corrections to it): adds the step's share of the
     * parameter gradients that are summed step by step, while the step's gradients are in the
     * cache: the bias gradients {@code Σ_rows dPre}.
     */
    public void sumStepGradients(int t) {
        if (biasIh != null || biasHh != null && foldsHiddenBias) {
            Kernels.addColumnSums(biasSum, 0, buf.dPreIh, buf.gateStep(t), buf.batch, gateWidth);
        }
        if (biasHh != null && !foldsHiddenBias) {
            Kernels.addColumnSums(hiddenBiasSum, 0, buf.dPreHh, buf.gateStep(t), buf.batch, gateWidth);
        }
    }

    /**
     * After the backward loop: {@code dW_ih += dPreᵀ X}, the recurrent weight's gradient and the
     * bias gradients, each over all T·B rows.
     *
     * @param x    {@code [T, B, I_k]} time-major from {@code xOff}: the input forward read
     */
    public final void addParameterGradients(float[] x, int xOff) {
        int rows = buf.steps * buf.batch;
        Kernels.gemmTNAdd(weightIh.grad(), weightIh.offset(), buf.dPreIh, 0, x, xOff, gateWidth, inputSize, rows);
        addRecurrentWeightGradient();
        if (biasIh != null) {
            Kernels.add(biasIh.grad(), biasIh.offset(), biasSum, 0, gateWidth);
        }
        if (biasHh != null) {
            Kernels.add(biasHh.grad(), biasHh.offset(), foldsHiddenBias ? biasSum : hiddenBiasSum, 0, gateWidth);
        }
    }

    /**
     * After the backward loop: {@code dX = dPre W_ih} over all T·B rows, the gradient of the input.
     *
     * @param dInput {@code [T, B, I_k]} written from 0
     */
    public final void inputGradient(float[] dInput) {
        Kernels.gemmNN(dInput, 0, buf.dPreIh, 0, weightIh.data(), weightIh.offset(), buf.steps * buf.batch, inputSize, gateWidth);
    }

    /** Adds the gradient of {@code weight_hh} over all steps (for a matrix, {@code dPre_hhᵀ H_prev} in one GEMM). */
    protected abstract void addRecurrentWeightGradient();

    // ---------------------------------------------------------------- the rest of what a cell knows

    /** Floats kept from forward for backward at the current shape. */
    public long storedFloats() {
        return buf == null ? 0 : buf.storedFloats();
    }

    /**
     * Floats that full BPTT strictly has to keep from forward for backward, at this batch and
     * length: what backward reads and cannot recompute cheaply.
     */
    public abstract long requiredStoredFloats(int batch, int steps);

    /**
     * The standard operation count of a forward pass over {@code [B, T, I_k]}, as papers and
     * cuDNN's tables count it: one multiply-add per weight per step and row,
     * {@code 2·B·T·(|W_ih| + |W_hh|)} (the gate math is not counted). Backward is twice that.
     */
    public double forwardFlops(int batch, int steps) {
        return 2.0 * batch * steps * ((double) weightIh.size() + weightHh.size());
    }

    /**
     * Initialises {@code weight_hh} by a named scheme ({@code io.unroll.train.Init.apply} does the
     * rest of the layer).
     *
     * @param sigma the scheme's σ, for the schemes that take one
     */
    public abstract void initRecurrentWeight(InitScheme scheme, double sigma, Rng rng);

    /** A batch-1 step of this layer for streaming inference, with its own packed copy of the current weights. */
    public final StreamStep newStreamStep() {
        StreamStep step = createStreamStep();
        step.refreshWeights();
        return step;
    }

    /** A streaming step whose weights {@link #newStreamStep} then reads in. */
    protected abstract StreamStep createStreamStep();

    /** {@code dst += p}, or nothing for an absent bias. */
    protected static void addInto(float[] dst, Param p) {
        if (p != null) {
            Kernels.add(dst, 0, p.data(), p.offset(), dst.length);
        }
    }

    /** One layer of a streaming session: one input row in, the layer's state updated in place. */
    public interface StreamStep {
        /** Re-reads the parameters into the packed copy: call it after they change. */
        void refreshWeights();

        /**
         * Advances the layer by one step.
         *
         * @param x        the input {@code [I_k]} from {@code xOff}
         * @param h        hidden states, this layer's {@code [H]} from {@code stateOff}: h_{t-1} in, h_t out
         * @param c        cell states likewise, or null for cells without one
         */
        void step(float[] x, int xOff, float[] h, float[] c, int stateOff);
    }
}
