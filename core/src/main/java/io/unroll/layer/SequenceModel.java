package io.unroll.layer;

import io.unroll.data.Batch;
import io.unroll.loss.SoftmaxCrossEntropy;
import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.Arrays;
import java.util.Objects;

/**
 * A token-in, token-out sequence model: token ids → input vectors (an {@link Embedding}, or one-hot
 * vectors) → a {@link Recurrent} stack → a {@link Linear} head → softmax cross-entropy at every
 * step. Parameter names are the {@code state_dict} of the PyTorch module with attributes
 * {@code embedding}, {@code rnn} and {@code head}.
 *
 * <p>One call of {@link #forward} and one of {@link #backward} make a training step; parameter
 * gradients accumulate in the store. As a {@link TrainableModel} it reads {@link Batch.Kind#TOKENS}
 * batches; {@link SequenceRegressor} is its sibling for vectors in and a real value out at the last
 * step. Not thread-safe.
 */
public final class SequenceModel implements TrainableModel {
    private final int vocabularySize;
    private final Embedding embedding; // null for one-hot inputs
    private final Recurrent rnn;
    private final Linear head;
    private final SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
    private float[] oneHot;            // [B, T, V] for one-hot inputs
    private float[] mask;              // [B, T] real steps of padded sequences
    private int batch;
    private int steps;
    private boolean forwardDone;
    private float[] logits;            // [B·T, V]
    private State finalState;

    private SequenceModel(ParamStore.Builder params, int vocabularySize, Embedding embedding, RecurrentConfig config) {
        this.vocabularySize = Check.positive("vocabulary size", vocabularySize);
        this.embedding = embedding;
        int expectedInput = embedding == null ? vocabularySize : embedding.dimension();
        if (config.inputSize() != expectedInput) {
            throw new IllegalArgumentException("recurrent input size is " + config.inputSize() + ", expected " + expectedInput
                    + (embedding == null ? " (the vocabulary size, for one-hot inputs)" : " (the embedding dimension)"));
        }
        this.rnn = new Recurrent(params, "rnn.", config);
        this.head = new Linear(params, "head.", config.hiddenSize(), vocabularySize);
    }

    /** Inputs as one-hot vectors of the vocabulary: {@code config.inputSize()} must equal it. */
    public static SequenceModel oneHot(ParamStore.Builder params, int vocabularySize, RecurrentConfig config) {
        return new SequenceModel(params, vocabularySize, null, config);
    }

    /** Inputs through an embedding of {@code config.inputSize()} dimensions. */
    public static SequenceModel embedded(ParamStore.Builder params, int vocabularySize, RecurrentConfig config) {
        return new SequenceModel(params, vocabularySize,
                new Embedding(params, "embedding.", vocabularySize, config.inputSize()), config);
    }

    @Override
    public Recurrent rnn() {
        return rnn;
    }

    public Linear head() {
        return head;
    }

