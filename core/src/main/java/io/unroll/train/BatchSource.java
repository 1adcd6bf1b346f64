package io.unroll.train;

import io.unroll.data.Batch;
import io.unroll.layer.TrainableModel;

/**
 * Where a {@link TrainingRun}'s data comes from: a task supplies the training batch of every step
 * and measures the model on its held-out data. It knows nothing of checkpoints, so a batch must be
 * a function of the step number alone: a run resumed at step k asks for batch k again and must get
 * what the uninterrupted run got (a task that draws random sequences seeds its draw from the step).
 *
 * <p>A source gives one {@link Batch.Kind} of batch, the one its model reads: token ids with a
 * class at every step (a text, the copy task) or vectors with a real target at the last step (the
 * adding problem); the run checks the two agree before its first step.
 */
public interface BatchSource {
    /** B: the sequences of every batch. */
    int batchSize();

    /** T: the steps of every sequence of a batch. */
    int sequenceLength();

    /** The kind of batch {@link #fillBatch} writes. */
    Batch.Kind batchKind();

    /** Steps in one pass over the training data (at least 1); epochs are counted in them. */
    long stepsPerEpoch();

    /**
     * Writes the batch of training step {@code step} (0-based) into {@code batch}, a batch of
     * {@link #batchKind()} with B sequences of T steps (and, for vectors, the model's widths).
     *
     * @return true when the batch starts new sequences, so the state the run carries is reset to
     *         zeros before it; false when it continues the sequences of step {@code step - 1}
     */
    boolean fillBatch(long step, Batch batch);

    /**
     * Checks, before the first step, that {@code model} can read this source's batches and be
     * measured on them (its input and output widths); the run calls it when it is built. The
     * default accepts any model of the source's {@link #batchKind()}.
     *
     * @throws IllegalArgumentException naming what does not fit and what was expected
     */
    default void checkModel(TrainableModel model) {}

    /** Whether there is held-out data: without any, {@link #validationLoss} is not called and validations report NaN. */
    boolean hasValidationData();

    /**
     * The model's mean loss on the held-out data (nats per target for a cross-entropy, the mean
     * squared error for a real target), without changing its parameters. A loss that is not finite
     * (the model overflowed) may be returned as soon as it is seen: the run treats it as a
     * divergence.
     */
    double validationLoss(TrainableModel model);
}
