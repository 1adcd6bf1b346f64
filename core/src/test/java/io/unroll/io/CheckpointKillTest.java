package io.unroll.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unroll.cell.CellType;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint writes survive a real crash (docs/spec.md#interchange): a child JVM saves checkpoints of a
 * ~6 MB LSTM model over and over, every value of generation g equal to g, and is killed with SIGKILL
 * ({@link Process#destroyForcibly()} on Linux) at random moments, then restarted. After every kill
 * {@link Checkpoint#load} of the target must succeed and give one complete generation, never an
 * older one than before, never a mixture.
 */
class CheckpointKillTest {

    private static final int KILLS = 8;
    /** Embedding 64 × 128, one LSTM layer of 512 on 128 inputs, head 64 × 512: 1.38 M floats, 5.5 MB. */
    private static final int V = 64;
    private static final int E = 128;
    private static final int H = 512;
    private static final int CARRIED_BATCH = 4;

    @TempDir
    Path dir;

    @Test
    void aKilledSaverNeverLeavesAPartialOrOlderCheckpoint() throws Exception {
        Path file = dir.resolve("model.safetensors");
        Random random = new Random(20240504);
        long lastGeneration = 0;
        int midSave = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
        int kills = 0;
        while (kills < KILLS && (kills < 3 || System.nanoTime() < deadline)) {
            long start = kills == 0 ? 1 : lastGeneration + 1;
            Process child = new ProcessBuilder(javaCommand(file, start)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long saveNanos;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                // the first complete generation of this run, with how long its save took
                String line = out.readLine();
                assertNotNull(line, "the child ended before saving a checkpoint");
                String[] parts = line.split(" ");
                assertEquals("saved", parts[0], line);
                assertEquals(start, Long.parseLong(parts[1]), line);
                saveNanos = Long.parseLong(parts[2]);
                // a random moment within the next one or two saves
                long delay = (long) (random.nextDouble() * 2 * saveNanos);
                TimeUnit.NANOSECONDS.sleep(delay);
            } finally {
                child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block, no cleanup
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
            }
            kills++;
            List<String> files = listing();
            if (files.stream().anyMatch(n -> n.endsWith(".tmp"))) {
                midSave++; // the kill landed while a temporary file was being written
            }
            long generation = assertCompleteGeneration(file);
            assertTrue(generation >= start, "generation " + generation + " after the child saved generation " + start);
            assertTrue(generation >= lastGeneration, "generation went back from " + lastGeneration + " to " + generation);
            assertTrue(files.stream().allMatch(n -> n.equals("model.safetensors")
                    || (n.startsWith(".model.safetensors.") && n.endsWith(".tmp"))), "unexpected files " + files);
            lastGeneration = generation;
            System.out.printf("kill %d: %.1f ms saves, checkpoint holds generation %d, files %s%n",
                    kills, saveNanos / 1e6, generation, files);
        }
        System.out.println(kills + " kills, " + midSave + " during a save (temporary file left behind)");
        assertTrue(kills >= 3, kills + " kills");
    }

    /** Loads the checkpoint and checks that everything in it belongs to one generation; returns it. */
    private static long assertCompleteGeneration(Path file) throws Exception {
        Checkpoint.Loaded c = Checkpoint.load(file);
        long g = Long.parseLong(c.metadata().get("generation"));
        assertEquals(Long.toString(g), c.metadata().get("generation_again"), "info");
        assertEquals(g, c.training().step(), "step");
        float value = g;
        for (Param p : c.params().params()) {
            for (float x : p.copyValues()) {
                if (x != value) {
                    fail(p.name() + " holds " + x + " in a checkpoint of generation " + g);
                }
            }
        }
        assertEquals(V * E + 4 * H * (E + H + 2) + V * (H + 1), c.params().size());
        assertTrue(Arrays.equals(bytes(g, 32), c.training().optimizer()), "optimizer state of generation " + g);
        assertTrue(Arrays.equals(bytes(g, 24), c.training().rng()), "rng state of generation " + g);
        State s = c.training().carried();
        for (float[] part : new float[][] {s.h(), s.c()}) {
            for (float x : part) {
                if (x != value) {
                    fail("carried state holds " + x + " in a checkpoint of generation " + g);
                }
            }
        }
        return g;
    }

    private List<String> listing() throws Exception {
        try (Stream<Path> s = java.nio.file.Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static List<String> javaCommand(Path file, long start) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CheckpointWriterChild.class.getName());
        cmd.add(file.toString());
        cmd.add(Long.toString(start));
        return cmd;
    }

    static byte[] bytes(long generation, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) generation);
        return b;
    }

    /**
     * The child process: saves generation after generation of the same model with
     * {@link Checkpoint#save}, printing "saved G NANOS" after each.
     */
    static final class CheckpointWriterChild {
        public static void main(String[] args) throws Exception {
            Path file = Path.of(args[0]);
            long generation = Long.parseLong(args[1]);
            ParamStore.Builder pb = ParamStore.builder();
            SequenceModel model = SequenceModel.embedded(pb, V, RecurrentConfig.of(CellType.LSTM, E, H, 1));
            ParamStore params = pb.build();
            float[] h = new float[CARRIED_BATCH * H];
            float[] c = new float[CARRIED_BATCH * H];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // never outlive a broken test
            for (; System.nanoTime() < deadline; generation++) {
                Arrays.fill(params.values(), generation);
                Arrays.fill(h, generation);
                Arrays.fill(c, generation);
                Checkpoint.TrainingState state = new Checkpoint.TrainingState(generation, bytes(generation, 32),
                        bytes(generation, 24), new State(1, CARRIED_BATCH, H, h, c));
                long t0 = System.nanoTime();
                Checkpoint.save(file, model, params, null,
                        Map.of("generation", Long.toString(generation), "generation_again", Long.toString(generation)), state);
                System.out.println("saved " + generation + " " + (System.nanoTime() - t0));
                System.out.flush();
            }
        }
    }
}
