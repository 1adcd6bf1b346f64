package io.unroll.layer;

import io.unroll.cell.Cell;
import io.unroll.cell.CellShape;
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
 * Layer k's input is layer k-1's output sequence; each layer is one {@link Cell}, which declares
 * the layer's parameters ({@code weight_ih_lk}, {@code weight_hh_lk}, {@code bias_ih_lk},
 * {@code bias_hh_lk}).
 *
 * <p>This class holds the one time loop of the library, run the way cuDNN runs it: the input
 * projection of all T steps is one GEMM before the loop, each step adds only the recurrent part
 * and the gate math, backward walks the steps in reverse, and the weight and input gradients are
 * again one GEMM each over all steps (docs/engine.md draws it).
 *
 * <p>Workspaces are sized for the last (batch, steps) shape and reused: repeated calls with one
 * shape allocate nothing. The arrays in {@link Output} and {@link Gradients} are views into that
 * workspace, valid until the next call; {@link Output#copy()} and {@link Gradients#copy()} keep
 * them. Not thread-safe.
 */
public final class Recurrent {
    private final RecurrentConfig config;
    private final Cell[] cells;
    private final Padding padding = new Padding();

    // Workspace for the current shape; see ensureShape.
    private int batch;
    private int steps;
    private float[] inputTimeMajor;  // [T, B, I]
    private float[] output;          // [B, T, H]
    private float[] dTopTimeMajor;   // [T, B, H]
    private float[] dInput;          // [B, T, I]
    private float[][] layerDInput;   // per layer k [T, B, I_k] time-major
    private Output forwardResult;
    private Gradients backwardResult;
    private Gradients backwardResultWithoutInput; // the same state gradients, dInput null
    private boolean forwardDone;

    /**
     * Result of {@link #forward}: the top layer's outputs {@code [B, T, H]} and the final state.
     * Both are views into the stack's workspace, overwritten by the next forward: {@link #copy()} to keep them.
     */
    public record Output(float[] output, State finalState) {
        /** A deep copy that later calls do not change. */
        public Output copy() {
            return new Output(output.clone(), finalState.copy());
        }
    }

    /**
     * Result of {@link #backward}: the gradients of the input {@code [B, T, I]} (null when
     * {@link InputGradient#SKIP} was asked for) and of the initial state. Both are views into the
     * stack's workspace, overwritten by the next backward: {@link #copy()} to keep them.
     */
    public record Gradients(float[] dInput, State dInitialState) {
        /** A deep copy that later calls do not change. */
        public Gradients copy() {
            return new Gradients(dInput == null ? null : dInput.clone(), dInitialState.copy());
        }
    }

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

    /**
     * Whether {@link #backward} adds the parameter gradients. A probe of how gradients travel
     * through time (the diagnostics of {@code io.unroll.flow}) needs only the state gradients;
     * skipping the parameters saves the GEMMs {@code dW += dGatesᵀ X} and {@code dW_hh += dGatesᵀ H},
     * a third of the backward work of a one-layer network with I = H.
     */
    public enum ParameterGradients {
        /** Add every parameter's gradient to the store, as training needs. */
        ADD,
        /** Leave the store's gradients as they are. */
        SKIP
    }

    /**
     * Declares the parameters on {@code params} under {@code prefix} (e.g. {@code "rnn."}, or
     * {@code ""} for the bare PyTorch module names). They are zero until initialised.
     */
    public Recurrent(ParamStore.Builder params, String prefix, RecurrentConfig config) {
        this.config = config;
        this.cells = new Cell[config.layers()];
        for (int k = 0; k < cells.length; k++) {
            cells[k] = config.cell().create(params, prefix,
                    new CellShape(k, config.layerInputSize(k), config.hiddenSize(), config.biasIh(), config.biasHh()));
        }
    }

    private Recurrent(Recurrent shared) {
        this.config = shared.config;
        this.cells = new Cell[shared.cells.length];
        for (int k = 0; k < cells.length; k++) {
            cells[k] = shared.cells[k].sharingParameters();
        }
    }

    /**
     * A stack that shares this one's parameters (and so sees every update to them) but has its own
     * workspace: for streaming or evaluation beside training without resizing the training workspace.
     */
    public Recurrent sharingParameters() {
        return new Recurrent(this);
    }

    public RecurrentConfig config() {
        return config;
    }

    /** Layer k's cell, with its parameters. */
    public Cell cell(int layer) {
        return cells[layer];
    }

    public Param weightIh(int layer) {
        return cells[layer].weightIh();
    }

    public Param weightHh(int layer) {
        return cells[layer].weightHh();
    }

    /** {@code bias_ih_lk}, or null when the stack has none. */
    public Param biasIh(int layer) {
        return cells[layer].biasIh();
    }

    /** {@code bias_hh_lk}, or null when the stack has none. */
    public Param biasHh(int layer) {
        return cells[layer].biasHh();
    }

    /** An all-zero state for {@code batch} sequences: {@code [L, B, H]}, with a cell state where the cell has one. */
    public State zeroState(int batch) {
        return State.zeros(config.layers(), batch, config.hiddenSize(), config.cell().hasCellState());
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
        Check.shape("input [batch, steps, input size]", input, batch, steps, config.inputSize());
        Check.finite("input", input);
        checkState("initial state", initial, batch);
        checkLengths(lengths, batch, steps);
        ensureShape(batch, steps);
        padding.set(lengths);

        Kernels.swapAxes(inputTimeMajor, 0, input, 0, batch, steps, config.inputSize());
        for (int k = 0; k < cells.length; k++) {
            Cell cell = cells[k];
            StepBuffers buf = cell.buffers();
            buf.setInitialState(initial, k);
            cell.projectInputs(layerInput(k), layerInputOffset(k));
            for (int t = 0; t < steps; t++) {
                cell.forward(t);
                padding.holdEndedSequences(buf, t);
            }
            buf.storeFinalState(forwardResult.finalState(), k);
        }
        int bh = batch * config.hiddenSize();
        Kernels.swapAxes(output, 0, top().hs, bh, steps, batch, config.hiddenSize());
        padding.zeroPaddedOutputs(output);
        forwardDone = true;
        return forwardResult;
    }

    /**
     * Readies {@link #backward} as if {@link #forward} had run on {@code rows} copies of steps
     * {@code from .. from + steps - 1} of the one sequence {@code single} last ran forward on, from
     * the state it had before step {@code from}: {@code single} shares this stack's parameters
     * ({@link #sharingParameters}) and ran batch 1 without lengths. Every layer's stored values
     * become the batch-1 values repeated, which is what a forward over identical rows stores, for a
     * copy instead of {@code rows} times the products: for probes that run one sequence backward
     * from {@code rows} different seeds (the Jacobians of {@code io.unroll.flow}), a stretch at a
     * time. This stack's outputs and final state are not set.
     *
     * @throws IllegalArgumentException if {@code single} shares no parameters with this stack, did not
     *                                  run a batch-1 forward without lengths, or ran fewer steps
     */
    public void repeatForward(Recurrent single, int from, int steps, int rows) {
        Check.positive("rows", rows);
        Check.positive("steps", steps);
        if (single.cells.length != cells.length || single.cells[0].weightIh() != cells[0].weightIh()) {
            throw new IllegalArgumentException("the stack to repeat must share this stack's parameters (sharingParameters())");
        }
        if (!single.forwardDone || single.batch != 1 || single.padding.padded()) {
            throw new IllegalArgumentException("the stack to repeat must have run forward on one sequence without lengths");
        }
        ensureShape(rows, steps);
        padding.set(null);
        int in = config.inputSize();
        for (int k = 0; k < cells.length; k++) {
            cells[k].repeatStored(single.cells[k], from);  // checks the steps
        }
        for (int t = 0; t < steps; t++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(single.inputTimeMajor, (from + t) * in, inputTimeMajor, (t * rows + r) * in, in);
            }
        }
        forwardDone = true;
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
        return backward(dOutput, dFinal, observer, inputGradient, ParameterGradients.ADD);
    }

    /**
     * {@link #backward(float[], State, StepObserver, InputGradient)}, adding the parameter
     * gradients only if {@code parameterGradients} is {@link ParameterGradients#ADD}.
     */
    public Gradients backward(float[] dOutput, State dFinal, StepObserver observer, InputGradient inputGradient,
                              ParameterGradients parameterGradients) {
        Objects.requireNonNull(observer, "observer (use StepObserver.NONE for none)");
        Objects.requireNonNull(inputGradient, "inputGradient (COMPUTE or SKIP)");
        Objects.requireNonNull(parameterGradients, "parameterGradients (ADD or SKIP)");
        if (!forwardDone) {
            throw new IllegalStateException("backward called before forward: run forward on the batch first");
        }
        boolean parameters = parameterGradients == ParameterGradients.ADD;
        int h = config.hiddenSize();
        checkOutputGradient(dOutput, dFinal);
        if (dOutput != null) {
            Kernels.swapAxes(dTopTimeMajor, 0, dOutput, 0, batch, steps, h);
        } else {
            Arrays.fill(dTopTimeMajor, 0f);
        }
        int bh = batch * h;
        for (int k = cells.length - 1; k >= 0; k--) {
            Cell cell = cells[k];
            StepBuffers buf = cell.buffers();
            float[] dOut = k == cells.length - 1 ? dTopTimeMajor : layerDInput[k + 1]; // [T, B, H]
            buf.setFinalStateGradient(dFinal, k);
            cell.startBackward();
            for (int t = steps - 1; t >= 0; t--) {
                // dh_t = ∂L/∂output_t + the gradient carried back from step t+1
                Kernels.sum(buf.dh, 0, buf.dhCarry, 0, dOut, t * bh, bh);
                padding.beforeStepBackward(buf, t);
                observer.onStep(k, t, buf.dh, buf.dc, batch, h);
                cell.backward(t);
                padding.afterStepBackward(buf, t);
                if (parameters) {
                    cell.sumStepGradients(t);
                }
            }
            buf.storeInitialStateGradient(backwardResult.dInitialState(), k);
            if (parameters) {
                cell.addParameterGradients(layerInput(k), layerInputOffset(k));
            }
            if (k > 0 || inputGradient == InputGradient.COMPUTE) {
                cell.inputGradient(layerDInput[k]);
            }
        }
        if (inputGradient == InputGradient.SKIP) {
            return backwardResultWithoutInput;
        }
        Kernels.swapAxes(dInput, 0, layerDInput[0], 0, steps, batch, config.inputSize());
        return backwardResult;
    }

    /** Floats kept from forward for backward at the current shape, over all layers. */
    public long storedFloats() {
        long n = 0;
        for (Cell cell : cells) {
            n += cell.storedFloats();
        }
        return n;
    }

    /**
     * Floats of the whole workspace a forward and backward at this shape allocate, over all layers
     * (every {@link Cell#workspaceFloats}, the input and output sequences and their gradients, the
     * padding's and the states of the results), computed without allocating anything: with the
     * parameters, what a model needs, to weigh against the heap before it is built.
     */
    public long workspaceFloats(int batch, int steps) {
        int in = config.inputSize();
        int h = config.hiddenSize();
        long bt = (long) batch * steps;
        long n = 0;
        for (int k = 0; k < cells.length; k++) {
            n += cells[k].workspaceFloats(batch, steps) + bt * config.layerInputSize(k); // the cell, layerDInput[k]
        }
        long stateFloats = (long) config.layers() * batch * h * (config.cell().hasCellState() ? 2 : 1);
        return n + 2 * bt * in + 2 * bt * h                                   // inputTimeMajor, dInput, output, dTopTimeMajor
                + batch + (config.cell().hasCellState() ? (long) batch * h : 0)  // the padding's lengths and dc
                + 2 * stateFloats;                                               // the final state, the initial-state gradient
    }

    /** Floats that full BPTT strictly has to keep from forward for backward at this shape, over all layers. */
    public long requiredStoredFloats(int batch, int steps) {
        long n = 0;
        for (Cell cell : cells) {
            n += cell.requiredStoredFloats(batch, steps);
        }
        return n;
    }

    /** The standard operation count of a forward pass over {@code [B, T, I]}, all layers ({@link Cell#forwardFlops}). */
    public double forwardFlops(int batch, int steps) {
        double n = 0;
        for (Cell cell : cells) {
            n += cell.forwardFlops(batch, steps);
        }
        return n;
    }

    private StepBuffers top() {
        return cells[cells.length - 1].buffers();
    }

    /** Layer k's input sequence {@code [T, B, I_k]}: the stack's input, or the hidden states of the layer below. */
    private float[] layerInput(int k) {
        return k == 0 ? inputTimeMajor : cells[k - 1].buffers().hs;
    }

    /** Where layer k's input starts in {@link #layerInput}: slot 1 of the layer below (slot 0 is its initial state). */
    private int layerInputOffset(int k) {
        return k == 0 ? 0 : batch * config.hiddenSize();
    }

    private void checkOutputGradient(float[] dOutput, State dFinal) {
        if (dOutput != null) {
            Check.shape("output gradient [batch, steps, hidden size]", dOutput, batch, steps, config.hiddenSize());
            Check.finite("output gradient", dOutput);
        }
        checkState("final-state gradient", dFinal, batch);
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
            throw new IllegalArgumentException(what + (needsCell ? " has no cell state c, which a " + config.cell().id() + " needs"
                    : " has a cell state c, which a " + config.cell().id() + " does not have")
                    + "; the likely cause is a state from another cell type");
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
        int inputs = Check.arrayLength("inputs [batch, steps, input size]", batch, steps, in);
        int outputs = Check.arrayLength("outputs [batch, steps, hidden size]", batch, steps, h);
        Check.arrayLength("state [layers, batch, hidden size]", l, batch, h);
        layerDInput = new float[l][];
        for (int k = 0; k < l; k++) {
            cells[k].resize(batch, steps);
            layerDInput[k] = new float[k == 0 ? inputs : outputs];
        }
        inputTimeMajor = new float[inputs];
        output = new float[outputs];
        dTopTimeMajor = new float[outputs];
        dInput = new float[inputs];
        padding.resize(batch, steps, h, config.cell().hasCellState());
        forwardResult = new Output(output, zeroState(batch));
        backwardResult = new Gradients(dInput, zeroState(batch));
        backwardResultWithoutInput = new Gradients(null, backwardResult.dInitialState());
        this.batch = batch;
        this.steps = steps;
        forwardDone = false;
    }
}
