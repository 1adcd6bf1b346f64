package io.unroll.cli;

import static io.unroll.cli.CharModelCommandsTest.concat;
import static io.unroll.cli.CharModelCommandsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code unroll lab grid}: every network at every length trained as {@code unroll lab TASK
 * --until-solved} trains it, each finished run kept in the grid file at once, a grid resumed from
 * its file training only what is missing, the who-remembers table, and one-line errors.
 */
class LabGridTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** GRU solves the adding problem at these lengths within 300 steps; the tanh RNN does not. */
    private static final String[] TRAINING = {"--hidden", "16", "--batch", "16", "--held-out", "64", "--eval-every", "25",
        "--steps", "300", "--lr", "0.01", "--progress", "none"};

    @TempDir
    Path dir;

    private String[] grid(Path file, String... more) {
        return concat(concat(new String[] {"lab", "grid", "--lengths", "4,8", "--configs", "tanh,gru", "--file", file.toString()},
                TRAINING), more);
    }

    @Test
    void everyRunIsTheSingleCommandStoppedOnceSolvedAndIsKeptInTheFile() throws Exception {
        Path file = dir.resolve("grid.json");
        JsonNode doc = run(grid(file, "--json")).json();
        JsonNode runs = doc.get("runs");
        assertEquals(4, runs.size(), runs.toString());
        List<String> order = List.of("tanh 4", "gru 4", "tanh 8", "gru 8");
        for (int i = 0; i < 4; i++) {
            JsonNode r = runs.get(i);
            assertEquals(order.get(i), r.get("config").asText() + " " + r.get("length").asInt());
            String cell = r.get("config").asText().equals("gru") ? "gru" : "rnn";
            String init = cell.equals("gru") ? "pytorch" : "gaussian";
            JsonNode single = run(concat(new String[] {"lab", "adding", "--length", r.get("length").asText(), "--cell", cell,
                "--init", init, "--until-solved", "--json"}, TRAINING)).json();
            assertEquals(single.get("finalLoss").asDouble(), r.get("finalLoss").asDouble(), 0.0, "the same run, bit for bit");
            assertEquals(single.get("steps").asLong(), r.get("steps").asLong());
            assertEquals(single.get("solved").asBoolean(), r.get("solved").asBoolean());
            JsonNode at = single.get("solvedAt");
            assertEquals(at.isNull() ? -1 : at.asLong(), r.get("solvedAt").asLong());
            assertEquals(1.0 / 6, r.get("baseline").asDouble(), 1e-15);
            assertEquals(r.get("length").asInt() - 1, r.get("span").asInt());
        }
        // measured: the GRU solves both lengths (steps 175 and 200), the tanh RNN neither in 300 steps
        assertTrue(runs.get(1).get("solved").asBoolean() && runs.get(3).get("solved").asBoolean(), runs.toString());
        assertFalse(runs.get(0).get("solved").asBoolean() || runs.get(2).get("solved").asBoolean(), runs.toString());
        assertTrue(runs.get(1).get("steps").asLong() < 300, "a solved run stops at the measurement that solved it");
        JsonNode kept = JSON.readTree(file.toFile());
        assertEquals(GridFile.FORMAT, kept.get("format").asText());
        assertEquals(GridFile.VERSION, kept.get("version").asInt());
        assertEquals(runs, kept.get("runs"), "the file holds every run as reported");
    }

    @Test
    void aResumedGridTrainsOnlyTheRunsItsFileLacks() throws Exception {
        Path file = dir.resolve("grid.json");
        CharModelCommandsTest.Outcome first = run(grid(file));
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(4, first.out().lines().filter(l -> l.matches("\\[\\d/4] .*")).count(), first.out());

        ObjectNode kept = (ObjectNode) JSON.readTree(file.toFile());
        ((ArrayNode) kept.get("runs")).remove(2); // tanh at T = 8, as if the grid had stopped during it
        Files.writeString(file, kept.toString());
        CharModelCommandsTest.Outcome resumed = run(grid(file));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains("(3 of 4 there already)"), resumed.out());
        assertEquals(List.of("[3/4] tanh, T = 8: not solved in 300 steps"), resumed.out().lines()
                .filter(l -> l.matches("\\[\\d/4] .*")).map(l -> l.substring(0, l.indexOf(','))
                        + l.substring(l.indexOf(','), l.indexOf(", loss"))).toList(), resumed.out());
        assertEquals(lossTable(first.out()), lossTable(resumed.out()), "the same table, the missing run trained again alike");
    }

    @Test
    void theTableShowsTheLossOverTheBaselineTheSolvedStepAndTheHorizon() throws Exception {
        Path page = dir.resolve("grid.html");
        CharModelCommandsTest.Outcome o = run(grid(dir.resolve("grid.json"), "--report", page.toString()));
        assertEquals(0, o.exitCode(), o.err());
        JsonNode runs = JSON.readTree(dir.resolve("grid.json").toFile()).get("runs");
        String table = tables(o.out());
        assertTrue(table.startsWith("Who remembers: the adding problem\n"), table);
        String gru = table.lines().filter(l -> l.startsWith("GRU ")).findFirst().orElseThrow();
        assertEquals(String.format("GRU                 %.3f ✓ %d   %.3f ✓ %d", ratio(runs.get(1)), runs.get(1).get("solvedAt").asInt(),
                ratio(runs.get(3)), runs.get(3).get("solvedAt").asInt()), gru);
        String tanh = table.lines().filter(l -> l.startsWith("tanh RNN, gaussian ")).findFirst().orElseThrow();
        assertTrue(tanh.matches("tanh RNN, gaussian\\s+\\d\\.\\d{3}\\s+\\d\\.\\d{3}"), tanh);
        assertTrue(table.contains("GRU                 ≥3, "), "a horizon that spans the window of 4 steps: " + table);
        assertEquals(4, table.lines().filter(l -> l.matches("T = [48]\\s+(GRU|tanh RNN, gaussian)( ✓)?\\s+[█▏▎▍▌▋▊▉]+\\s+.*")).count(),
                "a bar per run on one scale: " + table);
        String html = Files.readString(page);
        assertEquals(2, html.split("<table>", -1).length - 1, "the two tables");
        assertTrue(html.contains("T = 4: held-out loss / memoryless baseline over training") && html.contains("T = 8: held-out"),
                "a chart per length");
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertBad(2, "--configs names 'lstn', expected some of tanh, orthogonal, irnn, indrnn, lstm, gru", "lab", "grid",
                "--configs", "gru,lstn");
        assertBad(2, "--configs gru,gru names a network twice", "lab", "grid", "--configs", "gru,gru");
        assertBad(2, "--task is 'chars', expected adding, copy or signal", "lab", "grid", "--task", "chars");
        assertBad(2, "--lengths has 0, expected delays from 1 to 9980", "lab", "grid", "--task", "copy", "--lengths", "10,0");
        assertBad(2, "--lengths has 10001, expected lengths from 2 to 10000", "lab", "grid", "--lengths", "10001");
        assertBad(2, "--lengths [50, 50] names a length twice", "lab", "grid", "--lengths", "50,50");
        assertBad(2, "--steps is 0, expected a positive number", "lab", "grid", "--steps", "0");
        Path other = Files.writeString(dir.resolve("other.json"), "{\"format\": \"unroll-lab-grid\", \"version\": 0, \"runs\": []}");
        assertBad(1, other + " is not an Unroll lab grid of version 1 (its format is unroll-lab-grid, version 0)", "lab", "grid",
                "--file", other.toString());
        Path text = Files.writeString(dir.resolve("notes.json"), "my notes");
        assertBad(1, text + " is not an Unroll lab grid (not JSON: ", "lab", "grid", "--file", text.toString());
        Path file = dir.resolve("grid.json");
        assertEquals(0, run(grid(file)).exitCode());
        assertBad(1, file + " holds runs trained otherwise (steps 300 there, 200 here; hidden 16 there, 128 here;", "lab", "grid",
                "--file", file.toString(), "--steps", "200");
        assertEquals(0, run(concat(new String[] {"lab", "grid", "--lengths", "4", "--configs", "gru", "--file", file.toString(),
            "--restart"}, TRAINING)).exitCode(), "--restart overwrites");
        assertEquals(1, JSON.readTree(file.toFile()).get("runs").size());
    }

    private static double ratio(JsonNode run) {
        return run.get("finalLoss").asDouble() / run.get("baseline").asDouble();
    }

    /** The who-remembers table, without the horizons and wall times. */
    private static String lossTable(String out) {
        return out.substring(out.indexOf("Who remembers"), out.indexOf("\nmemory horizon"));
    }

    /** The tables and chart: from the title to the line of times. */
    private static String tables(String out) {
        return out.substring(out.indexOf("Who remembers"), out.indexOf("\nthis session"));
    }

    private static void assertBad(int exitCode, String part, String... args) {
        CharModelCommandsTest.Outcome o = run(args);
        assertEquals(exitCode, o.exitCode(), o.err());
        assertTrue(o.err().startsWith("unroll: error: ") && o.err().contains(part), o.err());
        assertEquals(1, o.err().lines().count(), o.err());
    }
}
