package io.unroll.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.flow.FlowTelemetry;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.stream.StreamPool;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.BatchSource;
import io.unroll.train.Clipping;
import io.unroll.train.Init;
import io.unroll.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Once warm, a whole training step (embedding, recurrent forward, head, cross-entropy, BPTT,
 * clipping, Adam) allocates nothing: the workspaces are sized once and reused. Measured with the
 * JVM's per-thread allocation counter, which is exact, so this is a deterministic assertion.
 */
class NoAllocationTest {
    @ParameterizedTest
    @EnumSource(CellType.class)
    void aWarmTrainingStepAllocatesNothing(CellType cell) {
        Fixture f = Fixture.of(cell, 1);
        SequenceModel model = f.model();
        ParamStore params = f.params();
        int[] tokens = f.tokens();
        int[] targets = f.targets();
        int batch = Fixture.BATCH;
        int steps = Fixture.STEPS;
        Adam adam = Adam.adam(1e-3);
        double first = step(model, params, adam, tokens, targets, batch, steps);
        for (int i = 0; i < 1500; i++) {
            step(model, params, adam, tokens, targets, batch, steps);
        }
        // once warm: the best of windows of 20 steps, looking for up to 20 s
        double[] last = new double[1];
        long fewest = WarmAllocation.fewestBytesPerWindow(
                () -> last[0] = step(model, params, adam, tokens, targets, batch, steps), 20, 20);
        assertEquals(0, fewest, "bytes allocated by the best window of 20 warm training steps");
        assertTrue(last[0] < first, "the steps trained: loss " + first + " -> " + last[0]);
    }

