package io.unroll.layer;

import io.unroll.data.Batch;
import io.unroll.tensor.State;

/**
 * What training needs of a model: a {@link Recurrent} stack with something before and after it, a
 * loss on a {@link Batch}, and backpropagation through time into the parameters' gradients. It is
 * what {@code io.unroll.train.TruncatedBptt} and {@code io.unroll.train.TrainingRun} drive, and
 * what gradient-flow telemetry watches (through {@link #rnn()} and the observer of
 * {@link #backward(StepObserver)}).
 *
 * <p>Two models implement it, one for each {@link Batch.Kind}: {@link SequenceModel} reads token
 * ids and has a loss at every step (cross-entropy, nats); {@link SequenceRegressor} reads vectors
 * and has a loss at the last step only (mean squared error). One forward and one backward make a
 * training step; parameter gradients accumulate in the store. Implementations are not thread-safe.
 */
public interface TrainableModel {
    /** The recurrent stack: its one time loop is where the gradient flows back through time. */
    Recurrent rnn();

    /** The kind of batch {@link #forward} reads. */
    Batch.Kind batchKind();

    /** A batch of zeros of the form and widths this model reads, {@code [B, T]} sequences. */
    Batch newBatch(int batch, int steps);

    /**
     * Forward pass and loss over {@code batch}.
     *
     * @param lengths {@code [B]} real steps per sequence for a padded batch, or null when all are T long
     * @param initial the state before step 0, or null for zeros
     * @return the mean loss; {@link #finalState()} holds the state after the last step until the next call
     * @throws IllegalArgumentException if the batch is not of {@link #batchKind()} or its shapes or values do not fit
     */
    double forward(Batch batch, int[] lengths, State initial);

    /**
     * Backward of the last forward, accumulating every parameter gradient, with {@code observer}
     * watching the stack's time loop ({@link StepObserver#NONE} for none); the gradients are the
     * same with any observer.
     */
    void backward(StepObserver observer);

    /** The state after the last step of the last forward. */
    State finalState();
}
