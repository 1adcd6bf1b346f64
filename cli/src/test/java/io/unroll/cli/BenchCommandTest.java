package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code unroll bench}: the report's shape on a tiny quick run, and one-line errors. Behaviour
 * only: no assertion here depends on how fast anything ran.
 */
class BenchCommandTest {
    private record Outcome(int exitCode, String out, String err) {}

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /** A quick run with tiny sizes: text on stdout, the JSON report in a file. */
    @Test
    void aTinyQuickRunPrintsEverySectionAndSavesTheWholeReportAsJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("report.json");
        Outcome o = run("bench", "--quick", "--cells", "rnn,lstm", "--grid", "8x2", "--steps", "4",
                "--stream-hidden", "4", "--runs", "2", "--save-json", json.toString());
        assertEquals(0, o.exitCode(), o.err());
        for (String part : List.of("Machine", "JDK", "JVM flags", "Kernels", "FMA peak", "Training step", "lstm", "rnn_tanh",
                "Threads: not compared", "bytes/step", "Streaming", "c2c ns =", "Telemetry overhead",
                "Lab: a training step of each task", "  copy(delay=20)  ", "  adding(length=100)  ", "  delayed-signal(length=100, delay=50)  ",
                "Playground: what the server computes when a control moves", "playground-first-picture", "playground-whole-picture",
                "Performance targets",
                "memory-stored-vs-needed", "telemetry-overhead-every-10",
                "JSON report: " + json.toAbsolutePath())) {
            assertTrue(o.out().contains(part), "missing '" + part + "' in\n" + o.out());
        }
        assertTrue(o.err().contains("bench: training lstm H=8 B=2: Unroll"), o.err());
        assertTrue(o.err().contains("bench: telemetry lstm H=8 B=2: every step"), o.err());
        assertTrue(o.err().contains("bench: lab lstm copy(delay=20) H=128 B=64: Unroll"), o.err());
        assertTrue(o.err().contains("bench: lab rnn_tanh adding(length=100) H=128 B=64: Unroll"), o.err());
        assertTrue(o.err().contains("bench: lab lstm delayed-signal(length=100, delay=50) H=128 B=64: Unroll"), o.err());
        assertTrue(o.err().contains("bench: probe lstm T=100 H=64: first picture "), o.err());

        JsonNode doc = new ObjectMapper().readTree(Files.readString(json));
        for (String key : List.of("machine", "threads", "fmaPeak", "config", "training", "streaming", "telemetry", "lab", "probes", "targets",
                "notes", "loadStart", "loadEnd", "otherCpuShare", "seconds")) {
            assertTrue(doc.has(key), "report lacks " + key + ": " + doc);
        }
        assertTrue(doc.get("pytorch").isNull(), "no peer without --vs");
        assertTrue(doc.at("/machine/cores").asInt() >= 1);
        assertTrue(doc.at("/machine/kernelThreads").asInt() >= 1);
        assertTrue(!doc.at("/machine/kernels").asText().isEmpty());
        assertTrue(doc.at("/fmaPeak/perCoreGflops").asDouble() > 0);

        assertEquals(2, doc.get("training").size(), "one grid row for each of two cells");
        JsonNode t = doc.get("training").get(1);
        assertEquals("lstm", t.get("cell").asText());
        assertEquals(8, t.get("hidden").asInt());
        assertEquals(2, t.get("batch").asInt());
        assertEquals(4, t.get("steps").asInt());
        assertEquals(3 * 2.0 * 4 * 8 * 16 * 2 * 4 / 1e9, t.get("gflopPerStep").asDouble(), 1e-15);
        assertEquals(2, t.at("/unroll/measurement/samples").size());
        assertTrue(t.at("/unroll/medianMs").asDouble() > 0);
        assertTrue(t.at("/unroll/gflops").asDouble() > 0);
        assertTrue(t.get("pytorch").isNull() && t.get("speedup").isNull() && t.get("threadScaling").isNull());
        assertEquals(2 * 5 * 2 * 8 + 4 * 4 * 2 * 8, t.get("requiredFloats").asLong());
        assertEquals(2, t.at("/allocationDuringRuns/iterations").asLong(), "counted over the 2 timed runs");
        assertTrue(t.at("/allocation/iterations").asLong() >= 1, "and again once warm");
        double others = t.get("otherCpuShare").asDouble();
        assertTrue(others >= 0 && others <= 1, "a share of the CPU time: " + others);
        double roundTrip = t.get("coreToCoreNs").asDouble();
        if (Runtime.getRuntime().availableProcessors() >= 2) {
            assertTrue(roundTrip > 1 && Double.isFinite(roundTrip), "a round trip between two cores, in ns: " + roundTrip);
            assertTrue(doc.get("coreToCoreMinNs").asDouble() <= roundTrip && roundTrip <= doc.get("coreToCoreMaxNs").asDouble(),
                    "the report's range holds every row's round trip: " + doc);
        } else {
            assertTrue(Double.isNaN(roundTrip), "no second core to probe: " + roundTrip);
        }

