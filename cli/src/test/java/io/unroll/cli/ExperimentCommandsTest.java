package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code unroll demo hello|lm} and {@code unroll decay}: output, JSON and one-line errors. */
class ExperimentCommandsTest {
    private record Outcome(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static JsonNode json(Outcome o) throws Exception {
        assertEquals(0, o.exitCode(), o.err());
        return new ObjectMapper().readTree(o.out());
    }

    @Test
    void helpListsTheExperimentCommands() {
        Outcome o = run("--help");
        assertTrue(o.out().contains("demo") && o.out().contains("decay"), o.out());
    }

    @Test
    void everyExperimentCommandHasHelp() {
        for (String[] args : new String[][] {{"decay", "--help"}, {"demo", "--help"}, {"demo", "hello", "--help"}, {"demo", "lm", "--help"}}) {
            Outcome o = run(args);
            assertEquals(0, o.exitCode(), String.join(" ", args) + ": " + o.err());
            assertTrue(o.out().startsWith("Usage: unroll " + args[0]), o.out());
        }
    }

    @Test
    void decayPrintsTheLessonRowsTheRatioAndAChart() {
        Outcome o = run("decay", "--trials", "3");
        assertEquals(0, o.exitCode(), o.err());
        for (String row : new String[] {"79", "60", "40", "20", "ratio step 0 / step 79", "t=79", "█", "seed 7"}) {
            assertTrue(o.out().contains(row), "missing '" + row + "' in\n" + o.out());
        }
    }

    @Test
    void decayJsonHoldsEveryStepAndTheRatio() throws Exception {
        JsonNode doc = json(run("decay", "--json", "--length", "30", "--hidden", "16", "--trials", "2", "--cell", "gru", "--rng", "numpy"));
        assertEquals(30, doc.get("meanNorm").size());
        assertEquals(1.0, doc.get("meanNorm").get(29).asDouble(), 1e-6);
        assertEquals(doc.get("meanNorm").get(0).asDouble(), doc.get("ratio").asDouble(), 1e-9);
        assertEquals("gru", doc.get("cell").asText());
        assertEquals(2, doc.get("perTrialNorm").size());
    }

    @Test
    void numpyDecayOfTheLessonGivesAboutThreeThousandths() throws Exception {
        JsonNode doc = json(run("decay", "--json", "--rng", "numpy"));
        double ratio = doc.get("ratio").asDouble();
        assertTrue(ratio > 3.1e-3 && ratio < 3.3e-3, "ratio " + ratio);
    }

    @Test
    void identityInitWithReluKeepsFarMoreGradientThanTheLessonsGaussian() throws Exception {
        double gaussian = json(run("decay", "--json", "--trials", "4")).get("ratio").asDouble();
        double irnn = json(run("decay", "--json", "--trials", "4", "--init", "identity", "--activation", "relu")).get("ratio").asDouble();
        assertTrue(gaussian < 0.05, "the lesson's tanh RNN loses most of it: " + gaussian);
        assertTrue(irnn > 5 * gaussian, "identity + relu keeps far more of it: " + irnn + " vs " + gaussian);
    }

    @Test
    void demoHelloReportsEveryFiftyEpochsAndTheLast() throws Exception {
        JsonNode doc = json(run("demo", "hello", "--json", "--epochs", "120", "--rng", "numpy"));
        assertEquals(120, doc.get("losses").size());
        JsonNode reports = doc.get("reports");
        assertEquals(4, reports.size());
        assertEquals(100, reports.get(2).get("epoch").asInt());
        assertEquals(119, reports.get(3).get("epoch").asInt());
        assertEquals("ello world! hello wo", reports.get(0).get("target").asText());
        assertEquals(Math.log(9), doc.get("losses").get(0).asDouble(), 1e-3, "untrained loss is about ln 9");
    }

    @Test
    void demoHelloTextShowsLossNormAndPredictions() {
        Outcome o = run("demo", "hello", "--epochs", "60");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("grad norm") && o.out().contains("\"ello world! hello wo\""), o.out());
        assertEquals(2, o.out().lines().filter(l -> l.matches("\\s+(0|50)\\s+.*")).count(), o.out());
    }

    @Test
    void demoLmLearnsTheRepeatedText() throws Exception {
        JsonNode doc = json(run("demo", "lm", "--json", "--epochs", "60"));
        JsonNode losses = doc.get("losses");
        assertTrue(losses.get(59).asDouble() < 0.5 * losses.get(0).asDouble(), doc.toString());
    }

