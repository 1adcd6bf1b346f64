package io.unroll.layer;

import io.unroll.data.Batch;
import io.unroll.loss.MeanSquaredError;
import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.Objects;

/**
 * A sequence-to-one regression model: input vectors → a {@link Recurrent} stack → a {@link Linear}
 * head on the top layer's output at the last step → mean squared error against one real target
 * vector per sequence. It is the PyTorch module
 * <pre>{@code
 *   class Model(nn.Module):                       # rnn: nn.RNN / nn.LSTM / nn.GRU
 *       def __init__(self, I, H, L, O):
 *           super().__init__()
 *           self.rnn = nn.GRU(I, H, num_layers=L, batch_first=True)
 *           self.head = nn.Linear(H, O)
 *       def forward(self, x):                     # x [B, T, I]
 *           out, _ = self.rnn(x)                  # out [B, T, H], zero initial state
 *           return self.head(out[:, -1])          # [B, O]
 *   loss = F.mse_loss(model(x), y)                # mean over the B·O values
 * }</pre>
 * with the parameter names of its {@code state_dict}: {@code rnn.weight_ih_l0}, ...,
 * {@code head.weight}, {@code head.bias}.
 *
 * <p>Forward, with {@code o_t [B, H]} the top layer's output at step t:
 * <pre>
 *   ŷ = o_{T-1} Wᵀ + b                                    [B, O]
 *   L = (1 / (B·O)) Σ_b Σ_j (ŷ_bj - y_bj)²
 * </pre>
 * Backward:
 * <pre>
 *   dŷ = 2 (ŷ - y) / (B·O)                                [B, O]
 *   dW += dŷᵀ o_{T-1},  db += Σ_b dŷ,  ∂L/∂o_{T-1} = dŷ W   [B, H]
 *   ∂L/∂o_t = 0 for t &lt; T - 1
 * </pre>
 * so the loss feeds the stack at its last step only, and every earlier step receives its gradient
 * through the recurrence alone: the gradient of an input at step t has crossed {@code T - 1 - t}
 * steps, which is what the long-range tasks (the adding problem, the delayed signal) test.
 *
 * <p><b>A sibling of {@link SequenceModel}, not a mode of it.</b> The two share the parts that
 * carry the math, the stack's one time loop ({@link Recurrent}) and the head ({@link Linear}), and
 * differ in everything around them: SequenceModel turns token ids into vectors (an embedding or
 * one-hot), applies its head at all B·T positions and scores a softmax cross-entropy at every
 * (possibly padded) step; this model reads the vectors as they are, applies its head to the B rows
 * of the last step and scores a squared error once per sequence. One class with an input kind and an
 * output kind would switch on them in every method for no shared line of code; two small classes
 * behind {@link TrainableModel} keep each path straight, and the character models' path untouched.
 *
 * <p>Sequences are all T steps long (no padding): the loss reads step T - 1 of every sequence.
 * Workspaces are sized by the first forward of a shape and reused. Not thread-safe.
 */
public final class SequenceRegressor implements TrainableModel {
    private final Recurrent rnn;
    private final Linear head;
    private final int outputSize;
    private final MeanSquaredError loss = new MeanSquaredError();
    private int batch;
    private int steps;
    private float[] last;       // [B, H] the top layer's output at step T-1
    private float[] dOutput;    // [B, T, H] zero but at step T-1, where backward writes ∂L/∂o_{T-1}
    private float[] prediction; // [B, O] the head's of the last forward (its buffer)
    private State finalState;
    private boolean forwardDone;

    /**
     * Declares the parameters on {@code params}: the stack under {@code rnn.}, the head
     * {@code Linear(H, O)} under {@code head.}. They are zero until initialised.
     *
     * @param outputSize O, the width of the real target (1 for the adding problem)
     */
    public SequenceRegressor(ParamStore.Builder params, RecurrentConfig config, int outputSize) {
        Objects.requireNonNull(config, "config");
        this.outputSize = Check.positive("output size", outputSize);
        this.rnn = new Recurrent(params, "rnn.", config);
        this.head = new Linear(params, "head.", config.hiddenSize(), outputSize);
    }

    @Override
    public Recurrent rnn() {
        return rnn;
    }

    public Linear head() {
        return head;
    }

    /** I, the width of an input vector. */
    public int inputSize() {
        return rnn.config().inputSize();
    }

    /** O, the width of the prediction and of the target. */
    public int outputSize() {
        return outputSize;
    }

    /** {@link Batch.Kind#VECTORS}. */
    @Override
    public Batch.Kind batchKind() {
        return Batch.Kind.VECTORS;
    }

