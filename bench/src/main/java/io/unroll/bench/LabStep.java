package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.io.Safetensors;
import io.unroll.lab.CopyTask;
import io.unroll.lab.TaskBatches;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.BatchSource;
import io.unroll.train.Init;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The timed step of the lab rows: one step of {@code unroll lab copy}'s training run, the copy task
 * ({@link CopyTask}) with its model and optimizer, on data fixed in advance so that the PyTorch peer
 * can train on exactly the same batches:
 *
 * <pre>
 *   ids [B, T] → one-hot [B, T, 10] → one recurrent layer of H → linear head to 10 classes over all B·T rows
 *             → softmax cross-entropy → BPTT → clip by global norm 1.0 → Adam (lr 3e-3)
 * </pre>
 *
 * The data are the first N batches of the task's generator for the seed ({@link TaskBatches}: batch
 * k of seed s), cycled: step k trains on batch {@code k mod N}, from zero state, as a fresh batch
 * of the generator would. A fixed set, rather than a new batch every step, lets the peer read the
 * very same symbols from a file ({@link #writeBatches}) instead of reimplementing the generator, and
 * generating a batch costs nothing next to a step either way. The weights start from PyTorch's
 * default initialisation and the head from U(±1/√H), as in the lab command; the time of a step does
 * not depend on the values. Not thread-safe.
 */
public final class LabStep {
    /** Clipping threshold of the lab command, and so of the step. */
    public static final double MAX_NORM = 1.0;
    /** Adam's learning rate in the lab command. */
    public static final double LEARNING_RATE = 3e-3;

    private final CopyTask task;
    private final int batch;
    private final int batches;
    private final int[] inputs;   // [N, B, T] symbol ids
    private final int[] targets;  // [N, B, T] target classes
    private final SequenceModel model;
    private final TrainingRun run;

    /**
     * @param cell    the recurrent cell
     * @param delay   the copy task's delay D (T = D + 20)
     * @param hidden  H
     * @param batch   B
     * @param batches N, the fixed batches cycled
     * @param seed    seed of the batches and of the weights
     */
    public LabStep(CellType cell, int delay, int hidden, int batch, int batches, long seed) {
        if (batches < 1) {
            throw new IllegalArgumentException("the lab step cycles at least 1 batch, got " + batches);
        }
        this.task = new CopyTask(delay);
        this.batch = batch;
        this.batches = batches;
        int steps = task.steps();
        int size = batch * steps;
        this.inputs = new int[batches * size];
        this.targets = new int[batches * size];
        TaskBatches generator = new TaskBatches(task, batch, seed, 1);
        Batch one = Batch.allocateTokens(batch, steps);
        for (int k = 0; k < batches; k++) {
            generator.fillBatch(k, one);
            System.arraycopy(one.tokens(), 0, inputs, k * size, size);
            System.arraycopy(one.classTargets(), 0, targets, k * size, size);
        }

        ParamStore.Builder pb = ParamStore.builder();
        this.model = SequenceModel.oneHot(pb, task.inputSize(), RecurrentConfig.of(cell, task.inputSize(), hidden, 1));
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(seed);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        double bound = 1 / Math.sqrt(hidden);
        Weights.uniform(model.head().weight(), bound, rng);
        Weights.uniform(model.head().bias(), bound, rng);
        this.run = TrainingRun.builder().model(model, params).optimizer(Adam.adam(LEARNING_RATE)).rng(rng)
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
    public CopyTask task() {
        return task;
    }

    /** The model being trained. */
    public SequenceModel model() {
        return model;
    }

    /** N, the fixed batches cycled. */
    public int batches() {
        return batches;
    }

    /** The symbol ids of all batches, {@code [N, B, T]}, as written by {@link #writeBatches} (a copy). */
    public int[] inputs() {
        return inputs.clone();
    }

    /** The target classes of all batches, {@code [N, B, T]} (a copy). */
    public int[] targets() {
        return targets.clone();
    }

    /**
     * Writes the batches as safetensors, {@code inputs} and {@code targets}, both I32
     * {@code [N, B, T]}, with the task's name and the seed-independent shape in the metadata: what
     * the PyTorch peer trains on.
     */
    public void writeBatches(Path file) throws IOException {
        int[] shape = {batches, batch, task.steps()};
        Safetensors.writer()
                .putInts("inputs", shape, inputs)
                .putInts("targets", shape, targets)
                .metadata("task", task.name())
                .metadata("classes", String.valueOf(task.inputSize()))
                .write(file);
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
            return Batch.Kind.TOKENS;
        }

        @Override
        public long stepsPerEpoch() {
            return batches;
        }

        @Override
        public boolean fillBatch(long step, Batch into) {
            int size = batch * task.steps();
            int k = (int) (step % batches);
            System.arraycopy(inputs, k * size, into.tokens(), 0, size);
            System.arraycopy(targets, k * size, into.classTargets(), 0, size);
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
