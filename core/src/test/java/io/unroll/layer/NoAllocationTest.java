package io.unroll.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.stream.StreamPool;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Clipping;
import io.unroll.train.Init;
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
        int vocabulary = 11;
        int batch = 4;
        int steps = 16;
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, vocabulary, RecurrentConfig.of(cell, 8, 24, 2));
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(1);
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        Weights.uniform(model.head().weight(), 0.2, rng);
        int[] tokens = new int[batch * steps];
        int[] targets = new int[batch * steps];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(vocabulary);
            targets[i] = rng.nextInt(vocabulary);
        }
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