        assertEquals(2, doc.get("streaming").size());
        JsonNode s = doc.get("streaming").get(0);
        assertEquals("rnn_tanh", s.get("cell").asText());
        assertEquals(4, s.get("hidden").asInt());
        assertEquals(8, s.get("input").asInt(), "I = 8 for H <= 64");
        assertTrue(s.get("unrollNs").asDouble() > 0);
        assertTrue(Runtime.getRuntime().availableProcessors() < 2
                || s.get("coreToCoreNs").asDouble() > 1 && Double.isFinite(s.get("coreToCoreNs").asDouble()), s.toString());

        assertEquals(2, doc.get("telemetry").size(), "the telemetry overhead for each cell at the first grid row");
        JsonNode f = doc.get("telemetry").get(0);
        assertEquals("rnn_tanh", f.get("cell").asText());
        assertEquals(8, f.get("hidden").asInt());
        assertEquals(10, f.at("/ratio10/n").asInt(), "at least 10 interleaved rounds");
        assertEquals(0, f.get("stepsPerRound").asLong() % 40, "a multiple of the replay interval");
        assertTrue(f.at("/ratio1/median").asDouble() > 0 && f.at("/ratio10/median").asDouble() > 0, f.toString());

        assertEquals(6, doc.get("lab").size(), "each of the three lab tasks for each cell");
        assertEquals(List.of("rnn_tanh copy(delay=20)", "lstm copy(delay=20)", "rnn_tanh adding(length=100)", "lstm adding(length=100)",
                "rnn_tanh delayed-signal(length=100, delay=50)", "lstm delayed-signal(length=100, delay=50)"),
                StreamSupport.stream(doc.get("lab").spliterator(), false)
                        .map(row -> row.get("cell").asText() + " " + row.get("task").asText()).toList(), "by task, then cell");
        JsonNode signal = doc.get("lab").get(5);
        assertEquals(List.of(128, 64, 100, 8), List.of(signal.get("hidden").asInt(), signal.get("batch").asInt(),
                signal.get("steps").asInt(), signal.get("batches").asInt()));
        assertTrue(signal.get("step").asText().startsWith("inputs [B, T, 2] -> 1 layer of H -> head to 1 value at the last step"
                + " -> mean squared error"), signal.toString());
        assertEquals(2.0, signal.get("target").asDouble(), "the same target as the copy rows");
        assertEquals(List.of(20, 100, 100, 50), List.of(doc.at("/config/labShape/copyDelay").asInt(),
                doc.at("/config/labShape/addingLength").asInt(), doc.at("/config/labShape/signalLength").asInt(),
                doc.at("/config/labShape/signalDelay").asInt()), doc.get("config").toString());
        JsonNode l = doc.get("lab").get(1);
        assertEquals("lstm", l.get("cell").asText());
        assertEquals("copy(delay=20)", l.get("task").asText());
        assertEquals(List.of(128, 64, 40, 8), List.of(l.get("hidden").asInt(), l.get("batch").asInt(), l.get("steps").asInt(),
                l.get("batches").asInt()));
        assertEquals(2, l.at("/unroll/measurement/samples").size());
        assertEquals(1000 / l.at("/unroll/medianMs").asDouble(), l.get("unrollStepsPerSecond").asDouble(), 1e-9);
        assertTrue(l.get("pytorch").isNull() && l.get("speedup").isNull(), l.toString());
        assertEquals(2.0, l.get("target").asDouble(), "the training rows' target at H <= 256");

