package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.init.InitScheme;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Init;
import io.unroll.train.TrainingRun;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The copy task as a training run's data: the task's own batches as ids, and the held-out measure. */
class TaskBatchesTest {
    private static final CopyTask COPY = new CopyTask(5);

    @Test
    void batchKIsTheTasksBatchKAsSymbolIds() {
        TaskBatches batches = new TaskBatches(COPY, 3, 11, 4);
        int n = 3 * COPY.steps();
        Batch batch = Batch.allocateTokens(3, COPY.steps());
        assertTrue(batches.fillBatch(7, batch), "every batch starts new sequences");
        int[] inputs = batch.tokens();
        int[] targets = batch.classTargets();
        float[] vectors = new float[n * COPY.inputSize()];
        int[] expectedTargets = new int[n];
        COPY.fill(11, 7, 3, vectors, expectedTargets, null);
        for (int r = 0; r < n; r++) {
            assertEquals(1f, vectors[r * COPY.inputSize() + inputs[r]], "row " + r + " is one-hot at its id");
        }
        assertArrayEquals(expectedTargets, targets);
        assertEquals(COPY.steps(), batches.sequenceLength());
        assertEquals(1, batches.stepsPerEpoch());
    }

    @Test
    void withMixedDelaysTheTrainingBatchesAreTheCurriculumsAndTheHeldOutSequencesTheTasks() {
        TaskBatches mixed = new TaskBatches(COPY, 40, 11, 4, true);
        TaskBatches plain = new TaskBatches(COPY, 40, 11, 4);
        Batch batch = Batch.allocateTokens(40, COPY.steps());
        mixed.fillBatch(7, batch);
        float[] vectors = new float[40 * COPY.steps() * COPY.inputSize()];
        int[] targets = new int[40 * COPY.steps()];
        COPY.fillMixedDelays(11, 7, 40, vectors, targets);
        for (int r = 0; r < targets.length; r++) {
            assertEquals(1f, vectors[r * COPY.inputSize() + batch.tokens()[r]], "row " + r + " is one-hot at its id");
        }
        assertArrayEquals(targets, batch.classTargets());
        Batch plainBatch = Batch.allocateTokens(40, COPY.steps());
        plain.fillBatch(7, plainBatch);
        assertFalse(Arrays.equals(plainBatch.tokens(), batch.tokens()), "some of 40 sequences are shortened");
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.oneHot(pb, COPY.inputSize(), RecurrentConfig.of(CellType.GRU, COPY.inputSize(), 6, 1));
        pb.build();
        Init.apply(model.rnn(), InitScheme.PYTORCH, Rng.seeded(3, 0));
        assertEquals(plain.evaluate(model), mixed.evaluate(model), "the held-out sequences are the task's own");
    }

    @Test
    void theHeldOutMeasureIsTheMeanLossPerStepAndTheRecallAccuracy() {
        int batch = 4;
        TaskBatches batches = new TaskBatches(COPY, batch, 11, 2 * batch);
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.oneHot(pb, COPY.inputSize(), RecurrentConfig.of(CellType.GRU, COPY.inputSize(), 12, 1));
        pb.build();
        Rng rng = Rng.seeded(3);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        io.unroll.init.Weights.uniform(model.head().weight(), 1.0, rng);
        TaskBatches.Evaluation e = batches.evaluate(model);
        // the same held-out sequences by hand: the complement seed, in two batches from zero state
        int steps = COPY.steps();
        float[] vectors = new float[2 * batch * steps * COPY.inputSize()];
        int[] targets = new int[2 * batch * steps];
        COPY.fill(~11L, 0, 2 * batch, vectors, targets, null);
        double loss = 0;
        int right = 0;
        for (int half = 0; half < 2; half++) {
            int[] ids = new int[batch * steps];
            int[] out = new int[batch * steps];
            for (int r = 0; r < ids.length; r++) {
                int row = half * batch * steps + r;
                for (int i = 0; i < COPY.inputSize(); i++) {
                    ids[r] = vectors[row * COPY.inputSize() + i] == 1f ? i : ids[r];
                }
                out[r] = targets[row];
            }
            loss += model.forward(ids, out, null, batch, steps, null) / 2;
            int[] predicted = model.argmax();
            for (int b = 0; b < batch; b++) {
                for (int t : COPY.scoredSteps()) {
                    right += predicted[b * steps + t] == out[b * steps + t] ? 1 : 0;
                }
            }
        }
        assertEquals(loss, e.loss(), 1e-5);
        assertEquals(right / (2.0 * batch * CopyTask.COPIED), e.accuracy(), 0.0);
        assertEquals(e, batches.lastEvaluation());
        assertEquals(e.loss(), batches.validationLoss(model), 0.0);
    }

    @Test
    void aModelWithASmallerAlphabetThanTheTaskIsRefusedBeforeTheFirstStep() {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.oneHot(pb, 9, RecurrentConfig.of(CellType.GRU, 9, 8, 1));
        ParamStore params = pb.build();
        TrainingRun.Builder run = TrainingRun.builder().model(model, params).optimizer(Adam.adam(1e-3)).rng(Rng.seeded(1))
                .data(new TaskBatches(COPY, 2, 1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run::build);
        assertEquals("the copy(delay=5) task has an alphabet of 10 input symbols, larger than the model's vocabulary of 9:"
                + " build the model for at least 10 (SequenceModel.oneHot(params, 10, config))", e.getMessage());
    }

    @Test
    void aTaskWithARealTargetIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TaskBatches(new AddingTask(10), 2, 1, 2));
        assertTrue(e.getMessage().contains("real-valued target"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TaskBatches(COPY, 0, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new TaskBatches(COPY, 2, 1, 0));
    }
}
