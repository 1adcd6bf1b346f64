package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.io.Safetensors;
import io.unroll.lab.AddingTask;
import io.unroll.lab.CopyTask;
import io.unroll.lab.DelayedSignalTask;
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
import io.unroll.train.BatchSource;
import io.unroll.train.Init;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lab rows' step, for the copy task and for the tasks with a real target at the last step:
 * its batches are the task generator's, the file the PyTorch peer reads holds exactly them (read
 * back by Unroll's reader and by the peer's own, run with Python's standard library only), its
 * first step's loss is the lab model's loss on the first batch computed directly, and it trains.
 */
class LabStepTest {
    private static final int DELAY = 3;
    private static final int LENGTH = 7;
    private static final int HIDDEN = 4;
    private static final int BATCH = 3;
    private static final int BATCHES = 2;
    private static final long SEED = 7;

    /** Small versions of the three lab tasks: T = 23, 7, 7. */
    static Stream<LongRangeTask> tasks() {
        return Stream.of(new CopyTask(DELAY), new AddingTask(LENGTH), new DelayedSignalTask(LENGTH, DELAY));
    }

    static Stream<LongRangeTask> realTasks() {
        return tasks().filter(t -> t.target() == LongRangeTask.Target.REAL_AT_LAST_STEP);
    }

