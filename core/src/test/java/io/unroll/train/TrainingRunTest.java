package io.unroll.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.io.Checkpoint;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.StepObserver;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TrainingRun} on a tiny task of its own: the run's loop, validations, checkpoints, stop, divergence and resume. */
class TrainingRunTest {
    private static final int V = 5;
    private static final int B = 2;
    private static final int T = 6;

    /**
     * Counting modulo V: the next token is the current one plus one. Sequence b of step s starts at
     * {@code (s·T + 3b) mod V}; every third step starts new sequences. Validation scores two fixed ones.
     */
    static class Counting implements BatchSource {
        final List<Long> asked = new ArrayList<>();

        @Override
        public int batchSize() {
            return B;
        }

        @Override
        public int sequenceLength() {
            return T;
        }

        @Override
        public Batch.Kind batchKind() {
            return Batch.Kind.TOKENS;
        }

        @Override
        public long stepsPerEpoch() {
            return 3;
        }

        @Override
        public boolean fillBatch(long step, Batch into) {
            int[] inputs = into.tokens();
            int[] targets = into.classTargets();
            asked.add(step);
            for (int b = 0; b < B; b++) {
                int start = (int) ((step * T + 3L * b) % V);
                for (int t = 0; t < T; t++) {
                    inputs[b * T + t] = (start + t) % V;
                    targets[b * T + t] = (start + t + 1) % V;
                }
            }
            return step % 3 == 0;
        }

        @Override
        public boolean hasValidationData() {
            return true;
        }

