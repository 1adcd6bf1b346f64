package io.unroll.lab;

import io.unroll.data.Batch;
import io.unroll.layer.SequenceRegressor;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Check;
import java.util.Arrays;

/**
 * A long-range task with one real target at the last step (the adding problem, the delayed signal)
 * as the training data of a {@link io.unroll.train.TrainingRun}: each step a fresh batch, batch k
 * of seed s being the task's batch (s, k), its inputs {@code [B, T, I]} and targets {@code [B, 1]}
 * exactly as the task draws them; a fixed held-out set of other sequences on which
 * {@link #evaluate} measures the mean squared error and whether the task is solved.
 *
 * <p>The model is a {@link SequenceRegressor} with the task's input size and one output. It is the
 * sibling of {@link TaskBatches}, which feeds the tasks with a class at every step to a token model.
 */
public final class RealTargetBatches extends TaskSource {
    private final float[] heldOutInputs;  // [N, T, I]
    private final float[] heldOutTargets; // [N]
    private final Batch scratch;          // [B, T, I] and [B, 1]: one held-out batch at a time
    private Evaluation last;

    /**
     * The batches of {@code task} drawn from {@code seed}, with {@code heldOut} held-out sequences
     * drawn from a seed no training batch uses (the bitwise complement of {@code seed}), as one
     * batch of the task: index 0 of seed {@code ~seed}.
     *
     * @throws IllegalArgumentException if the task's target is not one real value at the last step,
     *                                  or a size is not positive
     */
    public RealTargetBatches(LongRangeTask task, int batch, long seed, int heldOut) {
        super(task, batch, seed, heldOut);
        if (task.target() != LongRangeTask.Target.REAL_AT_LAST_STEP || task.outputSize() != 1) {
            throw new IllegalArgumentException("the " + task.name() + " task has a class at every step;"
                    + " these batches feed a model that predicts one real value at the last step (the adding problem,"
                    + " the delayed signal): use TaskBatches");
        }
        int steps = task.steps();
        this.heldOutInputs = new float[Check.arrayLength("held-out inputs [sequences, steps, input size]", heldOut, steps,
                task.inputSize())];
        this.heldOutTargets = new float[heldOut];
        task.fill(heldOutSeed(), 0, heldOut, heldOutInputs, null, heldOutTargets);
        this.scratch = Batch.allocateVectors(batch, steps, task.inputSize(), 1);
    }

    /** {@link Batch.Kind#VECTORS}: the task's inputs and its real target at the last step. */
    @Override
    public Batch.Kind batchKind() {
        return Batch.Kind.VECTORS;
    }

    /** The task's batch {@code (seed, step)}; every batch starts new sequences. */
    @Override
    public boolean fillBatch(long step, Batch into) {
        if (into.kind() != Batch.Kind.VECTORS || into.batchSize() != batch || into.steps() != task.steps()
                || into.inputSize() != task.inputSize() || into.outputSize() != 1) {
            throw new IllegalArgumentException("the batch to fill is a " + into + ", expected [" + batch + ", " + task.steps()
                    + ", " + task.inputSize() + "] -> [" + batch + ", 1] for " + task.name()
                    + ": the likely cause is a model with another input size or output size than the task's");
        }
        task.fill(seed, step, batch, into.inputs(), null, into.realTargets());
        return true;
    }

    /** A regressor that reads the task's I input channels and predicts its one real value. */
    @Override
    public void checkModel(TrainableModel model) {
        if (!(model instanceof SequenceRegressor regressor)) {
            throw new IllegalArgumentException("the " + task.name() + " task trains a model of vectors with a real output"
                    + " (SequenceRegressor), not a " + model.getClass().getSimpleName());
        }
        if (regressor.inputSize() != task.inputSize() || regressor.outputSize() != 1) {
            throw new IllegalArgumentException("the " + task.name() + " task has " + task.inputSize() + " input channels and"
                    + " one real target, but the model reads " + regressor.inputSize() + " and predicts "
                    + regressor.outputSize() + ": build the regressor with input size " + task.inputSize()
                    + " and output size 1");
        }
    }

    /**
     * {@link #evaluate}'s mean squared error; whether it solves the task is kept as {@link #lastEvaluation()}.
     *
     * @throws IllegalArgumentException if the model is not a {@link SequenceRegressor}
     */
    @Override
    public double validationLoss(TrainableModel model) {
        if (!(model instanceof SequenceRegressor regressor)) {
            throw new IllegalArgumentException("the " + task.name() + " task is measured on a model of vectors with a real"
                    + " output (SequenceRegressor), not a " + model.getClass().getSimpleName());
        }
        return evaluate(regressor).loss();
    }

    /** The last {@link #evaluate} (or validation), or null before the first. */
    public Evaluation lastEvaluation() {
        return last;
    }

    /** {@link #lastEvaluation()}, with no accuracy (NaN): a real target has none. */
    @Override
    public Measure lastMeasure() {
        return last == null ? null : new Measure(last.loss(), Double.NaN, last.solved());
    }

    /**
     * The model on the held-out sequences, in batches of the training batch's size from zero state
     * (the last one filled up with zeros that are not counted): the mean squared error over the N
     * sequences, {@code (1/N) Σ_n (ŷ_n - y_n)²}, and whether it solves the task
     * ({@link LongRangeTask#solved}). A prediction that is not finite ends the measure with a
     * non-finite loss, unsolved.
     */
    public Evaluation evaluate(SequenceRegressor model) {
        int steps = task.steps();
        int width = steps * task.inputSize(); // floats of one sequence
        float[] inputs = scratch.inputs();
        float[] targets = scratch.realTargets();
        double sum = 0;
        for (int start = 0; start < heldOut; start += batch) {
            int n = Math.min(batch, heldOut - start);
            System.arraycopy(heldOutInputs, start * width, inputs, 0, n * width);
            System.arraycopy(heldOutTargets, start, targets, 0, n);
            Arrays.fill(inputs, n * width, inputs.length, 0f);
            Arrays.fill(targets, n, targets.length, 0f);
            model.forward(scratch, null, null);
            float[] predicted = model.predictions(); // [B, 1]
            for (int b = 0; b < n; b++) {
                double error = (double) predicted[b] - targets[b];
                sum += error * error;
            }
            if (!Double.isFinite(sum)) {
                last = new Evaluation(sum, false);
                return last;
            }
        }
        double mse = sum / heldOut;
        last = new Evaluation(mse, task.solved(mse));
        return last;
    }

    /**
     * A measurement on the held-out sequences.
     *
     * @param loss   the mean squared error over the held-out sequences
     * @param solved whether it is below the task's solved threshold
     */
    public record Evaluation(double loss, boolean solved) {}
}
