package io.unroll.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.SequenceRegressor;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TruncatedBpttTest {
    private static final int V = 7;
    private static final int B = 3;

    private record Setup(SequenceModel model, ParamStore params) {}

    private static Setup setup(CellType cell) {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, V, RecurrentConfig.of(cell, 4, 6, 2));
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(12);
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        Weights.uniform(model.head().weight(), 0.4, rng);
        return new Setup(model, params);
    }

    private static long retainedHeap() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static int[] ids(long seed, int n) {
        Rng rng = Rng.seeded(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextInt(V);
        }
        return a;
    }

    private static int[] chunk(int[] a, int steps, int start, int n) {
        int[] out = new int[B * n];
        for (int b = 0; b < B; b++) {
            System.arraycopy(a, b * steps + start, out, b * n, n);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void aWindowOfAtLeastTIsExactlyFullBptt(CellType cell) {
        int steps = 9;
        for (int window : new int[] {steps, steps + 5}) {
            Setup tbptt = setup(cell);
            Setup full = setup(cell);
            TruncatedBptt trainer = new TruncatedBptt(tbptt.model(), tbptt.params(), Adam.adam(0.01), B, window, 1.0);
            Adam adam = Adam.adam(0.01);
            State carried = null;
            for (int call = 0; call < 3; call++) {
                int[] x = ids(call, B * steps);
                int[] y = ids(100 + call, B * steps);
                trainer.train(x, y, steps, (c, loss, norm) -> { });
                full.params().zeroGrads();
                full.model().forward(x, y, null, B, steps, carried);
                full.model().backward();
                Clipping.clipByGlobalNorm(full.params(), 1.0);
                carried = full.model().finalState().copy();
                adam.step(full.params());
            }
            assertArrayEquals(full.params().values(), tbptt.params().values(), cell + " window " + window);
            assertEquals(3, trainer.chunks());
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void chunksStartFromTheCarriedStateValuesAndCutTheGradientAtTheBoundary(CellType cell) {
        int steps = 10;
        int window = 4;                       // chunks of 4, 4 and a padded 2
        Setup tbptt = setup(cell);
        Setup manual = setup(cell);
        int[] x = ids(5, B * steps);
        int[] y = ids(6, B * steps);
        double[] losses = new double[3];
        TruncatedBptt trainer = new TruncatedBptt(tbptt.model(), tbptt.params(), new Sgd(0.3), B, window, 5.0);
        trainer.train(x, y, steps, (c, loss, norm) -> losses[(int) c] = loss);

        Sgd sgd = new Sgd(0.3);
        State carried = null;
        for (int c = 0, start = 0; start < steps; c++, start += window) {
            int n = Math.min(window, steps - start);
            manual.params().zeroGrads();
            double loss = manual.model().forward(chunk(x, steps, start, n), chunk(y, steps, start, n), null, B, n, carried);
            manual.model().backward();
            Clipping.clipByGlobalNorm(manual.params(), 5.0);
            carried = manual.model().finalState().copy();
            sgd.step(manual.params());
            assertEquals(loss, losses[c], 1e-6, "chunk " + c);
        }
        float[] expected = manual.params().values();
        float[] actual = tbptt.params().values();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f + 1e-5f * Math.abs(expected[i]), "parameter value " + i);
        }
        State state = trainer.state();
        for (int i = 0; i < state.h().length; i++) {
            assertEquals(carried.h()[i], state.h()[i], 1e-5f, "carried h " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void memoryIsConstantOverAThousandChunks(CellType cell) {
        Setup s = setup(cell);
        int window = 5;
        int steps = 10 * window + 3;          // ten full chunks and a padded one per call
        TruncatedBptt trainer = new TruncatedBptt(s.model(), s.params(), Adam.adam(1e-3), B, window, 5.0);
        int[] x = ids(1, B * steps);
        int[] y = ids(2, B * steps);
        double[] last = new double[1];
        TruncatedBptt.ChunkListener listener = (c, loss, norm) -> last[0] = loss;
        for (int i = 0; i < 300; i++) {
            trainer.train(x, y, steps, listener);
        }
        long stored = s.model().rnn().storedFloats();
        long retainedBefore = retainedHeap();
        long chunksBefore = trainer.chunks();
        while (trainer.chunks() - chunksBefore < 1000) {
            trainer.train(x, y, steps, listener);
        }
        long retainedAfter = retainedHeap();
        // what survives a full collection does not grow with the chunks (1 MiB of slack for the
        // JIT's and the test framework's own bookkeeping); NoAllocationTest shows a warm step
        // allocates nothing at all
        assertTrue(retainedAfter - retainedBefore < (1 << 20), "retained heap grew from " + retainedBefore
                + " to " + retainedAfter + " bytes over " + (trainer.chunks() - chunksBefore) + " chunks");
        assertEquals(stored, s.model().rnn().storedFloats(), "floats stored for backward");
        assertTrue(Double.isFinite(last[0]));
    }

    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_RELU"})
    void aChunkThatIsNotFiniteEndsTheBatchWithoutAnUpdate(CellType cell) {
        Setup s = setup(cell);
        // W_hh multiplies h by about 1e21 a step: the first chunk overflows, and the state it would carry is infinite
        java.util.Arrays.fill(s.params().values(), s.model().rnn().weightHh(0).offset(),
                s.model().rnn().weightHh(0).offset() + s.model().rnn().weightHh(0).size(), 1e20f);
        float[] before = s.params().values().clone();
        TruncatedBptt trainer = new TruncatedBptt(s.model(), s.params(), Adam.adam(0.01), B, 4, 1.0);
        java.util.List<Double> losses = new java.util.ArrayList<>();
        double loss = trainer.train(ids(1, B * 12), ids(2, B * 12), 12, (c, l, norm) -> losses.add(l));
        assertEquals(1, losses.size(), "one chunk of three, then the batch ends");
        assertTrue(Double.isNaN(loss) || Double.isInfinite(loss), "the batch's loss is the chunk's: " + loss);
        assertArrayEquals(before, s.params().values(), "no update from a chunk that is not finite");
        assertEquals(1, trainer.chunks());
    }

    /**
     * A model with a loss at the last step only trains with full BPTT: a window of T or more is
     * exactly forward, backward, clip and update on the whole batch; a shorter one is refused before
     * anything changes.
     */
    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_TANH", "LSTM", "GRU"})
    void aLastStepLossTrainsWithFullBpttAndRefusesAShorterWindow(CellType cell) {
        int steps = 6;
        SequenceRegressor[] models = new SequenceRegressor[2];
        ParamStore[] stores = new ParamStore[2];
        for (int m = 0; m < 2; m++) {
            ParamStore.Builder pb = ParamStore.builder();
            models[m] = new SequenceRegressor(pb, RecurrentConfig.of(cell, 2, 5, 1), 1);
            stores[m] = pb.build();
            Rng rng = Rng.seeded(21);
            Init.apply(models[m].rnn(), InitScheme.PYTORCH, rng);
            Weights.uniform(models[m].head().weight(), 0.4, rng);
        }
        Batch batch = models[0].newBatch(B, steps);
        Rng data = Rng.seeded(8);
        data.fillGaussian(batch.inputs(), 0, batch.inputs().length, 1.0);
        data.fillGaussian(batch.realTargets(), 0, B, 1.0);
        TruncatedBptt trainer = new TruncatedBptt(models[0], stores[0], new Sgd(0.1), B, steps + 2, 1.0);
        double loss = trainer.train(batch, (c, l, norm) -> { });
        stores[1].zeroGrads();
        assertEquals(models[1].forward(batch, null, null), loss, 0.0);
        models[1].backward();
        Clipping.clipByGlobalNorm(stores[1], 1.0);
        new Sgd(0.1).step(stores[1]);
        assertArrayEquals(stores[1].values(), stores[0].values(), cell + ": one window of T or more is full BPTT");

        float[] before = stores[0].values().clone();
        TruncatedBptt truncated = new TruncatedBptt(models[0], stores[0], new Sgd(0.1), B, steps - 1, 1.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> truncated.train(batch, (c, l, n) -> { }));
        assertTrue(e.getMessage().contains("shorter than the sequences (6 steps), but the model's loss is at the last step only"),
                e.getMessage());
        assertArrayEquals(before, stores[0].values(), "nothing trained");
    }
}
