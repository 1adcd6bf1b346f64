package io.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StreamPoolTest {
    private static final int I = 3;
    private static final int H = 10;

    private static Recurrent stack(CellType cell) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, I, H, 2));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(4));
        return rnn;
    }

    /**
     * Five keys stepped in shifting groups (sometimes alone, sometimes together, in varying order)
     * give, per key, exactly the whole-sequence forward of that key's own inputs: no state leaks
     * between keys, and batching does not change a stream.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void everyKeyFollowsItsOwnSequenceWhateverItIsBatchedWith(CellType cell) {
        Recurrent rnn = stack(cell);
        int keys = 5;
        int steps = 12;
        Rng rng = Rng.seeded(9);
        float[][] inputs = new float[keys][steps * I];
        float[][] expected = new float[keys][];
        for (int k = 0; k < keys; k++) {
            rng.fillGaussian(inputs[k], 0, steps * I, 1.0);
            expected[k] = rnn.forward(inputs[k], 1, steps, null).output().clone();
        }
        StreamPool<String> pool = new StreamPool<>(rnn);
        int[] position = new int[keys];
        while (Arrays.stream(position).anyMatch(p -> p < steps)) {
            List<String> group = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
                if (position[k] < steps && rng.nextDouble() < 0.6) {
                    group.add(Integer.toString(k));
                }
            }
            if (group.isEmpty()) {
                continue;
            }
            if (rng.nextDouble() < 0.5) {
                java.util.Collections.reverse(group);
            }
            float[] batch = new float[group.size() * I];
            for (int i = 0; i < group.size(); i++) {
                int k = Integer.parseInt(group.get(i));
                System.arraycopy(inputs[k], position[k] * I, batch, i * I, I);
            }
            float[] out = pool.step(group, batch);
            for (int i = 0; i < group.size(); i++) {
                int k = Integer.parseInt(group.get(i));
                for (int j = 0; j < H; j++) {
                    assertEquals(expected[k][position[k] * H + j], out[i * H + j], 1e-6f, "key " + k + " step " + position[k]);
                }
                position[k]++;
            }
        }
        assertEquals(keys, pool.size());
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void resetEvictionAndBadKeys(CellType cell) {
        Recurrent rnn = stack(cell);
        long[] now = {0};
        StreamPool<Integer> pool = new StreamPool<>(rnn, () -> now[0]);
        float[] x = {1f, -0.5f, 0.25f};
        float[] first = pool.step(7, x).clone();
        pool.step(7, x);
        pool.reset(7);
        assertArrayEquals(first, pool.step(7, x));
        now[0] = Duration.ofSeconds(10).toNanos();
        pool.step(8, x);
        now[0] = Duration.ofSeconds(12).toNanos();
        assertEquals(1, pool.evictIdle(Duration.ofSeconds(5)));
        assertFalse(pool.contains(7));
        assertTrue(pool.contains(8));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> pool.step(List.of(8, 8), new float[2 * I]));
        assertTrue(twice.getMessage().contains("appears twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pool.step(List.of(1, 2), new float[I]));
    }
}