    /** The embedding, or null for one-hot inputs. */
    public Embedding embedding() {
        return embedding;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** {@link Batch.Kind#TOKENS}. */
    @Override
    public Batch.Kind batchKind() {
        return Batch.Kind.TOKENS;
    }

    /** Token ids and class targets {@code [B, T]}. */
    @Override
    public Batch newBatch(int batch, int steps) {
        return Batch.allocateTokens(batch, steps);
    }

    /** {@link #forward(int[], int[], int[], int, int, State)} on the batch's token ids and class targets. */
    @Override
    public double forward(Batch batch, int[] lengths, State initial) {
        if (batch.kind() != Batch.Kind.TOKENS) {
            throw new IllegalArgumentException("the batch holds " + batch.kind().description() + "; this model reads "
                    + Batch.Kind.TOKENS.description() + " (use a SequenceRegressor for vector inputs)");
        }
        return forward(batch.tokens(), batch.classTargets(), lengths, batch.batchSize(), batch.steps(), initial);
    }

    /**
     * Forward pass and loss over a batch of sequences padded to {@code steps}.
     *
     * @param tokens  {@code [B, T]} input ids in {@code [0, V)}
     * @param targets {@code [B, T]} target ids (read only at real steps)
     * @param lengths {@code [B]} real steps per sequence, each in {@code [1, T]}, or null when all are {@code T}
     *                long; padded steps count in neither the loss nor any gradient
     * @param initial state before step 0, or null for zeros
     * @return the mean cross-entropy over the real steps; {@link #logits()}, {@link #probabilities()}
     *         and {@link #finalState()} hold the rest until the next call
     */
    public double forward(int[] tokens, int[] targets, int[] lengths, int batch, int steps, State initial) {
        Check.positive("batch", batch);
        Check.positive("steps", steps);
        Check.shape("tokens [batch, steps]", tokens, batch, steps);
        Check.ids("tokens", tokens, vocabularySize, "vocabulary size");
        float[] input = embedding != null ? embedding.forward(tokens) : oneHot(tokens, batch, steps);
        Recurrent.Output out = rnn.forward(input, batch, steps, initial, lengths);
        logits = head.forward(out.output(), batch * steps);
        double value = loss.compute(logits, targets, lengths == null ? null : mask(lengths, batch, steps),
                batch * steps, vocabularySize);
        finalState = out.finalState();
        this.batch = batch;
        this.steps = steps;
        forwardDone = true;
        return value;
    }

    /** 1 at the real steps of each sequence, 0 at its padding, {@code [B, T]}. */
    private float[] mask(int[] lengths, int batch, int steps) {
        if (mask == null || mask.length != batch * steps) {
            mask = new float[batch * steps];
        }
        for (int b = 0; b < batch; b++) {
            Arrays.fill(mask, b * steps, b * steps + lengths[b], 1f);
            Arrays.fill(mask, b * steps + lengths[b], (b + 1) * steps, 0f);
        }
        return mask;
    }

    /** Logits of the last forward, {@code [B·T, V]}. */
    public float[] logits() {
        return logits;
    }

    /** Softmax of the last logits, {@code [B·T, V]}. */
    public float[] probabilities() {
        return loss.probabilities();
    }

    /** State after the last step of the last forward. */
    @Override
    public State finalState() {
        return finalState;
    }

    /**
     * Floats of the whole workspace a training step on {@code [B, T]} allocates: the stack's
     * ({@link Recurrent#workspaceFloats}), the input vectors, the head's and the loss's, computed
     * without allocating anything. With the parameters (values, gradients and the optimizer's
     * moments) it is what training the model needs, to weigh against the heap before it is built.
     */
    public long workspaceFloats(int batch, int steps) {
        long positions = (long) batch * steps;
        long inputs = positions * (embedding != null ? embedding.dimension() : vocabularySize);
        long loss = positions * vocabularySize * 2 + positions * 2; // probabilities, dLogits; log-sum-exp in doubles
        return rnn.workspaceFloats(batch, steps) + inputs + head.workspaceFloats(positions) + loss + positions; // + the mask
    }

    /** Backward of the last forward: accumulates every parameter gradient. */
    public void backward() {
        backward(StepObserver.NONE);
    }

    /**
     * {@link #backward()} with {@code observer} watching the recurrent stack's time loop (every layer
     * and step, as {@link Recurrent#backward(float[], State, StepObserver, Recurrent.InputGradient)}
     * shows it); the gradients are the same with any observer.
     */
    @Override
    public void backward(StepObserver observer) {
        Objects.requireNonNull(observer, "observer (use StepObserver.NONE for none)");
        if (!forwardDone) {
            throw new IllegalStateException("backward called before forward: run forward on the batch first");
        }
        float[] dHidden = head.backward(loss.dLogits());
        if (embedding == null) {
            rnn.backward(dHidden, null, observer, Recurrent.InputGradient.SKIP); // one-hot input: data
        } else {
            embedding.backward(rnn.backward(dHidden, null, observer).dInput());
        }
    }

    /** The most likely next token at every position of the last forward, {@code [B·T]}. */
    public int[] argmax() {
        int n = batch * steps;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int v = 1; v < vocabularySize; v++) {
                if (logits[i * vocabularySize + v] > logits[i * vocabularySize + best]) {
                    best = v;
                }
            }
            out[i] = best;
        }
        return out;
    }

    private float[] oneHot(int[] tokens, int batch, int steps) {
        int n = Check.arrayLength("one-hot inputs [batch, steps, vocabulary size]", batch, steps, vocabularySize);
        if (oneHot == null || oneHot.length != n) {
            oneHot = new float[n];
        } else {
            Arrays.fill(oneHot, 0f);
        }
        for (int i = 0; i < tokens.length; i++) {
            oneHot[i * vocabularySize + tokens[i]] = 1f;
        }
        return oneHot;
    }
}