    @Test
    void badValuesGiveOneLineErrorsNamingTheValue() {
        Outcome cell = run("decay", "--cell", "lstn");
        assertEquals(1, cell.exitCode());
        assertEquals(1, cell.errLines().size(), cell.err());
        assertTrue(cell.err().startsWith("unroll: error: unknown cell 'lstn'") && cell.err().contains("lstm"), cell.err());

        Outcome hidden = run("decay", "--hidden", "0");
        assertEquals(1, hidden.errLines().size(), hidden.err());
        assertTrue(hidden.err().contains("hidden size is 0, expected a positive number"), hidden.err());

        Outcome init = run("decay", "--init", "he");
        assertTrue(init.err().contains("unknown init 'he'") && init.err().contains("orthogonal"), init.err());

        Outcome activation = run("decay", "--cell", "lstm", "--activation", "relu");
        assertTrue(activation.err().contains("activation relu does not apply to cell lstm"), activation.err());

        Outcome epochs = run("demo", "hello", "--epochs", "-3");
        assertEquals(1, epochs.errLines().size(), epochs.err());
        assertTrue(epochs.err().contains("epochs is -3"), epochs.err());

        Outcome notANumber = run("demo", "lm", "--hidden", "many");
        assertEquals(2, notANumber.exitCode());
        assertTrue(notANumber.err().contains("'many'"), notANumber.err());

        Outcome seed = run("decay", "--rng", "numpy", "--seed", "-1");
        assertEquals(1, seed.errLines().size(), seed.err());
        assertTrue(seed.err().contains("-1"), seed.err());
    }

    /** A scale that is not a number is not the default, and one that overflows the weights is refused before any table. */
    @Test
    void decayScaleMustBeAFiniteGainInItsRange() throws Exception {
        for (String bad : new String[] {"NaN", "1e300", "Infinity", "0", "-0.5", "10.5"}) {
            Outcome o = run("decay", "--scale", bad, "--trials", "1");
            assertEquals(Main.EXIT_USAGE, o.exitCode(), bad + ": " + o.err());
            assertEquals(1, o.errLines().size(), o.err());
            assertTrue(o.err().startsWith("unroll: error: --scale is " + Double.parseDouble(bad)
                    + ", expected a number in (0, 10]: the gain of W_hh"), o.err());
            assertEquals("", o.out(), "no table for --scale " + bad);
        }
        assertEquals(10.0, json(run("decay", "--scale", "10", "--trials", "1", "--json")).get("scale").asDouble());
        // in range, but relu with a gain of 10 overflows float32 within 80 steps: no table of NaN either
        for (String format : new String[] {"--json", "--verbose"}) {
            Outcome relu = run("decay", "--activation", "relu", "--scale", "10", "--trials", "1", format);
            assertEquals(Main.EXIT_FAILURE, relu.exitCode(), relu.err());
            assertTrue(relu.err().startsWith("unroll: error: the mean gradient norm is NaN at step "), relu.err());
            assertTrue(relu.err().contains(" of 80 (rnn_relu, W_hh gaussian x 10.0): float32 overflowed")
                    && relu.err().contains("use a smaller --scale or a shorter --length"), relu.err());
            assertEquals("", relu.out());
        }
    }

    /** Sizes too large for an array or for the heap are one line naming them, before anything large is allocated. */
    @Test
    void experimentSizesBeyondAnArrayOrTheHeapAreOneLine() {
        Outcome array = run("demo", "hello", "--hidden", "100000");
        assertEquals(1, array.exitCode(), array.err());
        assertEquals(List.of("unroll: error: rnn.weight_hh_l0 = [100000, 100000] would hold 10,000,000,000 values,"
                + " more than one Java array can (2,147,483,639): one of these sizes is too large"), array.errLines());

        // 46,000² weights and their gradients and packed copies: 34 GB, more than the heap of any machine this runs on
        Outcome heap = run("decay", "--hidden", "46000", "--trials", "1");
        assertEquals(1, heap.exitCode(), heap.err());
        assertEquals(1, heap.errLines().size(), heap.err());
        assertTrue(heap.err().startsWith("unroll: error: the experiment's rnn_tanh of 46,000 hidden units over 80 steps"
                + " and 1 trial (weights with gradients 15.8 GB, workspace 15.8 GB, norms 1.3 KB) needs about 31.6 GB, more than the "
                + io.unroll.tensor.Memory.format(Runtime.getRuntime().maxMemory()) + " this JVM may use (its maximum heap, -Xmx)"),
                heap.err());
        assertTrue(heap.err().contains("UNROLL_JAVA_OPTS=-Xmx40g") || heap.err().contains("a heap that large does not fit"
                + " this machine's"), heap.err());

        Outcome trials = run("decay", "--trials", "1000000000", "--length", "1000");
        assertEquals(1, trials.errLines().size(), trials.err());
        assertTrue(trials.err().contains("norms 7.3 TB) needs about 7.3 TB"), trials.err());
    }
}
