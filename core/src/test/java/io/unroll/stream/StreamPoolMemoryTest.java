package io.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A pool's memory does not grow with the number of distinct batch sizes it has stepped: a child
 * JVM with a 48 MB heap steps 2,000 batches of random size 1 to 2,000 over 2,000 keys. A pool that
 * kept a workspace per distinct size needs about 1.3 KB per stream per size here, several
 * gigabytes for the sizes such a run meets, and runs out of memory after a few hundred steps. The
 * child is a JVM of its own so that the heap limit is the pool's alone.
 */
class StreamPoolMemoryTest {
    private static final int KEYS = 2000;
    private static final int STEPS = 2000;

    @Test
    void thousandsOfRandomBatchSizesFitASmallHeap() throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx48m", "-Dunroll.threads=1",
                "-cp", System.getProperty("java.class.path"), Child.class.getName());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        child.getOutputStream().close();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, child.exitValue(), "the child JVM failed: " + out);
        assertTrue(out.endsWith("stepped " + STEPS + " batches, " + KEYS + " streams"), out);
    }

    /** A GRU of 16 units on 4 inputs, stepped in batches of random size; prints what it did. */
    public static final class Child {
        public static void main(String[] args) {
            ParamStore.Builder pb = ParamStore.builder();
            Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(CellType.GRU, 4, 16, 1));
            pb.build();
            Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(5));
            StreamPool<String> pool = new StreamPool<>(rnn);
            List<String> names = new ArrayList<>();
            for (int k = 0; k < KEYS; k++) {
                names.add("stream-" + k);
            }
            Rng rng = Rng.seeded(11);
            float[] inputs = new float[KEYS * 4];
            rng.fillGaussian(inputs, 0, inputs.length, 1.0);
            for (int step = 0; step < STEPS; step++) {
                int n = step == 0 ? KEYS : 1 + rng.nextInt(KEYS);
                int first = rng.nextInt(KEYS - n + 1);
                pool.step(names.subList(first, first + n), Arrays.copyOf(inputs, n * 4));
            }
            System.out.println("stepped " + STEPS + " batches, " + pool.size() + " streams");
        }
    }
}
