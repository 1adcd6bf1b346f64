package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.init.InitScheme;
import io.unroll.io.Safetensors;
import io.unroll.lab.LongRangeTask;
import io.unroll.lab.RealTargetBatches;
import io.unroll.lab.TaskBatches;
import io.unroll.lab.TaskModel;
import io.unroll.layer.Linear;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.SequenceRegressor;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.BatchSource;
import io.unroll.train.Init;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * The timed step of the lab rows: one step of an {@code unroll lab} training run on one of the
 * lab's long-range tasks ({@link LongRangeTask}), with the lab command's model and optimizer, on
 * data fixed in advance so that the PyTorch peer can train on exactly the same batches. The task's
 * kind of target ({@link LongRangeTask#target()}) decides the model, as in the lab command:
 *
 * <pre>
 *   a class at every step (the copy task, {@code unroll lab copy}): a {@link SequenceModel#oneHot one-hot SequenceModel}
 *     ids [B, T] → one-hot [B, T, I] → one recurrent layer of H → o [B, T, H] → linear head to I classes over all B·T rows
 *               → softmax cross-entropy → BPTT → clip by global norm 1.0 → Adam (lr 3e-3)
 *
 *   a real target at the last step (the adding problem, the delayed signal: {@code unroll lab adding}, {@code unroll lab signal}):
 *   a {@link SequenceRegressor} with one output
 *     x [B, T, I] → one recurrent layer of H → o_{T-1} [B, H] → linear head → ŷ [B, 1]
 *               → L = (1/B) Σ_b (ŷ_b - y_b)² → BPTT → clip by global norm 1.0 → Adam (lr 1e-3)
 * </pre>
 *
 * The data are the first N batches of the task's generator for the seed ({@link TaskBatches} or
 * {@link RealTargetBatches}: batch k of seed s), cycled: step k trains on batch {@code k mod N}, from
 * zero state, as a fresh batch of the generator would. A fixed set, rather than a new batch every
 * step, lets the peer read the very same values from a file ({@link #writeBatches}) instead of
 * reimplementing the generator, and generating a batch costs nothing next to a step either way. The
 * weights start from PyTorch's default initialisation and the head from U(±1/√H), as in the lab
 * command (which also sets an LSTM's forget-gate bias to 1; the time of a step does not depend on
 * the values, so the step leaves that out, as the peer does). Not thread-safe.
 */
public final class LabStep {
    /** Clipping threshold of the lab command, and so of the step. */
    public static final double MAX_NORM = 1.0;

    private final LongRangeTask task;
    private final CellType cell;
    private final int hidden;
    private final int batch;
    private final long seed;
    private final Setup setup;
    private final Batch[] fixed;  // N batches: ids and classes [B, T] each, or inputs [B, T, I] and targets [B, 1]
    private final TrainingRun run;

    /**
     * @param task    the lab task, e.g. {@code new CopyTask(20)} or {@code new AddingTask(100)}
     * @param cell    the recurrent cell
     * @param hidden  H
     * @param batch   B
     * @param batches N, the fixed batches cycled
     * @param seed    seed of the batches and of the weights
     * @throws IllegalArgumentException if N, H or B is below 1
     */
    public LabStep(LongRangeTask task, CellType cell, int hidden, int batch, int batches, long seed) {
        this.task = Objects.requireNonNull(task, "task");
        this.cell = Objects.requireNonNull(cell, "cell");
        if (batches < 1) {
            throw new IllegalArgumentException("the lab step cycles at least 1 batch, got " + batches);
        }
        this.hidden = hidden;
        this.batch = batch;
        this.seed = seed;
        ParamStore.Builder pb = ParamStore.builder();
        this.setup = Setup.of(task, RecurrentConfig.of(cell, task.inputSize(), hidden, 1), pb, batch, seed);
        ParamStore params = pb.build();
        this.fixed = new Batch[batches];
        for (int k = 0; k < batches; k++) {
            fixed[k] = setup.model().newBatch(batch, task.steps());
            setup.generator().fillBatch(k, fixed[k]);
        }

        Rng rng = Rng.seeded(seed);
        Init.apply(setup.model().rnn(), InitScheme.PYTORCH, rng);
        setup.head().initUniform(rng);
        this.run = TrainingRun.builder().model(setup.model(), params).optimizer(Adam.adam(TaskModel.learningRate(task))).rng(rng)
                .data(new Cycled()).clip(MAX_NORM).build();
    }

    /** One training step of the run; returns its loss. */
    public double run() {
        return run.trainStep().loss();
    }

    /** {@code iterations} steps back to back; returns the last loss. */
    public double run(long iterations) {
        double last = Double.NaN;
        for (long i = 0; i < iterations; i++) {
            last = run();
        }
        return last;
    }

    /** The task, e.g. {@code copy(delay=20)}. */
    public LongRangeTask task() {
        return task;
    }

    /** The model being trained: a one-hot {@link SequenceModel} or a {@link SequenceRegressor}, by the task's target. */
    public TrainableModel model() {
        return setup.model();
    }

    /** Adam's learning rate: the lab's for the task's target ({@link TaskModel#learningRate}). */
    public double learningRate() {
        return TaskModel.learningRate(task);
    }

    /**
     * What one step does, in words, e.g. {@code inputs [B, T, 2] -> 1 layer of H -> head to 1 value
     * at the last step -> mean squared error -> BPTT -> clip 1.0 -> Adam lr 0.001}.
     */
    public String description() {
        return setup.description() + String.format(Locale.ROOT, " -> BPTT -> clip %.1f -> Adam lr %s", MAX_NORM, learningRate());
    }

    /** N, the fixed batches cycled. */
    public int batches() {
        return fixed.length;
    }

    /** Batch {@code k} (a copy), {@code 0 <= k < N}: what step k, N + k, 2N + k, ... train on. */
    public Batch batch(int k) {
        if (k < 0 || k >= fixed.length) {
            throw new IllegalArgumentException("batch " + k + " asked for, expected 0 to " + (fixed.length - 1));
        }
        Batch copy = setup.model().newBatch(batch, task.steps());
        copy(fixed[k], copy);
        return copy;
    }

    /**
     * Writes the batches as safetensors, what the PyTorch peer trains on, with the task's name in
     * the metadata ({@code task}):
     * <ul>
     *   <li>a class at every step: {@code inputs} (symbol ids) and {@code targets} (classes), both
     *       I32 {@code [N, B, T]}, and the number of one-hot inputs and classes ({@code classes});</li>
     *   <li>a real target at the last step: {@code inputs} F32 {@code [N, B, T, I]} and
     *       {@code targets} F32 {@code [N, B, 1]}.</li>
     * </ul>
     */
    public void writeBatches(Path file) throws IOException {
        int n = fixed.length;
        int steps = task.steps();
        Safetensors.Writer writer = Safetensors.writer().metadata("task", task.name());
        if (setup.model().batchKind() == Batch.Kind.TOKENS) {
            int size = batch * steps;
            int[] shape = {n, batch, steps};
            writer.putInts("inputs", shape, concatenated(Batch::tokens, new int[n * size], size))
                    .putInts("targets", shape, concatenated(Batch::classTargets, new int[n * size], size))
                    .metadata("classes", String.valueOf(task.inputSize()));
        } else {
            int inputs = batch * steps * task.inputSize();
            int targets = batch * task.outputSize();
            writer.putFloats("inputs", new int[] {n, batch, steps, task.inputSize()},
                            concatenated(Batch::inputs, new float[n * inputs], inputs))
                    .putFloats("targets", new int[] {n, batch, task.outputSize()},
                            concatenated(Batch::realTargets, new float[n * targets], targets));
        }
        writer.write(file);
    }

    /**
     * The request that has the PyTorch peer train the same model, from the same seed, on the
     * batches {@link #writeBatches} wrote to {@code data}.
     */
    public PeerProtocol.Request peerRequest(Timing timing, Path data) {
        int steps = task.steps();
        return switch (task.target()) {
            case CLASS_EVERY_STEP -> PeerProtocol.Request.lab(cell.id(), hidden, batch, steps, task.inputSize(), task.inputSize(),
                    seed, timing, data.toString());
            case REAL_AT_LAST_STEP -> PeerProtocol.Request.labReal(cell.id(), hidden, batch, steps, task.inputSize(),
                    task.outputSize(), seed, timing, data.toString());
        };
    }

    /** The part {@code part} of every batch, one after another in {@code into}: {@code [N, ...]}, each {@code each} long. */
    private <A> A concatenated(Function<Batch, A> part, A into, int each) {
        for (int k = 0; k < fixed.length; k++) {
            System.arraycopy(part.apply(fixed[k]), 0, into, k * each, each);
        }
        return into;
    }

    /** Copies a batch into another of the same kind and shape. */
    private static void copy(Batch from, Batch into) {
        if (from.kind() == Batch.Kind.TOKENS) {
            System.arraycopy(from.tokens(), 0, into.tokens(), 0, from.tokens().length);
            System.arraycopy(from.classTargets(), 0, into.classTargets(), 0, from.classTargets().length);
        } else {
            System.arraycopy(from.inputs(), 0, into.inputs(), 0, from.inputs().length);
            System.arraycopy(from.realTargets(), 0, into.realTargets(), 0, from.realTargets().length);
        }
    }

    /**
     * What the task's kind of target fixes, as in the lab command: the model and its head
     * ({@link TaskModel}), the generator of its batches, and the words for the step up to the loss.
     */
    private record Setup(TaskModel net, BatchSource generator, String description) {
        static Setup of(LongRangeTask task, RecurrentConfig config, ParamStore.Builder params, int batch, long seed) {
            int in = task.inputSize();
            TaskModel net = TaskModel.of(task, params, config);
            BatchSource generator = TaskModel.batches(task, batch, seed, 1);
            String description = switch (task.target()) {
                case CLASS_EVERY_STEP -> String.format(Locale.ROOT,
                        "one-hot ids [B, T, %d] -> 1 layer of H -> head to %d classes over all B*T rows -> cross-entropy", in, in);
                case REAL_AT_LAST_STEP -> String.format(Locale.ROOT,
                        "inputs [B, T, %d] -> 1 layer of H -> head to %d value%s at the last step -> mean squared error", in,
                        task.outputSize(), task.outputSize() == 1 ? "" : "s");
            };
            return new Setup(net, generator, description);
        }

        TrainableModel model() {
            return net.model();
        }

        Linear head() {
            return net.head();
        }
    }

    /** The fixed batches, step k getting batch k mod N, each from zero state. */
    private final class Cycled implements BatchSource {
        @Override
        public int batchSize() {
            return batch;
        }

        @Override
        public int sequenceLength() {
            return task.steps();
        }

        @Override
        public Batch.Kind batchKind() {
            return setup.model().batchKind();
        }

        @Override
        public long stepsPerEpoch() {
            return fixed.length;
        }

        @Override
        public boolean fillBatch(long step, Batch into) {
            copy(fixed[(int) (step % fixed.length)], into);
            return true;
        }

        @Override
        public boolean hasValidationData() {
            return false;
        }

        @Override
        public double validationLoss(TrainableModel ignored) {
            return Double.NaN;
        }
    }
}
