package io.unroll.lab;

import io.unroll.data.Batch;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Check;
import java.util.Arrays;

/**
 * A long-range task whose inputs are symbols and whose target is a class at every step (the copy
 * task) as the training data of a {@link io.unroll.train.TrainingRun}: each step a fresh batch,
 * batch k of seed s being the task's batch (s, k) with each one-hot input as its symbol's id; a
 * fixed held-out set of other sequences on which {@link #evaluate} measures the mean loss per step
 * and the accuracy on the task's scored steps.
 *
 * <p>The model reads the input ids as one-hot vectors ({@link SequenceModel#oneHot}) and predicts
 * one of the same {@link LongRangeTask#inputSize()} classes at every step: the task's target
 * classes are the first {@link LongRangeTask#outputSize()} of them (for the copy task, the 8
 * symbols and the blank; the marker is never a target, and a model learns within a few steps to
 * give it no weight).
 *
 * <p>{@link RealTargetBatches} is its sibling for the tasks with a real target at the last step.
 */
public final class TaskBatches extends TaskSource {
    /** Held-out sequences by default: the figure of a run is measured on 1,000 of them. */
    public static final int DEFAULT_HELD_OUT = 1000;

    private final float[] vectors;      // [B, T, I] scratch of one batch
    private final int[] heldOutInputs;  // [N, T]
    private final int[] heldOutTargets; // [N, T]
    private final boolean mixedDelays;
    private Evaluation last;

    /**
     * The batches of {@code task} drawn from {@code seed}, with {@code heldOut} held-out sequences
     * drawn from a seed no training batch uses (the bitwise complement of {@code seed}).
     *
     * @throws IllegalArgumentException if the task's target is not a class at every step, a size is
     *                                  not positive, or the task's inputs are not one-hot
     */
    public TaskBatches(LongRangeTask task, int batch, long seed, int heldOut) {
        this(task, batch, seed, heldOut, false);
    }

    /**
     * The batches of {@link #TaskBatches(LongRangeTask, int, long, int)}, or with
     * {@code mixedDelays} the copy task's curriculum over the delay: the training batches of
     * {@link CopyTask#fillMixedDelays}, half of their sequences at a shorter delay; the held-out
     * sequences keep the full delay, so what is measured is the task itself.
     *
     * @throws IllegalArgumentException also if {@code mixedDelays} is asked of a task other than the copy task
     */
    public TaskBatches(LongRangeTask task, int batch, long seed, int heldOut, boolean mixedDelays) {
        super(task, batch, seed, heldOut);
        if (task.target() != LongRangeTask.Target.CLASS_EVERY_STEP) {
            throw new IllegalArgumentException("the " + task.name() + " task has a real-valued target at its last step;"
                    + " these batches feed a model that predicts a class at every step (the copy task): use RealTargetBatches");
        }
        if (mixedDelays && !(task instanceof CopyTask)) {
            throw new IllegalArgumentException("mixed delays are a curriculum of the copy task, which the " + task.name()
                    + " task is not");
        }
        this.mixedDelays = mixedDelays;
        int steps = task.steps();
        this.vectors = new float[Check.arrayLength("one batch of inputs [batch, steps, input size]", batch, steps,
                task.inputSize())];
        this.heldOutInputs = new int[Check.arrayLength("held-out inputs [sequences, steps]", heldOut, steps)];
        this.heldOutTargets = new int[heldOutInputs.length];
        float[] all = new float[Check.arrayLength("held-out inputs [sequences, steps, input size]", heldOut, steps,
                task.inputSize())];
        task.fill(heldOutSeed(), 0, heldOut, all, heldOutTargets, null);
        ids(all, heldOutInputs);
    }

    /** {@link Batch.Kind#TOKENS}: each one-hot input as its symbol's id, a class at every step. */
    @Override
    public Batch.Kind batchKind() {
        return Batch.Kind.TOKENS;
    }

    @Override
    public boolean fillBatch(long step, Batch batch) {
        if (mixedDelays) {
            ((CopyTask) task).fillMixedDelays(seed, step, this.batch, vectors, batch.classTargets());
        } else {
            task.fill(seed, step, this.batch, vectors, batch.classTargets(), null);
        }
        ids(vectors, batch.tokens());
        return true;
    }

