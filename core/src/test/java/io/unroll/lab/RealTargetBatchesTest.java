package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.flow.FlowHistory;
import io.unroll.flow.FlowTelemetry;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.SequenceRegressor;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Init;
import io.unroll.train.TrainingRun;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tasks with a real target at the last step as a training run's data: the task's own batches,
 * the held-out measure, and a GRU that learns the adding problem through {@link TrainingRun}.
 */
class RealTargetBatchesTest {
    private static final AddingTask ADDING = new AddingTask(10);

    @TempDir
    Path dir;

    private record Built(SequenceRegressor model, ParamStore params) {}

    /** A GRU regressor of the task's input size, initialised as {@code unroll lab} does. */
    private static Built model(LongRangeTask task, int hidden, Rng rng) {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceRegressor model = new SequenceRegressor(pb, RecurrentConfig.of(CellType.GRU, task.inputSize(), hidden, 1), 1);
        ParamStore params = pb.build();
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        Weights.uniform(model.head().weight(), 1 / Math.sqrt(hidden), rng);
        Weights.uniform(model.head().bias(), 1 / Math.sqrt(hidden), rng);
        return new Built(model, params);
    }

    @Test
    void batchKIsTheTasksBatchK() {
        DelayedSignalTask task = new DelayedSignalTask(12, 4);
        RealTargetBatches batches = new RealTargetBatches(task, 3, 11, 4);
        Batch batch = Batch.allocateVectors(3, 12, 2, 1);
        assertTrue(batches.fillBatch(7, batch), "every batch starts new sequences");
        float[] inputs = new float[3 * 12 * 2];
        float[] targets = new float[3];
        task.fill(11, 7, 3, inputs, null, targets);
        assertArrayEquals(inputs, batch.inputs());
        assertArrayEquals(targets, batch.realTargets());
        assertEquals(Batch.Kind.VECTORS, batches.batchKind());
        assertEquals(12, batches.sequenceLength());
        assertEquals(1, batches.stepsPerEpoch());
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> batches.fillBatch(0, Batch.allocateVectors(3, 12, 5, 1)));
        assertTrue(wide.getMessage().contains("expected [3, 12, 2] -> [3, 1]"), wide.getMessage());
    }

    @Test
    void theHeldOutMeasureIsTheMeanSquaredErrorOverTheSequences() {
        int batch = 4;
        int heldOut = 2 * batch + 3; // a last batch of 3 filled up with uncounted zeros
        RealTargetBatches batches = new RealTargetBatches(ADDING, batch, 11, heldOut);
        assertNull(batches.lastEvaluation());
        SequenceRegressor model = model(ADDING, 8, Rng.seeded(3)).model();
        RealTargetBatches.Evaluation e = batches.evaluate(model);
        // the same held-out sequences by hand: the complement seed, one sequence at a time
        int steps = ADDING.steps();
        float[] x = new float[heldOut * steps * 2];
        float[] y = new float[heldOut];
        ADDING.fill(~11L, 0, heldOut, x, null, y);
        double sum = 0;
        for (int n = 0; n < heldOut; n++) {
            float[] one = java.util.Arrays.copyOfRange(x, n * steps * 2, (n + 1) * steps * 2);
            model.forward(one, new float[] {y[n]}, 1, steps, null);
            double d = (double) model.predictions()[0] - y[n];
            sum += d * d;
        }
        assertEquals(sum / heldOut, e.loss(), 1e-6);
        assertEquals(e.loss() < AddingTask.SOLVED_MSE, e.solved());
        assertEquals(e, batches.lastEvaluation());
        assertEquals(e.loss(), batches.validationLoss(model), 0.0);
    }

    @Test
    void aGruLearnsTheAddingProblemWellBelowItsBaseline() throws Exception {
        // measured over seeds 1-6: held-out MSE 0.0005-0.0016 after 300 steps (about 0.3 s), against 1/6
        Rng rng = Rng.seeded(1);
        Built built = model(ADDING, 32, rng);
        SequenceRegressor model = built.model();
        RealTargetBatches data = new RealTargetBatches(ADDING, 32, 1, 500);
        double before = data.evaluate(model).loss();
        TrainingRun run = TrainingRun.builder().model(model, built.params()).optimizer(Adam.adam(0.01)).rng(rng).data(data)
                .clip(1.0).build();
        FlowHistory history = FlowHistory.watch(run, FlowTelemetry.builder().every(10));
        TrainingRun.Result result = run.run(TrainingRun.Plan.to(300).validateEvery(100).listener(history).build());
        assertEquals(TrainingRun.Outcome.COMPLETED, result.outcome());
        assertEquals(3, result.validations().size());
        RealTargetBatches.Evaluation after = data.lastEvaluation();
        assertTrue(before > 0.1, "an untrained model is near the baseline 1/6: " + before);
        assertTrue(after.loss() < AddingTask.SOLVED_MSE && after.solved(), "held-out MSE after 300 steps: " + after.loss());
        assertEquals(after.loss(), result.validations().get(2).loss(), 0.0);
        assertTrue(Double.isNaN(result.last().bitsPerToken()), "a squared error has no bits");
        assertTrue(Double.isNaN(result.validations().get(2).bitsPerToken()));
        // the telemetry watched the stack's backward: every sampled step, the gradient over all T steps
        FlowHistory.Series series = history.series();
        assertEquals(300, series.step().length);
        assertEquals(30, series.samples().size());
        assertEquals(ADDING.steps(), series.samples().get(0).hNorms().length);
    }

    @Test
    void theRunRefusesWhatALastStepLossCannotTake() {
        RealTargetBatches data = new RealTargetBatches(ADDING, 4, 1, 4);
        Rng rng = Rng.seeded(2);
        Built built = model(ADDING, 4, rng);
        SequenceRegressor model = built.model();
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class, () -> TrainingRun.builder()
                .model(model, built.params()).optimizer(Adam.adam(0.01)).rng(rng).data(data).tbptt(5).build());
        assertTrue(window.getMessage().startsWith("the truncated-BPTT window is 5 steps, shorter than the sequences (10 steps),"
                + " but the model's loss is at the last step only"), window.getMessage());
        assertTrue(window.getMessage().contains("use a window of at least 10 (full BPTT)"), window.getMessage());
        // a window of T or more is full BPTT and fine
        TrainingRun.builder().model(model, built.params()).optimizer(Adam.adam(0.01)).rng(rng).data(data).tbptt(10).build();

        TrainingRun run = TrainingRun.builder().model(model, built.params()).optimizer(Adam.adam(0.01)).rng(rng).data(data)
                .build();
        IllegalArgumentException checkpoints = assertThrows(IllegalArgumentException.class,
                () -> run.run(TrainingRun.Plan.to(2).checkpointsIn(dir.resolve("runs")).build()));
        assertTrue(checkpoints.getMessage().contains("checkpoints hold token models with an embedding; this run's model is a"
                + " SequenceRegressor") && checkpoints.getMessage().endsWith("run it without a checkpoint directory"),
                checkpoints.getMessage());
        assertEquals(0, run.step(), "nothing trained before the refusal");

        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel tokens = SequenceModel.oneHot(pb, 2, RecurrentConfig.of(CellType.GRU, 2, 4, 1));
        ParamStore tokenParams = pb.build();
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> TrainingRun.builder()
                .model(tokens, tokenParams).optimizer(Adam.adam(0.01)).rng(rng).data(data).build());
        assertTrue(kind.getMessage().startsWith("the batch source gives input vectors [B, T, I] with a real target [B, O] at the"
                + " last step, but the model reads token ids [B, T]"), kind.getMessage());

        ParamStore.Builder wide = ParamStore.builder();
        SequenceRegressor threeInputs = new SequenceRegressor(wide, RecurrentConfig.of(CellType.GRU, 3, 4, 1), 1);
        ParamStore wideParams = wide.build();
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class, () -> TrainingRun.builder()
                .model(threeInputs, wideParams).optimizer(Adam.adam(0.01)).rng(rng).data(data).build());
        assertEquals("the adding(length=10) task has 2 input channels and one real target, but the model reads 3 and predicts 1:"
                + " build the regressor with input size 2 and output size 1", width.getMessage());
    }

    @Test
    void aTaskWithClassTargetsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RealTargetBatches(new CopyTask(3), 2, 1, 2));
        assertTrue(e.getMessage().contains("has a class at every step") && e.getMessage().contains("use TaskBatches"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RealTargetBatches(ADDING, 0, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new RealTargetBatches(ADDING, 2, 1, 0));
    }
}
