package io.unroll.cli;

import static io.unroll.cli.CharModelCommandsTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.unroll.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowCommandTest {
    @TempDir
    Path dir;
    @TempDir
    static Path shared;
    static Path corpus;
    static Path model;

    @BeforeAll
    static void trainTinyModel() throws Exception {
        corpus = shared.resolve("tiny.txt");
        Files.writeString(corpus, CharModelCommandsTest.tinyText());
        model = shared.resolve("run");
        assertEquals(0, run(CharModelCommandsTest.train("--text", corpus.toString(), "--out", model.toString(), "--steps", "5"))
                .exitCode());
    }

    @Test
    void aFreshTanhRnnGivesEveryFigureAndItsGradientCurveIsTheDecayExperimentsFirstTrial() throws Exception {
        JsonNode flow = run("flow", "--json", "--length", "30", "--hidden", "16").json();
        JsonNode decay = run("decay", "--json", "--length", "30", "--hidden", "16", "--trials", "1").json();
        // the same draws in the same order (W_hh, W_ih, inputs from seed 7): the same measurement
        assertEquals(decay.get("perTrialNorm").get(0), flow.get("gradientNorms"));
        assertEquals(30, flow.get("gradientNorms").size());
        JsonNode jacobian = flow.get("jacobianNorms");
        assertEquals(30, jacobian.size());
        assertEquals(1.0, jacobian.get(29).asDouble(), 1e-6, "entry T-1 is the identity's norm");
        JsonNode sv = flow.get("singularValues");
        assertEquals(16, sv.size());
        for (int i = 1; i < sv.size(); i++) {
            assertTrue(sv.get(i).asDouble() <= sv.get(i - 1).asDouble(), "descending: " + sv);
        }
        JsonNode bound = flow.get("bound");
        assertTrue(bound.get("applicable").asBoolean());
        assertEquals(sv.get(0).asDouble(), bound.get("gammaW").asDouble(), 0.0);
        assertEquals(Math.pow(sv.get(0).asDouble(), 29), bound.get("values").get(0).asDouble(), 1e-9 * Math.pow(sv.get(0).asDouble(), 29));
        for (int k = 0; k < 30; k++) {
            assertTrue(jacobian.get(k).asDouble() <= bound.get("values").get(k).asDouble() * (1 + 1e-5), "under the bound at " + k);
        }
        assertEquals("rnn_tanh", flow.get("cell").asText());
        assertEquals(0.9, flow.get("scale").asDouble(), 0.0);
        // the horizon is read from the gradient curve: the first distance back below 1% of the last step's norm
        JsonNode g = flow.get("gradientNorms");
        int expected = 29;
        for (int d = 1; d <= 29; d++) {
            if (g.get(29 - d).asDouble() < 0.01 * g.get(29).asDouble()) {
                expected = d;
                break;
            }
        }
        assertEquals(expected, flow.get("horizon").get("steps").asInt());
        assertEquals(29, flow.get("horizon").get("span").asInt());
        assertEquals(flow.get("horizon"), flow.get("horizons").get(0));
        JsonNode activity = flow.get("activity").get(0);
        assertTrue(activity.get("tanhSaturation").asDouble() >= 0 && activity.get("tanhSaturation").asDouble() <= 1, activity.toString());
        assertEquals("NaN", activity.get("deadUnits").asText());
        JsonNode findings = flow.get("verdict").get("findings");
        assertTrue(findings.size() >= 1 && findings.get(0).get("words").asText().length() > 20, findings.toString());
    }

    @Test
    void theVerdictSaysVanishingAndExplodingWhereTheCurveShowsThem() throws Exception {
        JsonNode small = run("flow", "--json", "--hidden", "32", "--init", "gaussian", "--scale", "0.5").json();
        assertEquals("VANISHING", small.get("verdict").get("findings").get(0).get("condition").asText(), small.get("verdict").toString());
        assertTrue(small.get("horizon").get("steps").asInt() < 20, small.get("horizon").toString());
        JsonNode large = run("flow", "--json", "--hidden", "32", "--init", "orthogonal", "--scale", "1.5").json();
        assertEquals("EXPLODING", large.get("verdict").get("findings").get(0).get("condition").asText(), large.get("verdict").toString());
        assertTrue(large.get("growth").asDouble() >= 10, large.get("growth").toString());
        CharModelCommandsTest.Outcome text = run("flow", "--hidden", "32", "--init", "orthogonal", "--scale", "1.5");
        assertTrue(text.out().contains("verdict:\n  exploding gradients in layer 0"), text.out());
        assertTrue(text.out().contains("memory horizon (the distance back"), text.out());
    }

    @Test
    void theTextShowsTheCurvesTheBoundAndTheSpectrum() {
        CharModelCommandsTest.Outcome o = run("flow", "--length", "40", "--hidden", "8", "--init", "orthogonal");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().startsWith("Gradient flow: rnn_tanh, 1 x 8, input 1, W_hh orthogonal x 1.00, T=40"), o.out());
        assertTrue(o.out().contains("● dh") && o.out().contains("· bound   ● measured"), o.out());
        assertTrue(o.out().contains("W_hh of layer 0: singular values 1.000 (largest)"), o.out());

        CharModelCommandsTest.Outcome lstm = run("flow", "--length", "20", "--hidden", "8", "--cell", "lstm", "--init", "pytorch");
        assertEquals(0, lstm.exitCode(), lstm.err());
        assertTrue(lstm.out().contains("○ dc (cell state)") && lstm.out().contains("no bound drawn: "), lstm.out());
        assertTrue(lstm.out().contains("layer 0 on this sequence: ") && lstm.out().contains("; forget gate f mean 0."), lstm.out());
    }

    @Test
    void aForgetGateBiasKeepsTheLstmsGradientLonger() throws Exception {
        String[] lstm = {"flow", "--json", "--length", "40", "--hidden", "8", "--cell", "lstm", "--init", "pytorch"};
        double without = run(lstm).json().get("ratio").asDouble();
        JsonNode with = run(CharModelCommandsTest.concat(lstm, "--forget-bias", "3")).json();
        assertEquals(3.0, with.get("forgetBias").asDouble(), 0.0);
        // sigmoid(3) = 0.95 against about 0.5 per step on the cell state's path
        assertTrue(with.get("ratio").asDouble() > 1e6 * without, without + " -> " + with.get("ratio"));
        assertBad(2, "--forget-bias is 1.0 for a gru", "flow", "--cell", "gru", "--forget-bias", "1");
    }

    @Test
    void saveWritesWhatAnotherToolNeedsToRecomputeEveryFigure() throws Exception {
        Path file = dir.resolve("probe.safetensors");
        JsonNode flow = run("flow", "--json", "--length", "12", "--hidden", "6", "--layers", "2", "--input", "3", "--cell", "lstm",
                "--init", "orthogonal", "--save", file.toString()).json();
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(java.util.List.of("weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1", "x", "h0", "c0"), c.names());
        assertArrayEquals(new int[] {1, 12, 3}, c.shape("x"));
        assertArrayEquals(new int[] {2, 1, 6}, c.shape("h0"));
        assertArrayEquals(new int[] {24, 6}, c.shape("weight_hh_l1"));
        assertEquals("lstm", c.metadata().get("unroll.cell"));
        assertEquals(12, flow.get("cellGradientNorms").size());
    }

    @Test
    void reportDrawsTheSameFiguresInAPage() throws Exception {
        Path page = dir.resolve("flow.html");
        JsonNode flow = run("flow", "--json", "--length", "20", "--hidden", "8", "--layers", "2", "--report", page.toString()).json();
        String html = Files.readString(page);
        assertTrue(html.contains("<title>Gradient flow: rnn_tanh, 2 x 8"), "titled with the configuration");
        // the charts carry the JSON's numbers: the top layer's curve is the first series of the first chart
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("id=\"data0\">(.*?)</script>").matcher(html);
        assertTrue(m.find());
        JsonNode chart = new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.group(1));
        assertEquals(flow.get("gradientNorms"), chart.get("columns").get(1));
        assertEquals(3 + 2, html.split("class=\"chart\"", -1).length, "curves, Jacobians and a spectrum per layer");
    }

    @Test
    void aCheckpointIsProbedOnItsText() throws Exception {
        JsonNode flow = run("flow", "--json", "--model", model.toString(), "--text", corpus.toString(),
                "--length", "25").json();
        assertEquals("lstm", flow.get("cell").asText());
        assertEquals(25, flow.get("jacobianNorms").size());
        assertEquals(32, flow.get("jacobianDirection").size(), "the LSTM's state (h, c) of 2 x 16");
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertBad(1, "unknown cell 'transformer'", "flow", "--cell", "transformer");
        assertBad(2, "--length is 0", "flow", "--length", "0");
        assertBad(2, "--hidden is 5000", "flow", "--hidden", "5000");
        assertBad(2, "--scale and --spectral-radius", "flow", "--scale", "1", "--spectral-radius", "1");
        assertBad(2, "--scale is NaN", "flow", "--scale", "NaN");
        assertBad(2, "--hidden describes a fresh stack", "flow", "--model", model.toString(), "--text", corpus.toString(),
                "--hidden", "8");
        assertBad(2, "--model needs --text", "flow", "--model", model.toString());
        assertBad(2, "--text is the input of a --model", "flow", "--text", corpus.toString());
        Path unknown = dir.resolve("unknown.txt");
        Files.writeString(unknown, "ZZZ ZZZ ZZZ");
        assertBad(1, "does not have", "flow", "--model", model.toString(), "--text", unknown.toString());
        assertBad(1, "is a directory", "flow", "--save", dir.toString());
        assertBad(1, "--report", "flow", "--report", dir.toString());
    }

    private static void assertBad(int code, String part, String... args) {
        CharModelCommandsTest.Outcome o = run(args);
        assertEquals(code, o.exitCode(), o.err());
        assertEquals(1, o.errLines().size(), o.err());
        assertTrue(o.err().contains(part), o.err());
        assertFalse(o.out().contains("Gradient flow"), o.out());
    }
}