        @Override
        public double validationLoss(TrainableModel model) {
            int[] inputs = new int[B * T];
            int[] targets = new int[B * T];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = (i + 1) % V;
                targets[i] = (i + 2) % V;
            }
            return ((SequenceModel) model).forward(inputs, targets, null, B, T, null);
        }
    }

    /** Records everything a listener is told. */
    static final class Recorder implements TrainingRun.Listener {
        final List<TrainingRun.StepReport> steps = new ArrayList<>();
        final List<TrainingRun.Pace> paces = new ArrayList<>();
        final List<TrainingRun.Validation> validations = new ArrayList<>();
        final List<String> checkpoints = new ArrayList<>();

        @Override
        public void onStep(TrainingRun.StepReport report, TrainingRun.Pace pace) {
            steps.add(report);
            paces.add(pace);
        }

        @Override
        public void onValidation(TrainingRun.Validation validation) {
            validations.add(validation);
        }

        @Override
        public void onCheckpoint(long step, Path file) {
            checkpoints.add(step + ":" + file.getFileName());
        }
    }

    private static TrainingRun newRun(Counting data) {
        return newRun(data, CellType.GRU);
    }

    private static TrainingRun newRun(Counting data, CellType cell) {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, V, RecurrentConfig.of(cell, 4, 8, 1));
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(3);
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        Weights.uniform(model.head().weight(), 0.3, rng);
        return TrainingRun.builder().model(model, params).optimizer(Adam.adam(0.05)).rng(rng).data(data).tbptt(3).clip(1.0)
                .taskInfo(Map.of("task", "counting")).build();
    }

    private static TrainingRun resumed(Path checkpoint, Counting data) throws IOException {
        return TrainingRun.builder().resumeFrom(Checkpoint.load(checkpoint)).data(data).tbptt(3).clip(1.0)
                .taskInfo(Map.of("task", "counting")).build();
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aRunTrainsToItsTargetValidatingAndSavingAsPlanned(@TempDir Path dir) throws Exception {
        Counting data = new Counting();
        TrainingRun run = newRun(data);
        Recorder recorder = new Recorder();
        TrainingRun.Result result = run.run(TrainingRun.Plan.to(7).validateEvery(3).checkpointsIn(dir).listener(recorder).build());

        assertEquals(TrainingRun.Outcome.COMPLETED, result.outcome());
        assertEquals(0, result.startStep());
        assertEquals(7, result.step());
        assertEquals(7, run.step());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), data.asked, "every step asks for its own batch, once");
        assertEquals(7, recorder.steps.size());
        for (int i = 0; i < 7; i++) {
            TrainingRun.StepReport r = recorder.steps.get(i);
            assertEquals(i + 1, r.step());
            assertEquals(r.loss() / Math.log(2), r.bitsPerToken(), 1e-12);
            assertTrue(r.postClipNorm() <= 1.0 + 1e-9 && r.postClipNorm() <= r.preClipNorm(), r.toString());
            assertTrue(r.clippedWindows() >= 0 && r.clippedWindows() <= 2, "two windows of 3 per step: " + r);
            assertTrue(r.seconds() > 0, r.toString());
            TrainingRun.Pace pace = recorder.paces.get(i);
            assertTrue(pace.secondsPerStep() > 0 && pace.tokensPerSecond() > 0 && pace.secondsLeft() >= 0, pace.toString());
            assertEquals(B * T / pace.secondsPerStep(), pace.tokensPerSecond(), 1e-6 * pace.tokensPerSecond());
        }
        assertEquals(recorder.steps.get(6), result.last());
        assertNull(result.diverged());

        // validations every 3 steps and at the end, each with its checkpoint and latest
        assertEquals(List.of(3L, 6L, 7L), recorder.validations.stream().map(TrainingRun.Validation::step).toList());
        assertEquals(recorder.validations, result.validations());
        List<String> named = new ArrayList<>();
        for (TrainingRun.Validation v : result.validations()) {
            String name = String.format(java.util.Locale.ROOT, "step-%06d-val-%.4f.safetensors", v.step(), v.loss());
            assertEquals(dir.resolve(name), v.checkpoint());
            assertEquals(recorder.steps.get((int) v.step() - 1).loss(), v.trainLoss());
            assertEquals(v.step() / 3.0, v.epoch(), 1e-12);
            named.add(name);
        }
        assertEquals(List.of("3:" + named.get(0), "3:latest.safetensors", "6:" + named.get(1), "6:latest.safetensors",
                "7:" + named.get(2), "7:latest.safetensors"), recorder.checkpoints);
        List<String> expectedFiles = new ArrayList<>(named);
        expectedFiles.add(CheckpointDirectory.LATEST);
        expectedFiles.sort(null);
        assertEquals(expectedFiles, listing(dir));
        assertEquals(dir.resolve(CheckpointDirectory.LATEST), result.latest());
        assertTrue(result.validations().get(2).loss() < result.validations().get(0).loss(), "counting is learned: " + result.validations());
        assertEquals(result.validations().get(2), result.best());
        assertEquals(result.validations().get(2).checkpoint(), result.lastGoodCheckpoint());

        Checkpoint.Loaded latest = Checkpoint.load(result.latest());
        assertEquals(7, latest.training().step());
        assertEquals("counting", latest.metadata().get("task"), "the task's entries come first");
        assertEquals("7", latest.metadata().get("target_steps"));
        assertArrayEquals(run.params().values(), latest.params().values());
        assertTrue(result.trainingSeconds() > 0);
    }

    @Test
    void resumingFromLatestGivesTheWeightsAndTheCheckpointOfOneUninterruptedRun(@TempDir Path dir) throws Exception {
        Path once = dir.resolve("once");
        Path twice = dir.resolve("twice");
        TrainingRun straight = newRun(new Counting());
        straight.run(TrainingRun.Plan.to(8).validateEvery(4).checkpointsIn(once).build());
        newRun(new Counting()).run(TrainingRun.Plan.to(4).validateEvery(4).checkpointsIn(twice).build());

        Counting data = new Counting();
        TrainingRun second = resumed(twice.resolve(CheckpointDirectory.LATEST), data);
        assertTrue(second.resumed());
        assertEquals(4, second.step());
        TrainingRun.Result result = second.run(TrainingRun.Plan.to(8).validateEvery(4).checkpointsIn(twice).build());
        assertEquals(4, result.startStep());
        assertEquals(List.of(4L, 5L, 6L, 7L), data.asked, "the resumed run asks for the batches from step 4 on");
        assertArrayEquals(straight.params().values(), second.params().values());
        assertArrayEquals(Files.readAllBytes(once.resolve(CheckpointDirectory.LATEST)),
                Files.readAllBytes(twice.resolve(CheckpointDirectory.LATEST)), "byte for byte the same checkpoint");
    }

    @Test
    void aStopRequestFromAnotherThreadEndsTheRunAtTheNextStepWithLatestSaved(@TempDir Path dir) throws Exception {
        TrainingRun run = newRun(new Counting());
        Recorder recorder = new Recorder();
        TrainingRun.Listener stopAtTwo = new TrainingRun.Listener() {
            @Override
            public void onStep(TrainingRun.StepReport report, TrainingRun.Pace pace) {
                if (report.step() == 2) {
                    Thread stopper = new Thread(run::requestStop, "stopper");
                    stopper.start();
                    try {
                        stopper.join();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        };
        TrainingRun.Plan plan = TrainingRun.Plan.to(100).validateEvery(2).checkpointsIn(dir).listener(recorder)
                .listener(stopAtTwo).build();
        TrainingRun.Result result = run.run(plan);

        assertEquals(TrainingRun.Outcome.STOPPED, result.outcome());
        assertEquals(2, result.step());
        assertEquals(2, recorder.steps.size());
        assertEquals(List.of(), result.validations(), "a stop skips the validation due at the step it came in");
        assertEquals(List.of("2:latest.safetensors"), recorder.checkpoints);
        assertEquals(List.of(CheckpointDirectory.LATEST), listing(dir));
        Checkpoint.Loaded latest = Checkpoint.load(dir.resolve(CheckpointDirectory.LATEST));
        assertEquals(2, latest.training().step());
        assertFalse(latest.metadata().containsKey("val_loss"));
        assertEquals("100", latest.metadata().get("target_steps"));

        // the request was consumed: the same run goes on, and ends where an uninterrupted one does
        TrainingRun.Result rest = run.run(TrainingRun.Plan.to(5).validateEvery(2).checkpointsIn(dir).build());
        assertEquals(TrainingRun.Outcome.COMPLETED, rest.outcome());
        TrainingRun straight = newRun(new Counting());
        straight.run(TrainingRun.Plan.to(5).validateEvery(2).build());
        assertArrayEquals(straight.params().values(), run.params().values());

        // a request made before run() stops it before its first step
        run.requestStop();
        TrainingRun.Result none = run.run(TrainingRun.Plan.to(9).checkpointsIn(dir).build());
        assertEquals(TrainingRun.Outcome.STOPPED, none.outcome());
        assertEquals(5, none.step());
        assertNull(none.last());
    }

    @Test
    void aNonFiniteLossEndsTheRunWithoutSavingAndNamesTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        TrainingRun run = newRun(new Counting(), CellType.RNN_RELU);
        Recorder recorder = new Recorder();
        TrainingRun.Listener explodeAtFour = new TrainingRun.Listener() {
            @Override
            public void onStep(TrainingRun.StepReport report, TrainingRun.Pace pace) {
                if (report.step() == 4) {
                    // a relu RNN whose W_hh multiplies h by 1e21 a step: h overflows to infinity in the first
                    // window of step 5, and the state carried into its second window is not finite
                    Param whh = run.model().rnn().weightHh(0);
                    Arrays.fill(whh.data(), whh.offset(), whh.offset() + whh.size(), 1e20f);
                }
            }
        };
        TrainingRun.Result result = run.run(TrainingRun.Plan.to(10).validateEvery(3).checkpointsIn(dir)
                .listener(recorder).listener(explodeAtFour).build());

        assertEquals(TrainingRun.Outcome.DIVERGED, result.outcome());
        assertNotNull(result.diverged());
        assertEquals(5, result.diverged().step());
        assertFalse(result.diverged().validation());
        assertTrue(Double.isNaN(result.diverged().loss()), result.diverged().toString());
        assertTrue(Double.isNaN(result.diverged().preClipNorm()), "no gradient was taken: " + result.diverged());
        assertEquals(4, result.last().step(), "the last finite step");
        assertEquals(4, recorder.steps.size(), "listeners never see the non-finite step");
        String good = String.format(java.util.Locale.ROOT, "step-000003-val-%.4f.safetensors", result.validations().get(0).loss());
        assertEquals(dir.resolve(good), result.lastGoodCheckpoint());
        assertEquals(List.of(CheckpointDirectory.LATEST, good), listing(dir), "nothing saved after step 3");
        Checkpoint.Loaded latest = Checkpoint.load(dir.resolve(CheckpointDirectory.LATEST));
        assertEquals(3, latest.training().step());
        assertTrue(latest.params().get("rnn.weight_hh_l0").copyValues()[0] < 1, "the saved weights are the good ones");
    }

    @Test
    void aValidationLossThatIsNotFiniteIsADivergenceToo(@TempDir Path dir) throws Exception {
        Counting overflowsAtSix = new Counting() {
            @Override
            public double validationLoss(TrainableModel model) {
                return asked.size() == 6 ? Double.POSITIVE_INFINITY : super.validationLoss(model);
            }
        };
        TrainingRun run = newRun(overflowsAtSix);
        Recorder recorder = new Recorder();
        TrainingRun.Result result = run.run(TrainingRun.Plan.to(10).validateEvery(3).checkpointsIn(dir).listener(recorder).build());
        assertEquals(TrainingRun.Outcome.DIVERGED, result.outcome());
        assertEquals(new TrainingRun.Divergence(6, Double.POSITIVE_INFINITY, result.last().preClipNorm(), true), result.diverged());
        assertEquals(6, result.last().step(), "the step itself was finite");
        assertEquals(List.of(3L), recorder.validations.stream().map(TrainingRun.Validation::step).toList());
        assertEquals(result.validations().get(0).checkpoint(), result.lastGoodCheckpoint());
        assertEquals(3, Checkpoint.load(dir.resolve(CheckpointDirectory.LATEST)).training().step());
        assertEquals(2, listing(dir).size(), listing(dir).toString());
    }

    @Test
    void aNewRunRefusesADirectoryWithCheckpointsUnlessItResumesOrMayOverwrite(@TempDir Path dir) throws Exception {
        Path occupied = Files.createDirectories(dir.resolve("occupied"));
        newRun(new Counting()).run(TrainingRun.Plan.to(2).validateEvery(1).checkpointsIn(occupied).build());
        List<String> before = listing(occupied);
        assertEquals(3, before.size(), before.toString());
        byte[] latestBefore = Files.readAllBytes(occupied.resolve(CheckpointDirectory.LATEST));

        CheckpointDirectory.OccupiedException e = assertThrows(CheckpointDirectory.OccupiedException.class,
                () -> newRun(new Counting()).run(TrainingRun.Plan.to(2).checkpointsIn(occupied).build()));
        assertEquals(before, e.checkpoints());
        assertEquals(occupied, e.directory());
        assertTrue(e.getMessage().startsWith(occupied + " already holds 3 checkpoints (latest.safetensors, step-000001-val-"),
                e.getMessage());
        assertFalse(e.getMessage().contains("--"), "a library message names no command-line option: " + e.getMessage());
        assertArrayEquals(latestBefore, Files.readAllBytes(occupied.resolve(CheckpointDirectory.LATEST)), "nothing was written");

        TrainingRun.Result forced = newRun(new Counting())
                .run(TrainingRun.Plan.to(1).checkpointsIn(occupied).overwrite(true).build());
        assertEquals(TrainingRun.Outcome.COMPLETED, forced.outcome());
        assertEquals(1, Checkpoint.load(occupied.resolve(CheckpointDirectory.LATEST)).training().step());

        TrainingRun again = resumed(occupied.resolve(CheckpointDirectory.LATEST), new Counting());
        assertEquals(TrainingRun.Outcome.COMPLETED, again.run(TrainingRun.Plan.to(2).checkpointsIn(occupied).build()).outcome());

        Path file = Files.writeString(dir.resolve("a-file"), "x");
        IllegalArgumentException notADirectory = assertThrows(IllegalArgumentException.class,
                () -> newRun(new Counting()).run(TrainingRun.Plan.to(2).checkpointsIn(file).build()));
        assertEquals(file + " is a file, expected a directory for the checkpoints", notADirectory.getMessage());
        IllegalArgumentException underAFile = assertThrows(IllegalArgumentException.class,
                () -> newRun(new Counting()).run(TrainingRun.Plan.to(2).checkpointsIn(file.resolve("under")).build()));
        assertTrue(underAFile.getMessage().startsWith(file.resolve("under") + " cannot be created: "), underAFile.getMessage());
    }

    @Test
    void withoutADirectoryNothingIsSavedAndTheTargetMustLieAhead() throws Exception {
        TrainingRun run = newRun(new Counting());
        Recorder recorder = new Recorder();
        TrainingRun.Result result = run.run(TrainingRun.Plan.to(4).validateEvery(2).listener(recorder).build());
        assertEquals(List.of(2L, 4L), result.validations().stream().map(TrainingRun.Validation::step).toList());
        assertNull(result.validations().get(0).checkpoint());
        assertNull(result.latest());
        assertEquals(List.of(), recorder.checkpoints);

        IllegalArgumentException reached = assertThrows(IllegalArgumentException.class,
                () -> run.run(TrainingRun.Plan.to(4).build()));
        assertEquals("the run is at step 4, already at the target of 4 steps; set a later target", reached.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingRun.Plan.to(0).build());
        IllegalArgumentException every = assertThrows(IllegalArgumentException.class,
                () -> TrainingRun.Plan.to(5).validateEvery(0).build());
        assertTrue(every.getMessage().contains("validation interval"), every.getMessage());
        assertEquals(6, run.stepsFor(2.0));
        assertEquals(1, run.stepsFor(0.01));
        assertEquals(4.0 / 3, run.epoch(4), 1e-12);
        assertEquals(B * T, run.tokensPerStep());
    }

    /** Logs every call a run makes to its telemetry, and counts the steps its observer sees. */
    static final class TelemetryLog implements TrainingRun.Telemetry {
        final List<String> calls = new ArrayList<>();
        int observed;

        @Override
        public void attach(Recurrent rnn, ParamStore params, double maxNorm) {
            calls.add("attach " + rnn.config().cell().id() + " " + params.size() + " " + maxNorm);
        }

        @Override
        public void beginStep(long step) {
            calls.add("begin " + step);
        }

        @Override
        public StepObserver backwardObserver(int window) {
            calls.add("observer " + window);
            return (layer, t, dh, dc, batch, hidden) -> observed++;
        }

        @Override
        public void afterBackward(int window) {
            calls.add("after " + window);
        }

        @Override
        public void onWindow(int window, double loss, double preClipNorm) {
            calls.add("window " + window + (Double.isFinite(loss) && Double.isFinite(preClipNorm) ? "" : " not finite"));
        }
    }

    @Test
    void aTelemetryIsCalledInsideEveryWindowOfEveryStep() throws Exception {
        TelemetryLog log = new TelemetryLog();
        TrainingRun run = TrainingRun.builder().model(newRun(new Counting()).model(), newRun(new Counting()).params())
                .optimizer(Adam.adam(0.05)).rng(Rng.seeded(3)).data(new Counting()).tbptt(3).clip(1.0).telemetry(log).build();
        run.run(TrainingRun.Plan.to(2).build());
        List<String> step = List.of("observer 0", "after 0", "window 0", "observer 1", "after 1", "window 1");
        List<String> expected = new ArrayList<>(List.of("attach gru " + run.params().size() + " 1.0", "begin 1"));
        expected.addAll(step);
        expected.add("begin 2");
        expected.addAll(step);
        assertEquals(expected, log.calls);
        assertEquals(2 * 2 * 3, log.observed, "each observer sees its window's 3 steps of the one layer");
    }

    @Test
    void aWindowWhoseLossIsNotFiniteReachesTheTelemetryWithoutABackward() throws Exception {
        TelemetryLog log = new TelemetryLog();
        TrainingRun model = newRun(new Counting(), CellType.RNN_RELU);
        TrainingRun run = TrainingRun.builder().model(model.model(), model.params()).optimizer(Adam.adam(0.05))
                .rng(Rng.seeded(3)).data(new Counting()).tbptt(3).clip(1.0).telemetry(log).build();
        Param whh = run.model().rnn().weightHh(0);
        Arrays.fill(whh.data(), whh.offset(), whh.offset() + whh.size(), Float.NaN);
        TrainingRun.Result result = run.run(TrainingRun.Plan.to(3).build());
        assertEquals(TrainingRun.Outcome.DIVERGED, result.outcome());
        assertEquals(List.of("attach rnn_relu " + run.params().size() + " 1.0", "begin 1", "window 0 not finite"), log.calls);
    }

    @Test
    void aRunNeedsItsPartsAndNamesTheMissingOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRun.builder().data(new Counting()).build());
        assertTrue(e.getMessage().endsWith("missing: model, optimizer, random stream"), e.getMessage());
    }

    @Test
    void checkpointNamesCarryTheStepAndTheValidationLoss() {
        assertEquals("step-000400-val-1.8123.safetensors", CheckpointDirectory.validationFileName(400, 1.81234));
        assertEquals("step-1234567-val-0.0000.safetensors", CheckpointDirectory.validationFileName(1234567, 0));
        assertEquals("step-000007.safetensors", CheckpointDirectory.validationFileName(7, Double.NaN));
        assertEquals("5 checkpoints (a, b, c, ...)", CheckpointDirectory.OccupiedException.describe(List.of("a", "b", "c", "d", "e")));
        assertEquals("1 checkpoint (a)", CheckpointDirectory.OccupiedException.describe(List.of("a")));
    }
}