    /**
     * The adding problem's shape, a regressor on 2 inputs: its weight gradient {@code dGatesᵀX} has
     * fewer columns than a vector has lanes and takes the kernels' column-tail path, which the
     * embedded models above (8 inputs) never reach.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void aWarmRegressorStepOnTwoInputsAllocatesNothing(CellType cell) {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceRegressor model = new SequenceRegressor(pb, RecurrentConfig.of(cell, 2, 24, 1), 1);
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(3);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        int batch = 40, steps = 12;
        float[] inputs = new float[batch * steps * 2];
        float[] targets = new float[batch];
        rng.fillGaussian(inputs, 0, inputs.length, 0.5);
        rng.fillGaussian(targets, 0, targets.length, 0.5);
        Adam adam = Adam.adam(1e-3);
        Runnable step = () -> {
            params.zeroGrads();
            model.forward(inputs, targets, batch, steps, null);
            model.backward();
            Clipping.clipByGlobalNorm(params, 5.0);
            adam.step(params);
        };
        for (int i = 0; i < 1500; i++) {
            step.run();
        }
        long fewest = WarmAllocation.fewestBytesPerWindow(step, 20, 20);
        assertEquals(0, fewest, "bytes allocated by the best window of 20 warm regressor steps");
    }

    /**
     * With gradient-flow telemetry sampling and replaying every step (its most expensive setting),
     * a warm training step still allocates nothing: the telemetry's buffers are sized on its first
     * sample and its records are built only when asked for.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void aWarmTrainingStepWithTelemetryOnEveryStepAllocatesNothing(CellType cell) {
        Fixture f = Fixture.of(cell, 3);
        SequenceModel model = f.model();
        ParamStore params = f.params();
        int[] tokens = f.tokens();
        int[] targets = f.targets();
        int batch = Fixture.BATCH;
        int steps = Fixture.STEPS;
        Adam adam = Adam.adam(1e-3);
        FlowTelemetry telemetry = FlowTelemetry.builder().every(1).replayEvery(1).build();
        telemetry.attach(model.rnn(), params, 5.0);
        long[] step = {0};
        Runnable train = () -> {
            telemetry.beginStep(++step[0]);
            params.zeroGrads();
            double loss = model.forward(tokens, targets, null, batch, steps, null);
            model.backward(telemetry.backwardObserver(0));
            telemetry.afterBackward(0);
            telemetry.onWindow(0, loss, Clipping.clipByGlobalNorm(params, 5.0));
            adam.step(params);
        };
        for (int i = 0; i < 1500; i++) {
            train.run();
        }
        long fewest = WarmAllocation.fewestBytesPerWindow(train, 20, 20);
        assertEquals(0, fewest, "bytes allocated by the best window of 20 warm training steps with telemetry");
        assertEquals(step[0], telemetry.latest().step(), "every step was sampled");
        assertTrue(telemetry.latest().layers().get(1).lastLossNorms() != null, "and replayed");
    }

    /**
     * The same through a {@link TrainingRun} (truncated BPTT in two windows, clipping, telemetry on
     * every step): the run's own loop allocates nothing once warm but the report it returns.
     */
    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_TANH", "LSTM", "GRU"})
    void aWarmTrainingRunStepWithTelemetryAllocatesOnlyItsReport(CellType cell) {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, 7, RecurrentConfig.of(cell, 8, 24, 1));
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(4);
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        Weights.uniform(model.head().weight(), 0.2, rng);
        FlowTelemetry telemetry = FlowTelemetry.builder().every(1).replayEvery(1).build();
        TrainingRun run = TrainingRun.builder().model(model, params).optimizer(Adam.adam(1e-3)).rng(rng)
                .data(new RandomTokens(4, 16, 7)).tbptt(8).clip(5.0).telemetry(telemetry).build();
        TrainingRun.StepReport[] last = new TrainingRun.StepReport[1];
        Runnable train = () -> last[0] = run.trainStep();
        for (int i = 0; i < 1500; i++) {
            train.run();
        }
        TrainingRun.StepReport[] reports = new TrainingRun.StepReport[20];
        long reportBytes = WarmAllocation.bytes(() -> {
            for (int i = 0; i < reports.length; i++) {
                reports[i] = new TrainingRun.StepReport(i, 1, 1, 1, 1, 0, 1);
            }
        });
        long fewest = WarmAllocation.fewestBytesPerWindow(train, 20, 20, reportBytes);
        assertEquals(reportBytes, fewest, "bytes allocated by the best window of 20 warm steps: their 20 reports");
        assertEquals(run.step(), telemetry.latest().step());
    }

    /** A two-layer embedded model of {@code cell} initialised from {@code seed}, with one batch of random tokens and targets. */
    private record Fixture(SequenceModel model, ParamStore params, int[] tokens, int[] targets) {
        static final int VOCABULARY = 11;
        static final int BATCH = 4;
        static final int STEPS = 16;

        static Fixture of(CellType cell, long seed) {
            ParamStore.Builder pb = ParamStore.builder();
            SequenceModel model = SequenceModel.embedded(pb, VOCABULARY, RecurrentConfig.of(cell, 8, 24, 2));
            ParamStore params = pb.build();
            Rng rng = Rng.seeded(seed);
            Weights.gaussian(model.embedding().weight(), 1.0, rng);
            Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
            Weights.uniform(model.head().weight(), 0.2, rng);
            int[] tokens = new int[BATCH * STEPS];
            int[] targets = new int[BATCH * STEPS];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = rng.nextInt(VOCABULARY);
                targets[i] = rng.nextInt(VOCABULARY);
            }
            return new Fixture(model, params, tokens, targets);
        }
    }

    /** Random tokens, new sequences at every step. */
    private record RandomTokens(int batchSize, int sequenceLength, int vocabulary) implements BatchSource {
        @Override
        public Batch.Kind batchKind() {
            return Batch.Kind.TOKENS;
        }

        @Override
        public long stepsPerEpoch() {
            return 1000;
        }

        @Override
        public boolean fillBatch(long step, Batch into) {
            int[] inputs = into.tokens();
            int[] targets = into.classTargets();
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = (int) ((step * 31 + i * 7) % vocabulary);
                targets[i] = (int) ((step * 17 + i * 5 + 3) % vocabulary);
            }
            return true;
        }

        @Override
        public boolean hasValidationData() {
            return false;
        }

        @Override
        public double validationLoss(TrainableModel model) {
            return Double.NaN;
        }
    }

    /**
     * Once warm, a stream pool step allocates nothing either, whatever mix of batch sizes it is
     * stepped with: each size class has its workspace, and the caller owns the output.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void aWarmStreamPoolStepAllocatesNothingAcrossBatchSizes(CellType cell) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, 6, 24, 2));
        pb.build();
        Rng rng = Rng.seeded(2);
        Init.apply(rnn, InitScheme.PYTORCH, rng);
        StreamPool<String> pool = new StreamPool<>(rnn);
        int[] sizes = {1, 3, 7, 16, 33, 64, 5, 48, 2, 17};
        List<String> names = new ArrayList<>();
        for (int k = 0; k < 64; k++) {
            names.add("stream-" + k);
        }
        List<List<String>> groups = new ArrayList<>();
        float[][] inputs = new float[sizes.length][];
        float[][] outputs = new float[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            int first = (i * 7) % (names.size() - sizes[i] + 1);
            groups.add(List.copyOf(names.subList(first, first + sizes[i])));
            inputs[i] = new float[sizes[i] * 6];
            rng.fillGaussian(inputs[i], 0, inputs[i].length, 0.5);
            outputs[i] = new float[sizes[i] * 24];
        }
        Runnable tick = () -> {
            for (int i = 0; i < sizes.length; i++) {
                pool.step(groups.get(i), inputs[i], outputs[i]);
            }
        };
        for (int i = 0; i < 300; i++) {
            tick.run();
        }
        long fewest = WarmAllocation.fewestBytesPerWindow(tick, 10, 20);
        assertEquals(0, fewest, "bytes allocated by the best window of 10 warm ticks of " + sizes.length + " pool steps");
        assertEquals(64, pool.size());
    }

    private static double step(SequenceModel model, ParamStore params, Adam adam, int[] tokens, int[] targets, int batch, int steps) {
        params.zeroGrads();
        double loss = model.forward(tokens, targets, null, batch, steps, null);
        model.backward();
        Clipping.clipByGlobalNorm(params, 5.0);
        adam.step(params);
        return loss;
    }
}
