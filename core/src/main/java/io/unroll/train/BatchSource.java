package io.unroll.train;

import io.unroll.layer.SequenceModel;

/**
 * Where a {@link TrainingRun}'s data comes from: a task supplies the training batch of every step
 * and measures the model on its held-out data. It knows nothing of checkpoints, so a batch must be
 * a function of the step number alone: a run resumed at step k asks for batch k again and must get
 * what the uninterrupted run got (a task that draws random sequences seeds its draw from the step).
 */
public interface BatchSource {
    /** B: the sequences of every batch. */
    int batchSize();

    /** T: the steps of every sequence of a batch. */
    int sequenceLength();

    /** Steps in one pass over the training data (at least 1); epochs are counted in them. */
    long stepsPerEpoch();

    /**
     * Writes the batch of training step {@code step} (0-based).
     *
     * @param inputs  {@code [B, T]} input ids, overwritten
     * @param targets {@code [B, T]} target ids, overwritten
     * @return true when the batch starts new sequences, so the state the run carries is reset to
     *         zeros before it; false when it continues the sequences of step {@code step - 1}
     */
    boolean fillBatch(long step, int[] inputs, int[] targets);

    /** Whether there is held-out data: without any, {@link #validationLoss} is not called and validations report NaN. */
    boolean hasValidationData();

    /**
     * The model's mean loss per target on the held-out data (nats), without changing its
     * parameters. A loss that is not finite (the model overflowed) may be returned as soon as it
     * is seen: the run treats it as a divergence.
     */
    double validationLoss(SequenceModel model);
}
