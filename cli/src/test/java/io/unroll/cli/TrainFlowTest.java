package io.unroll.cli;

import static io.unroll.cli.CharModelCommandsTest.run;
import static io.unroll.cli.CharModelCommandsTest.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code unroll train} shows the gradient flow: the verdict in the progress line, a health summary
 * at the end, the flow series in {@code --json}, and {@code --report} as a page whose charts carry
 * the JSON's numbers.
 */
class TrainFlowTest {
    @TempDir
    static Path tmp;
    static Path corpus;
    static JsonNode trained;
    static String page;

    @BeforeAll
    static void trainWithAReport() throws Exception {
        corpus = tmp.resolve("tiny.txt");
        Files.writeString(corpus, CharModelCommandsTest.tinyText());
        Path report = tmp.resolve("flow.html");
        CharModelCommandsTest.Outcome o = run(train("--text", corpus.toString(), "--out", tmp.resolve("run").toString(),
                "--steps", "40", "--flow-every", "4", "--json", "--report", report.toString()));
        assertEquals(0, o.exitCode(), o.err());
        trained = o.json();
        page = Files.readString(report);
    }

    @Test
    void theJsonCarriesEveryStepEverySampleAndTheVerdict() {
        JsonNode flow = trained.get("flow");
        assertEquals(4, trained.get("flowEvery").asInt());
        assertEquals(40, flow.get("step").size());
        JsonNode reports = trained.get("reports");
        for (int i = 0; i < 40; i++) {
            assertEquals(reports.get(i).get("loss").asDouble(), flow.get("loss").get(i).asDouble(), 0.0, "step " + (i + 1));
            assertEquals(reports.get(i).get("preClipNorm").asDouble(), flow.get("preClipNorm").get(i).asDouble(), 0.0);
        }
        JsonNode samples = flow.get("samples");
        assertEquals(10, samples.size(), "steps 1, 5, ..., 37");
        assertEquals(37, samples.get(9).get("step").asInt());
        assertEquals(8, samples.get(0).get("hNorms").size(), "T = the truncated-BPTT window of 8");
        assertEquals(8, samples.get(0).get("lastLossNorms").size(), "the first sample is always replayed");
        assertTrue(samples.get(0).get("horizon").get(0).asInt() >= 1, samples.get(0).toString());
        assertEquals(1, flow.get("spectra").get(0).get("step").asInt());
        JsonNode verdict = trained.get("verdict").get("findings");
        assertTrue(verdict.size() >= 1 && verdict.get(0).get("words").asText().length() > 10, verdict.toString());
        assertEquals(flow.get("verdict"), trained.get("verdict"));
        assertEquals(1, flow.get("verdicts").get(0).get("step").asInt());
    }

    @Test
    void theReportDrawsTheRunsOwnNumbers() throws Exception {
        assertTrue(page.contains("<title>Training tiny.txt: lstm, 1 layer of 16, to step 40</title>"), page.substring(0, 300));
        for (String heading : List.of("Verdict", "Loss", "Gradient norm and clipping", "The gradient reaching every timestep,"
                + " over training", "Memory horizon", "Spectral radius of W_hh", "Activations", "How the verdict changed")) {
            assertTrue(page.contains("<h2>" + heading + "</h2>"), heading);
        }
        JsonNode flow = trained.get("flow");
        JsonNode loss = chart(0);
        assertEquals(flow.get("loss").get(0).asDouble(), loss.get("columns").get(1).get(0).asDouble(), 0.0);
        JsonNode heat = chartOfKind("heat");
        assertEquals(10, heat.get("values").size());
        for (int i = 0; i < 8; i++) {
            assertEquals(flow.get("samples").get(3).get("hNorms").get(i).asDouble(), heat.get("values").get(3).get(i).asDouble(),
                    0.0, "the heat map's row 3 is sample 3");
        }
        assertTrue(!page.contains("src=\"http") && !page.contains("href=\"http"), "nothing is loaded from elsewhere");
    }

    @Test
    void progressShowsTheVerdictAndTheTextEndsWithTheHealthSummary() {
        String[] args = train("--text", corpus.toString(), "--out", tmp.resolve("text").toString(), "--steps", "12");
        args[List.of(args).indexOf("none")] = "lines";
        CharModelCommandsTest.Outcome o = run(args);
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.err().lines().anyMatch(l -> l.matches("step \\d+/12 .* norm [0-9.>]+  (healthy|[a-z ,/]+)  .*char/s.*")),
                o.err());
        assertTrue(o.out().contains("\ngradient flow (docs/telemetry.md):\n  "), o.out());
    }

    @Test
    void badFlowOptionsAreOneLine() {
        CharModelCommandsTest.Outcome zero = run(train("--text", corpus.toString(), "--out", tmp.resolve("z").toString(),
                "--flow-every", "0"));
        assertEquals(2, zero.exitCode());
        assertTrue(zero.err().contains("--flow-every is 0"), zero.err());
        CharModelCommandsTest.Outcome dir = run(train("--text", corpus.toString(), "--out", tmp.resolve("d").toString(),
                "--report", tmp.toString()));
        assertTrue(dir.exitCode() != 0 && dir.err().contains("--report"), dir.err());
        assertTrue(!Files.exists(tmp.resolve("d").resolve("latest.safetensors")), "refused before any work");
    }

    private static JsonNode chart(int id) throws Exception {
        Matcher m = Pattern.compile("id=\"data" + id + "\">(.*?)</script>").matcher(page);
        assertTrue(m.find(), "chart " + id);
        return new ObjectMapper().readTree(m.group(1).replace("<\\/", "</"));
    }

    private static JsonNode chartOfKind(String kind) throws Exception {
        for (int id = 0; ; id++) {
            JsonNode c = chart(id);
            if (c.get("kind").asText().equals(kind)) {
                return c;
            }
        }
    }
}
