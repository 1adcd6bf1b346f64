package io.unroll.lab;

import io.unroll.tensor.Check;
import io.unroll.train.BatchSource;
import java.util.Objects;

/**
 * What the batch sources of the long-range tasks share: batch k of seed s is the task's batch
 * (s, k), every batch starts new sequences (so an epoch is one step, and the run's epoch count is
 * its step count), and the held-out sequences come from the bitwise complement of the seed, which
 * no training batch uses. {@link TaskBatches} feeds the tasks with a class at every step to a token
 * model, {@link RealTargetBatches} those with a real target at the last step to a regressor.
 */
public abstract class TaskSource implements BatchSource {
    /**
     * A held-out measurement, in the same words for every task.
     *
     * @param loss     the task's loss (nats per step for a class at every step, the mean squared error for a real target)
     * @param accuracy the share of the scored steps predicted right (the copy task's recall), NaN for a real target
     * @param solved   whether it solves the task
     */
    public record Measure(double loss, double accuracy, boolean solved) {}

    final LongRangeTask task;
    final int batch;
    final long seed;
    final int heldOut;

    TaskSource(LongRangeTask task, int batch, long seed, int heldOut) {
        this.task = Objects.requireNonNull(task, "task");
        this.batch = Check.positive("batch", batch);
        this.heldOut = Check.positive("held-out sequences", heldOut);
        this.seed = seed;
    }

    /** The seed of the held-out sequences: one no training batch uses. */
    final long heldOutSeed() {
        return ~seed;
    }

    public final LongRangeTask task() {
        return task;
    }

    @Override
    public final int batchSize() {
        return batch;
    }

    @Override
    public final int sequenceLength() {
        return task.steps();
    }

    /** Every batch is new: an epoch is one step (the run's epoch count is then its step count). */
    @Override
    public final long stepsPerEpoch() {
        return 1;
    }

    /** The last held-out measurement (a validation, or an evaluation called directly), or null before the first. */
    public abstract Measure lastMeasure();

    @Override
    public final boolean hasValidationData() {
        return true;
    }
}