    /** Inputs {@code [B, T, I]} and real targets {@code [B, O]}. */
    @Override
    public Batch newBatch(int batch, int steps) {
        return Batch.allocateVectors(batch, steps, inputSize(), outputSize);
    }

    /**
     * {@link #forward(float[], float[], int, int, State)} on the batch's vectors and real targets.
     *
     * @param lengths must be null: every sequence is T steps long, as the loss reads step T - 1 of each
     */
    @Override
    public double forward(Batch batch, int[] lengths, State initial) {
        if (batch.kind() != Batch.Kind.VECTORS) {
            throw new IllegalArgumentException("the batch holds " + batch.kind().description() + "; this model reads "
                    + Batch.Kind.VECTORS.description() + " (use a SequenceModel for token ids)");
        }
        if (lengths != null) {
            throw new IllegalArgumentException("sequence lengths were given, but this model's loss reads step T - 1 of every"
                    + " sequence, so all must be T long; the likely cause is truncated BPTT with a window shorter than the"
                    + " sequences, which a loss at the last step cannot use");
        }
        if (batch.inputSize() != inputSize() || batch.outputSize() != outputSize) {
            throw new IllegalArgumentException("the batch has inputs of width " + batch.inputSize() + " and targets of width "
                    + batch.outputSize() + ", expected " + inputSize() + " and " + outputSize + " (the model's I and O)");
        }
        return forward(batch.inputs(), batch.realTargets(), batch.batchSize(), batch.steps(), initial);
    }

    /**
     * Forward pass and loss.
     *
     * @param inputs  {@code [B, T, I]} finite
     * @param targets {@code [B, O]} finite, the value to predict from each whole sequence
     * @param initial the state before step 0, or null for zeros
     * @return the mean squared error over the B·O values; {@link #predictions()} and
     *         {@link #finalState()} hold the rest until the next call
     */
    public double forward(float[] inputs, float[] targets, int batch, int steps, State initial) {
        Check.positive("batch", batch);
        Check.positive("steps", steps);
        Check.shape("real targets [batch, output size]", targets, batch, outputSize);
        Recurrent.Output out = rnn.forward(inputs, batch, steps, initial); // checks inputs [B, T, I] and the state
        ensureShape(batch, steps);
        int h = rnn.config().hiddenSize();
        float[] o = out.output(); // [B, T, H]
        for (int b = 0; b < batch; b++) {
            System.arraycopy(o, (b * steps + steps - 1) * h, last, b * h, h); // o_{T-1} of sequence b
        }
        prediction = head.forward(last, batch);
        double value = loss.compute(prediction, targets, null, batch, outputSize);
        finalState = out.finalState();
        forwardDone = true;
        return value;
    }

    /** {@link #backward(StepObserver)} without an observer. */
    public void backward() {
        backward(StepObserver.NONE);
    }

    /**
     * Backward of the last forward: accumulates every parameter gradient. The loss's gradient
     * enters the stack at step T - 1 only; the input gradient is not computed (the inputs are data).
     */
    @Override
    public void backward(StepObserver observer) {
        Objects.requireNonNull(observer, "observer (use StepObserver.NONE for none)");
        if (!forwardDone) {
            throw new IllegalStateException("backward called before forward: run forward on the batch first");
        }
        int h = rnn.config().hiddenSize();
        float[] dLast = head.backward(loss.dPrediction()); // [B, H] = dŷ W; dW, db accumulated
        for (int b = 0; b < batch; b++) {
            System.arraycopy(dLast, b * h, dOutput, (b * steps + steps - 1) * h, h); // the other steps stay 0
        }
        rnn.backward(dOutput, null, observer, Recurrent.InputGradient.SKIP);
    }

    /** The predictions of the last forward, {@code [B, O]}; valid until the next forward. */
    public float[] predictions() {
        return prediction;
    }

    @Override
    public State finalState() {
        return finalState;
    }

    /**
     * Floats of the whole workspace a training step on {@code [B, T]} allocates: the stack's
     * ({@link Recurrent#workspaceFloats}), the last step's outputs and the output gradient, the
     * head's and the loss's, computed without allocating anything.
     */
    public long workspaceFloats(int batch, int steps) {
        long h = rnn.config().hiddenSize();
        return rnn.workspaceFloats(batch, steps) + batch * h + (long) batch * steps * h + head.workspaceFloats(batch)
                + (long) batch * outputSize;
    }

    private void ensureShape(int batch, int steps) {
        if (batch == this.batch && steps == this.steps) {
            return;
        }
        int h = rnn.config().hiddenSize();
        last = new float[batch * h];
        dOutput = new float[Check.arrayLength("output gradient [batch, steps, hidden size]", batch, steps, h)];
        this.batch = batch;
        this.steps = steps;
    }
}