        assertEquals(2, doc.get("probes").size(), "the small probe for each cell");
        JsonNode p = doc.get("probes").get(1);
        assertEquals(List.of("lstm", "100", "64", "100.0"), List.of(p.get("cell").asText(), p.get("length").asText(),
                p.get("hidden").asText(), p.get("budgetMs").asText()));
        assertEquals(2, p.at("/first/samples").size());
        assertEquals(2, p.at("/whole/samples").size());
        assertTrue(p.at("/first/stats/median").asDouble() > 0 && p.at("/whole/stats/median").asDouble() > 0, p.toString());
        assertTrue(p.get("pytorch").isNull() && p.get("speedup").isNull(), p.toString());

        // without a peer: the memory, allocation, telemetry and playground targets, never a speed-up target
        for (JsonNode check : doc.get("targets")) {
            String target = check.get("target").asText();
            assertTrue(target.startsWith("memory") || target.startsWith("allocation") || target.startsWith("telemetry")
                    || target.startsWith("playground"), target);
            assertTrue(check.has("pass") && check.has("threshold") && check.has("value") && check.has("subject"));
        }
        assertEquals(2 + 2 + 2 + 2 + 2 + 2 + 2, doc.get("targets").size());
    }

    @Test
    void jsonGoesToStdoutWithOnly() throws Exception {
        Outcome o = run("bench", "--quick", "--json", "--only", "streaming", "--cells", "gru", "--stream-hidden", "4",
                "--runs", "2");
        assertEquals(0, o.exitCode(), o.err());
        JsonNode doc = new ObjectMapper().readTree(o.out());
        assertEquals(0, doc.get("training").size());
        assertEquals(0, doc.get("lab").size(), "--only streaming runs no lab row");
        assertEquals(0, doc.get("probes").size(), "--only streaming runs no probe");
        assertEquals(1, doc.get("streaming").size());
        assertEquals("gru", doc.at("/streaming/0/cell").asText());
    }

    @Test
    void vsPytorchWithAMissingPythonFailsInOneLineSayingWhatToInstall() {
        Outcome o = run("bench", "--quick", "--vs", "pytorch", "--python", "/nonexistent/python3");
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        List<String> lines = o.err().lines().filter(l -> !l.startsWith("bench: ")).toList();
        assertEquals(List.of("unroll: error: --vs pytorch needs Python 3 with PyTorch, but '/nonexistent/python3' was not found;"
                + " install python3-torch and libopenblas0-openmp (apt-get install python3-torch libopenblas0-openmp),"
                + " or name another Python with --python"), lines);
        assertEquals("", o.out());
    }

    /** A report path that can never be written fails at once, before any benchmark runs (no progress line). */
    @Test
    void anUnwritableSaveJsonFailsBeforeTheBenchmark(@TempDir Path dir) throws Exception {
        Outcome directory = run("bench", "--quick", "--save-json", dir.toString());
        assertEquals(Main.EXIT_FAILURE, directory.exitCode());
        assertEquals("unroll: error: --save-json " + dir + " is a directory, expected the path of a file to write",
                directory.err().strip());
        assertEquals("", directory.out());

        Path file = Files.writeString(dir.resolve("notes.txt"), "not a directory");
        Path underAFile = file.resolve("report.json");
        Outcome o = run("bench", "--quick", "--save-json", underAFile.toString());
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        assertEquals("unroll: error: --save-json " + underAFile + " cannot be written: " + file + " is a file, not a directory",
                o.err().strip());
        try (var files = Files.list(dir)) {
            assertEquals(List.of("notes.txt"), files.map(p -> p.getFileName().toString()).toList(), "the checks leave nothing");
        }
    }

    @Test
    void helpListsTheOptions() {
        Outcome o = run("bench", "--help");
        assertEquals(0, o.exitCode(), o.err());
        for (String option : List.of("--vs", "--quick", "--cells", "--only", "--threads", "--runs", "--json", "--python")) {
            assertTrue(o.out().contains(option), "missing " + option + " in\n" + o.out());
        }
    }

    @Test
    void badValuesAreOneLineErrors() {
        Outcome vs = run("bench", "--vs", "tensorflow");
        assertEquals(Main.EXIT_FAILURE, vs.exitCode());
        assertEquals("unroll: error: --vs takes pytorch, got 'tensorflow'", vs.err().strip());
        Outcome grid = run("bench", "--grid", "256by32");
        assertEquals("unroll: error: grid row '256by32' is not HxB (hidden x batch), e.g. 256x32", grid.err().strip());
        Outcome only = run("bench", "--only", "inference");
        assertEquals("unroll: error: --only takes training, streaming, telemetry, lab or probe, got 'inference'", only.err().strip());
    }
}