    /**
     * A token model that reads every input symbol of the task as its own one-hot vector and
     * predicts among at least as many classes: vocabulary size at least the task's input size.
     */
    @Override
    public void checkModel(TrainableModel model) {
        if (!(model instanceof SequenceModel tokens)) {
            throw new IllegalArgumentException("the " + task.name() + " task trains a token model (SequenceModel), not a "
                    + model.getClass().getSimpleName());
        }
        if (tokens.vocabularySize() < task.inputSize()) {
            throw new IllegalArgumentException("the " + task.name() + " task has an alphabet of " + task.inputSize()
                    + " input symbols, larger than the model's vocabulary of " + tokens.vocabularySize()
                    + ": build the model for at least " + task.inputSize() + " (SequenceModel.oneHot(params, "
                    + task.inputSize() + ", config))");
        }
    }

    /**
     * {@link #evaluate}'s loss; the accuracy is kept as {@link #lastEvaluation()}.
     *
     * @throws IllegalArgumentException if the model is not a {@link SequenceModel}
     */
    @Override
    public double validationLoss(TrainableModel model) {
        if (!(model instanceof SequenceModel tokens)) {
            throw new IllegalArgumentException("the " + task.name() + " task is measured on a token model (SequenceModel),"
                    + " not a " + model.getClass().getSimpleName());
        }
        return evaluate(tokens).loss();
    }

    /** The last {@link #evaluate} (or validation), or null before the first. */
    public Evaluation lastEvaluation() {
        return last;
    }

    /** {@link #lastEvaluation()} with whether its recall accuracy solves the task. */
    @Override
    public Measure lastMeasure() {
        return last == null ? null : new Measure(last.loss(), last.accuracy(), task.solved(last.accuracy()));
    }

    /**
     * The model on the held-out sequences, in batches of the training batch's size from zero state:
     * the mean cross-entropy per step (nats) over every step, and the share of the scored steps
     * (for the copy task, the 10 recalled symbols) whose most likely class is the target.
     */
    public Evaluation evaluate(SequenceModel model) {
        int steps = task.steps();
        int[] scored = task.scoredSteps();
        double lossSum = 0;
        long right = 0;
        int[] in = new int[batch * steps];
        int[] out = new int[batch * steps];
        for (int start = 0; start < heldOut; start += batch) {
            int n = Math.min(batch, heldOut - start);
            Arrays.fill(in, 0);
            Arrays.fill(out, 0);
            System.arraycopy(heldOutInputs, start * steps, in, 0, n * steps);
            System.arraycopy(heldOutTargets, start * steps, out, 0, n * steps);
            double loss = model.forward(in, out, null, batch, steps, null);
            if (!Double.isFinite(loss)) {
                last = new Evaluation(loss, Double.NaN);
                return last;
            }
            float[] logits = model.logits(); // [B·T, V]
            int v = model.vocabularySize();
            for (int b = 0; b < n; b++) {
                for (int t = 0; t < steps; t++) {
                    lossSum += crossEntropy(logits, (b * steps + t) * v, v, out[b * steps + t]);
                }
                for (int t : scored) {
                    right += argmax(logits, (b * steps + t) * v, v) == out[b * steps + t] ? 1 : 0;
                }
            }
        }
        last = new Evaluation(lossSum / ((double) heldOut * steps), (double) right / ((long) heldOut * scored.length));
        return last;
    }

    /**
     * A measurement on the held-out sequences.
     *
     * @param loss     the mean cross-entropy per step, nats
     * @param accuracy the share of the scored steps predicted right, 0 to 1
     */
    public record Evaluation(double loss, double accuracy) {}

    /** The id of each one-hot row of {@code vectors [N, T, I]} into {@code ids [N, T]}. */
    private void ids(float[] vectors, int[] ids) {
        int width = task.inputSize();
        for (int r = 0; r < ids.length; r++) {
            int id = -1;
            for (int i = 0; i < width; i++) {
                float x = vectors[r * width + i];
                if (x == 1f && id < 0) {
                    id = i;
                } else if (x != 0f) {
                    id = -2;
                    break;
                }
            }
            if (id < 0) {
                throw new IllegalArgumentException("the " + task.name() + " task's input at row " + r + " is not one-hot;"
                        + " these batches read symbols, one 1 among zeros at every step");
            }
            ids[r] = id;
        }
    }

    private static double crossEntropy(float[] logits, int from, int v, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            max = Math.max(max, logits[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < v; i++) {
            sum += Math.exp(logits[from + i] - max);
        }
        return max + Math.log(sum) - logits[from + target];
    }

    private static int argmax(float[] logits, int from, int v) {
        int best = 0;
        for (int i = 1; i < v; i++) {
            if (logits[from + i] > logits[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