    /** Every task with every cell. */
    static Stream<Arguments> tasksAndCells() {
        return tasks().flatMap(t -> Stream.of(CellType.RNN_TANH, CellType.LSTM, CellType.GRU).map(c -> Arguments.of(t, c)));
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void theBatchesAreTheGeneratorsFirstNBatchesOfTheSeed(LongRangeTask task) {
        LabStep step = new LabStep(task, CellType.GRU, HIDDEN, BATCH, BATCHES, SEED);
        assertEquals(BATCHES, step.batches());
        BatchSource generator = generator(task);
        for (int k = 0; k < BATCHES; k++) {
            Batch expected = step.model().newBatch(BATCH, task.steps());
            generator.fillBatch(k, expected);
            assertEquals(expected.kind(), step.batch(k).kind());
            assertArrayEquals(inputs(expected), inputs(step.batch(k)), "inputs of batch " + k);
            assertArrayEquals(targets(expected), targets(step.batch(k)), "targets of batch " + k);
        }
        assertNotEquals(Arrays.toString(inputs(step.batch(0))), Arrays.toString(inputs(step.batch(1))), "two different batches");
    }

    @Test
    void theModelIsTheLabCommandsForTheKindOfTarget() {
        LabStep copy = new LabStep(new CopyTask(DELAY), CellType.LSTM, HIDDEN, BATCH, BATCHES, SEED);
        assertTrue(copy.model() instanceof SequenceModel m && m.embedding() == null && m.vocabularySize() == 10, "one-hot over 10");
        assertEquals(TaskModel.CLASS_LEARNING_RATE, copy.learningRate());
        assertEquals("one-hot ids [B, T, 10] -> 1 layer of H -> head to 10 classes over all B*T rows -> cross-entropy -> BPTT"
                + " -> clip 1.0 -> Adam lr 0.003", copy.description());
        LabStep adding = new LabStep(new AddingTask(LENGTH), CellType.LSTM, HIDDEN, BATCH, BATCHES, SEED);
        assertTrue(adding.model() instanceof SequenceRegressor m && m.inputSize() == 2 && m.outputSize() == 1, "I = 2, one output");
        assertEquals(TaskModel.REAL_LEARNING_RATE, adding.learningRate());
        assertEquals("inputs [B, T, 2] -> 1 layer of H -> head to 1 value at the last step -> mean squared error -> BPTT"
                + " -> clip 1.0 -> Adam lr 0.001", adding.description());
    }

    @Test
    void theCopyFileHoldsTheBatchesAsI32NByBByT(@TempDir Path dir) throws IOException {
        LabStep step = new LabStep(new CopyTask(DELAY), CellType.LSTM, HIDDEN, BATCH, BATCHES, SEED);
        Path file = dir.resolve("lab.safetensors");
        step.writeBatches(file);
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(List.of("inputs", "targets"), c.names().stream().sorted().toList());
        for (String name : List.of("inputs", "targets")) {
            assertEquals(Safetensors.Dtype.I32, c.dtype(name));
            assertArrayEquals(new int[] {BATCHES, BATCH, DELAY + 20}, c.shape(name));
        }
        assertArrayEquals(concatenated(step, LabStepTest::inputs), Arrays.stream(c.ints("inputs")).asDoubleStream().toArray());
        assertArrayEquals(concatenated(step, LabStepTest::targets), Arrays.stream(c.ints("targets")).asDoubleStream().toArray());
        assertEquals("copy(delay=3)", c.metadata().get("task"));
        assertEquals("10", c.metadata().get("classes"));
    }

    @ParameterizedTest
    @MethodSource("realTasks")
    void aRealTargetFileHoldsTheInputsAsF32NByBByTByIAndTheTargetsAsF32NByBBy1(LongRangeTask task, @TempDir Path dir)
            throws IOException {
        LabStep step = new LabStep(task, CellType.GRU, HIDDEN, BATCH, BATCHES, SEED);
        Path file = dir.resolve("lab.safetensors");
        step.writeBatches(file);
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(List.of("inputs", "targets"), c.names().stream().sorted().toList());
        assertEquals(Safetensors.Dtype.F32, c.dtype("inputs"));
        assertEquals(Safetensors.Dtype.F32, c.dtype("targets"));
        assertArrayEquals(new int[] {BATCHES, BATCH, LENGTH, 2}, c.shape("inputs"));
        assertArrayEquals(new int[] {BATCHES, BATCH, 1}, c.shape("targets"));
        assertArrayEquals(floats(concatenated(step, LabStepTest::inputs)), c.floats("inputs"));
        assertArrayEquals(floats(concatenated(step, LabStepTest::targets)), c.floats("targets"));
        assertEquals(task.name(), c.metadata().get("task"));
        assertFalse(c.metadata().containsKey("classes"), "a real target has no classes: " + c.metadata());
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void thePeersOwnReaderGetsBackExactlyWhatUnrollWrote(LongRangeTask task, @TempDir Path dir) throws Exception {
        LabStep step = new LabStep(task, CellType.RNN_TANH, HIDDEN, BATCH, BATCHES, SEED);
        Path file = dir.resolve("lab.safetensors");
        step.writeBatches(file);
        Path script = dir.resolve("pytorch_bench.py");
        try (InputStream in = PythonPeer.class.getResourceAsStream("peers/pytorch_bench.py")) {
            Files.copy(in, script);
        }
        // the reader needs the standard library only, so any Python 3 runs it, with or without torch
        String program = "import json, sys; sys.path.insert(0, sys.argv[1]); import pytorch_bench as p\n"
                + "t = p.read_safetensors(sys.argv[2])\n"
                + "values = {'I32': p.int32_values, 'F32': p.float32_values}\n"
                + "print(json.dumps({k: {'dtype': v[0], 'shape': v[1], 'values': values[v[0]](v).tolist()} for k, v in t.items()}))\n";
        Process python = new ProcessBuilder(PythonPeer.defaultPython(), "-c", program, dir.toString(), file.toString())
                .redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(python.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, python.exitValue(), output);
        JsonNode doc = new ObjectMapper().readTree(output);
        assertEquals(2, doc.size(), output);
        boolean real = task.target() == LongRangeTask.Target.REAL_AT_LAST_STEP;
        for (String name : List.of("inputs", "targets")) {
            JsonNode t = doc.get(name);
            assertEquals(real ? "F32" : "I32", t.get("dtype").asText());
            int[] shape = new int[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).asInt();
            }
            int[] expectedShape = !real ? new int[] {BATCHES, BATCH, task.steps()}
                    : name.equals("inputs") ? new int[] {BATCHES, BATCH, task.steps(), task.inputSize()} : new int[] {BATCHES, BATCH, 1};
            assertArrayEquals(expectedShape, shape, name);
            double[] values = new double[t.get("values").size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = t.get("values").get(i).asDouble();
            }
            // every float32 is a double exactly, and JSON carries a double exactly: no tolerance
            assertArrayEquals(concatenated(step, name.equals("inputs") ? LabStepTest::inputs : LabStepTest::targets), values, name);
        }
    }

    @ParameterizedTest
    @MethodSource("tasksAndCells")
    void theFirstStepsLossIsTheLabModelsLossOnTheFirstBatchComputedDirectly(LongRangeTask task, CellType cell) {
        // the model of the lab command for the task, built and initialised here as the lab command does:
        // PyTorch's default for the stack, then the head uniform in ±1/√H, all from Rng.seeded(seed)
        ParamStore.Builder pb = ParamStore.builder();
        RecurrentConfig config = RecurrentConfig.of(cell, task.inputSize(), HIDDEN, 1);
        TrainableModel model;
        Linear head;
        if (task.target() == LongRangeTask.Target.REAL_AT_LAST_STEP) {
            SequenceRegressor regressor = new SequenceRegressor(pb, config, 1);
            model = regressor;
            head = regressor.head();
        } else {
            SequenceModel tokens = SequenceModel.oneHot(pb, task.inputSize(), config);
            model = tokens;
            head = tokens.head();
        }
        pb.build();
        Rng rng = Rng.seeded(SEED);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        Weights.uniform(head.weight(), 1 / Math.sqrt(HIDDEN), rng);
        Weights.uniform(head.bias(), 1 / Math.sqrt(HIDDEN), rng);
        Batch first = model.newBatch(BATCH, task.steps());
        generator(task).fillBatch(0, first);
        double direct = model.forward(first, null, null);

        LabStep step = new LabStep(task, cell, HIDDEN, BATCH, BATCHES, SEED);
        double loss = step.run();
        assertTrue(Double.isFinite(direct) && direct > 0, "a loss: " + direct);
        assertEquals(direct, loss, "the same model, weights and batch give the same float computation");
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void aStepTrainsOnTheCycledBatches(LongRangeTask task) {
        LabStep step = new LabStep(task, CellType.GRU, 8, BATCH, BATCHES, SEED);
        double first = step.run();
        double later = step.run(60);
        assertTrue(Double.isFinite(first) && Double.isFinite(later), first + " then " + later);
        assertTrue(later < first, "the loss falls on the two batches it keeps seeing: " + first + " then " + later);
    }

    @Test
    void thePeerIsAskedForTheSameModelOnTheFile() {
        Path data = Path.of("/tmp/lab.safetensors");
        Timing timing = Timing.quickTraining();
        PeerProtocol.Request copy = new LabStep(new CopyTask(DELAY), CellType.GRU, HIDDEN, BATCH, BATCHES, SEED)
                .peerRequest(timing, data);
        assertEquals(PeerProtocol.Request.lab("gru", HIDDEN, BATCH, DELAY + 20, 10, 10, SEED, timing, data.toString()), copy);
        assertEquals(PeerProtocol.Request.CLASS_EVERY_STEP, copy.target());
        PeerProtocol.Request signal = new LabStep(new DelayedSignalTask(LENGTH, DELAY), CellType.LSTM, HIDDEN, BATCH, BATCHES, SEED)
                .peerRequest(timing, data);
        assertEquals(PeerProtocol.Request.labReal("lstm", HIDDEN, BATCH, LENGTH, 2, 1, SEED, timing, data.toString()), signal);
        assertEquals(PeerProtocol.Request.REAL_AT_LAST_STEP, signal.target());
    }

    @Test
    void noBatchesOrABatchOutsideTheSetIsRefusedSayingWhatWasExpected() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> new LabStep(new AddingTask(LENGTH), CellType.GRU, HIDDEN, BATCH, 0, SEED));
        assertEquals("the lab step cycles at least 1 batch, got 0", none.getMessage());
        LabStep step = new LabStep(new AddingTask(LENGTH), CellType.GRU, HIDDEN, BATCH, BATCHES, SEED);
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> step.batch(BATCHES));
        assertEquals("batch 2 asked for, expected 0 to 1", outside.getMessage());
    }

    /** The task's own generator, as the lab command draws from it. */
    private static BatchSource generator(LongRangeTask task) {
        return task.target() == LongRangeTask.Target.REAL_AT_LAST_STEP
                ? new RealTargetBatches(task, BATCH, SEED, 1) : new TaskBatches(task, BATCH, SEED, 1);
    }

    /** The inputs of a batch, ids or vectors, as doubles. */
    private static double[] inputs(Batch b) {
        return b.kind() == Batch.Kind.TOKENS ? Arrays.stream(b.tokens()).asDoubleStream().toArray() : doubles(b.inputs());
    }

    /** The targets of a batch, classes or real values, as doubles. */
    private static double[] targets(Batch b) {
        return b.kind() == Batch.Kind.TOKENS ? Arrays.stream(b.classTargets()).asDoubleStream().toArray() : doubles(b.realTargets());
    }

    /** One part of every batch of the step, batch after batch: {@code [N, ...]}. */
    private static double[] concatenated(LabStep step, Function<Batch, double[]> part) {
        return IntStream.range(0, step.batches()).mapToObj(k -> part.apply(step.batch(k)))
                .flatMapToDouble(Arrays::stream).toArray();
    }

    private static double[] doubles(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }

    private static float[] floats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }
}
