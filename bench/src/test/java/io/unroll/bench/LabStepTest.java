package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.cell.CellType;
import io.unroll.data.Batch;
import io.unroll.io.Safetensors;
import io.unroll.lab.CopyTask;
import io.unroll.lab.TaskBatches;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab rows' step: its batches are the task generator's, the file the PyTorch peer reads holds
 * exactly them (read back by Unroll's reader and by the peer's own, run with Python's standard
 * library only), and the step trains.
 */
class LabStepTest {
    private static final int DELAY = 3;
    private static final int BATCH = 3;
    private static final int BATCHES = 2;

    @Test
    void theBatchesAreTheGeneratorsFirstNBatchesOfTheSeed() {
        LabStep step = new LabStep(CellType.GRU, DELAY, 4, BATCH, BATCHES, 7);
        CopyTask task = new CopyTask(DELAY);
        int size = BATCH * task.steps();
        TaskBatches generator = new TaskBatches(task, BATCH, 7, 1);
        Batch batch = Batch.allocateTokens(BATCH, task.steps());
        int[] in = batch.tokens();
        int[] out = batch.classTargets();
        for (int k = 0; k < BATCHES; k++) {
            generator.fillBatch(k, batch);
            assertArrayEquals(in, java.util.Arrays.copyOfRange(step.inputs(), k * size, (k + 1) * size), "inputs of batch " + k);
            assertArrayEquals(out, java.util.Arrays.copyOfRange(step.targets(), k * size, (k + 1) * size), "targets of batch " + k);
        }
        assertNotEquals(java.util.Arrays.toString(java.util.Arrays.copyOfRange(step.inputs(), 0, size)),
                java.util.Arrays.toString(java.util.Arrays.copyOfRange(step.inputs(), size, 2 * size)), "two different batches");
    }

    @Test
    void theFileHoldsTheBatchesAsI32NByBByT(@TempDir Path dir) throws IOException {
        LabStep step = new LabStep(CellType.LSTM, DELAY, 4, BATCH, BATCHES, 7);
        Path file = dir.resolve("lab.safetensors");
        step.writeBatches(file);
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(List.of("inputs", "targets"), c.names().stream().sorted().toList());
        for (String name : List.of("inputs", "targets")) {
            assertEquals(Safetensors.Dtype.I32, c.dtype(name));
            assertArrayEquals(new int[] {BATCHES, BATCH, DELAY + 20}, c.shape(name));
        }
        assertArrayEquals(step.inputs(), c.ints("inputs"));
        assertArrayEquals(step.targets(), c.ints("targets"));
        assertEquals("copy(delay=3)", c.metadata().get("task"));
    }

    @Test
    void thePeersOwnReaderGetsBackExactlyWhatUnrollWrote(@TempDir Path dir) throws Exception {
        LabStep step = new LabStep(CellType.RNN_TANH, DELAY, 4, BATCH, BATCHES, 7);
        Path file = dir.resolve("lab.safetensors");
        step.writeBatches(file);
        Path script = dir.resolve("pytorch_bench.py");
        try (InputStream in = PythonPeer.class.getResourceAsStream("peers/pytorch_bench.py")) {
            Files.copy(in, script);
        }
        // the reader needs the standard library only, so any Python 3 runs it, with or without torch
        String program = "import json, sys; sys.path.insert(0, sys.argv[1]); import pytorch_bench as p\n"
                + "t = p.read_safetensors(sys.argv[2])\n"
                + "print(json.dumps({k: {'dtype': v[0], 'shape': v[1], 'values': p.int32_values(v).tolist()} for k, v in t.items()}))\n";
        Process python = new ProcessBuilder(PythonPeer.defaultPython(), "-c", program, dir.toString(), file.toString())
                .redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(python.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, python.exitValue(), output);
        JsonNode doc = new ObjectMapper().readTree(output);
        assertEquals(2, doc.size(), output);
        for (String name : List.of("inputs", "targets")) {
            JsonNode t = doc.get(name);
            assertEquals("I32", t.get("dtype").asText());
            assertEquals(List.of(BATCHES, BATCH, DELAY + 20), List.of(t.at("/shape/0").asInt(), t.at("/shape/1").asInt(),
                    t.at("/shape/2").asInt()));
            int[] values = new int[t.get("values").size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = t.get("values").get(i).asInt();
            }
            assertArrayEquals(name.equals("inputs") ? step.inputs() : step.targets(), values, name);
        }
    }

    @Test
    void aStepTrainsOnTheCycledBatches() {
        LabStep step = new LabStep(CellType.GRU, DELAY, 8, BATCH, BATCHES, 7);
        double first = step.run();
        double later = step.run(60);
        assertTrue(Double.isFinite(first) && Double.isFinite(later), first + " then " + later);
        assertTrue(later < first, "the loss falls on the two batches it keeps seeing: " + first + " then " + later);
    }
}
