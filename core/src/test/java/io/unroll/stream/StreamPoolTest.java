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
import io.unroll.tensor.State;
import io.unroll.train.Init;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
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

    /**
     * Forty keys stepped for 150 ticks in groups of random size and order, so that the pool meets
     * many batch sizes: every output row and every state is bit for bit what stepping that key
     * alone from its own state gives (one sequence of batch 1, T = 1, per tick).
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void randomBatchSizesGiveExactlyTheStepsOfEachKeyAlone(CellType cell) {
        Recurrent rnn = stack(cell);
        Recurrent alone = rnn.sharingParameters();
        int keys = 40;
        Rng rng = Rng.seeded(21);
        StreamPool<String> pool = new StreamPool<>(rnn);
        State[] state = new State[keys];
        for (int k = 0; k < keys; k++) {
            state[k] = alone.zeroState(1);
        }
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            order.add(k);
        }
        for (int tick = 0; tick < 150; tick++) {
            Collections.shuffle(order, new Random(tick));
            int n = 1 + rng.nextInt(keys);
            List<String> group = new ArrayList<>();
            float[] batch = new float[n * I];
            rng.fillGaussian(batch, 0, batch.length, 1.0);
            for (int i = 0; i < n; i++) {
                group.add("key-" + order.get(i));
            }
            float[] out = pool.step(group, batch);
            assertEquals(n * H, out.length, "output [n, H] at tick " + tick);
            for (int i = 0; i < n; i++) {
                int k = order.get(i);
                Recurrent.Output expected = alone.forward(Arrays.copyOfRange(batch, i * I, (i + 1) * I), 1, 1, state[k]);
                state[k] = expected.finalState().copy();
                assertArrayEquals(expected.output(), Arrays.copyOfRange(out, i * H, (i + 1) * H),
                        "key " + k + " at tick " + tick + " in a batch of " + n);
                assertArrayEquals(state[k].h(), pool.state("key-" + k).h(), "h of key " + k + " at tick " + tick);
                if (state[k].hasCell()) {
                    assertArrayEquals(state[k].c(), pool.state("key-" + k).c(), "c of key " + k + " at tick " + tick);
                }
            }
        }
    }

    /** A hundred batch sizes, 1 to 100, leave one workspace per power of two: 1, 2, 4, ..., 128. */
    @Test
    void workspacesAreOnePerPowerOfTwoNotOnePerBatchSize() {
        StreamPool<Integer> pool = new StreamPool<>(stack(CellType.LSTM));
        List<Integer> keys = new ArrayList<>();
        for (int n = 1; n <= 100; n++) {
            keys.add(n - 1);
            float[] out = pool.step(keys, new float[n * I]);
            assertEquals(n * H, out.length);
        }
        assertEquals(8, pool.workspaces());
        float[] mine = new float[3 * H];
        pool.step(List.of(0, 1, 2), new float[3 * I], mine);
        // the output rows are the top layer's new h of each key
        assertArrayEquals(Arrays.copyOfRange(pool.state(1).h(), H, 2 * H), Arrays.copyOfRange(mine, H, 2 * H));
        IllegalArgumentException shortOutput = assertThrows(IllegalArgumentException.class,
                () -> pool.step(List.of(0, 1), new float[2 * I], new float[H]));
        assertTrue(shortOutput.getMessage().startsWith("output [keys, hidden size] has " + H + " values, expected [2, " + H + "]"),
                shortOutput.getMessage());
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
        IllegalArgumentException newTwice = assertThrows(IllegalArgumentException.class,
                () -> pool.step(List.of(8, 500, 600, 500), new float[4 * I]));
        assertTrue(newTwice.getMessage().contains("stream key 500 appears twice"), newTwice.getMessage());
        assertFalse(pool.contains(500), "a step that failed its checks adds no stream");
        IllegalArgumentException nullKey = assertThrows(IllegalArgumentException.class,
                () -> pool.step(Arrays.asList(8, null), new float[2 * I]));
        assertTrue(nullKey.getMessage().contains("stream key 1 is null"), nullKey.getMessage());
    }
}
