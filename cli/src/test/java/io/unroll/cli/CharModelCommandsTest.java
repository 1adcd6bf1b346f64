package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.data.CharVocabulary;
import io.unroll.io.Checkpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code unroll train | sample | score | stream} on a tiny text and a tiny model: checkpoints,
 * exact resume, output formats, cross-checks between the commands, and every bad input giving a
 * one-line error with nothing overwritten.
 */
class CharModelCommandsTest {
    /** A tiny model that trains in well under a second. */
    static final String[] TINY = {"--hidden", "16", "--embedding", "8", "--batch", "2", "--seq", "16", "--tbptt", "8",
        "--lr", "0.01", "--val-fraction", "0.1", "--val-every", "20", "--progress", "none"};

    @TempDir
    static Path tmp;
    static Path corpus;
    static Path run;
    static JsonNode trained;

    record Outcome(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        JsonNode json() throws IOException {
            assertEquals(0, exitCode, err);
            return new ObjectMapper().readTree(out);
        }
    }

    static Outcome run(String... args) {
        return runWithInput(null, args);
    }

    static Outcome runWithInput(byte[] stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.newCommandLine(new PrintWriter(out), new PrintWriter(err));
        if (stdin != null) {
            ((StreamCommand) commandLine.getSubcommands().get("stream").getCommand()).setInput(new ByteArrayInputStream(stdin));
        }
        int code = Main.execute(commandLine, args);
        return new Outcome(code, out.toString(), err.toString());
    }

    static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    /** About 3,000 characters of simple sentences over a small alphabet. */
    static String tinyText() {
        String[] subjects = {"the cat", "a dog", "the bird", "my fox"};
        String[] verbs = {"sat on", "ran to", "saw", "ate"};
        String[] objects = {"the mat.", "a log.", "the hat.", "my rug."};
        StringBuilder sb = new StringBuilder();
        Random random = new Random(3);
        while (sb.length() < 3000) {
            sb.append(subjects[random.nextInt(4)]).append(' ').append(verbs[random.nextInt(4)]).append(' ')
                    .append(objects[random.nextInt(4)]).append('\n');
        }
        return sb.toString();
    }

    @BeforeAll
    static void trainTinyModel() throws IOException {
        corpus = tmp.resolve("tiny.txt");
        Files.writeString(corpus, tinyText());
        run = tmp.resolve("run");
        trained = run(train("--text", corpus.toString(), "--out", run.toString(), "--steps", "60", "--json")).json();
    }

    static String[] train(String... args) {
        return concat(new String[] {"train"}, concat(TINY, args));
    }

    /** A tiny model trained for 20 steps on {@code text} into the run directory {@code out}, which it returns. */
    static Path trainTiny(Path text, Path out) {
        Outcome trained = run(train("--text", text.toString(), "--out", out.toString(), "--steps", "20"));
        assertEquals(0, trained.exitCode(), trained.err());
        return out;
    }

    // ------------------------------------------------------------------ train

    @Test
    void trainWritesCheckpointsNamedWithTheirValidationLossAndLatest() throws IOException {
        List<String> names = listing(run);
        assertEquals(4, names.size(), names.toString());
        assertTrue(names.contains("latest.safetensors"), names.toString());
        JsonNode validations = trained.get("validations");
        assertEquals(3, validations.size(), trained.toString());
        for (int i = 0; i < 3; i++) {
            JsonNode v = validations.get(i);
            assertEquals(20L * (i + 1), v.get("step").asLong());
            String name = String.format(java.util.Locale.ROOT, "step-%06d-val-%.4f.safetensors", v.get("step").asLong(), v.get("loss").asDouble());
            assertTrue(names.contains(name), name + " in " + names);
            assertEquals(v.get("loss").asDouble() / Math.log(2), v.get("bitsPerChar").asDouble(), 1e-9);
        }
        assertEquals(60, trained.get("step").asLong());
        assertFalse(trained.get("interrupted").asBoolean());
        assertEquals(60, trained.get("reports").size());
        JsonNode report = trained.get("reports").get(59);
        for (String field : new String[] {"loss", "bitsPerChar", "preClipNorm", "postClipNorm"}) {
            assertTrue(report.get(field).isNumber(), field);
        }
        assertTrue(validations.get(2).get("loss").asDouble() < validations.get(0).get("loss").asDouble(),
                "validation loss falls: " + validations);
        Checkpoint.Loaded latest = Checkpoint.load(run.resolve("latest.safetensors"));
        assertEquals(60, latest.training().step());
        assertEquals(CharVocabulary.of(tinyText()), latest.vocabulary());
        assertEquals("16", latest.metadata().get("seq"));
    }

    @Test
    void trainTextOutputHasAHeaderARowPerValidationAndASummary() throws IOException {
        Path out = tmp.resolve("text-output");
        Outcome o = run(train("--text", corpus.toString(), "--out", out.toString(), "--steps", "40"));
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().startsWith("Training a lstm character model: 1 layer of 16, embedding 8"), o.out());
        assertEquals(2, o.out().lines().filter(l -> l.matches("\\s+(20|40)\\s+0\\.\\d\\d\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{3}\\s+step-0000[24]0-val-.*")).count(), o.out());
        assertTrue(o.out().contains("done: 40 steps") && o.out().contains("best validation loss"), o.out());
        assertEquals("", o.err(), "--progress none prints nothing on stderr");
    }

    @Test
    void progressLinesGoToStderrAndJsonStdoutStaysClean() throws IOException {
        Path out = tmp.resolve("lines");
        String[] args = train("--text", corpus.toString(), "--out", out.toString(), "--steps", "20", "--json");
        args[List.of(args).indexOf("none")] = "lines";
        Outcome o = run(args);
        new ObjectMapper().readTree(o.out());
        assertTrue(o.err().startsWith("step 1/20 (5%) loss "), o.err());
        assertTrue(o.err().contains("bpc") && o.err().contains("norm") && o.err().contains("char/s") && o.err().contains("ETA"), o.err());
    }

    @Test
    void resumingGivesExactlyTheWeightsOfOneUninterruptedRun() throws IOException {
        Path split = tmp.resolve("split");
        assertEquals(0, run(train("--text", corpus.toString(), "--out", split.toString(), "--steps", "40")).exitCode());
        JsonNode resumed = run("train", "--text", corpus.toString(), "--resume", split.resolve("latest.safetensors").toString(),
                "--steps", "60", "--progress", "none", "--json").json();
        assertEquals(40, resumed.get("startStep").asLong());
        assertEquals(60, resumed.get("step").asLong());
        assertEquals(split.resolve("latest.safetensors").toString(), resumed.get("latest").asText(), "--out defaults to the checkpoint's directory");
        assertEquals(16, resumed.get("seq").asInt(), "settings come from the checkpoint");
        float[] once = Checkpoint.load(run.resolve("latest.safetensors")).params().values();
        float[] twice = Checkpoint.load(split.resolve("latest.safetensors")).params().values();
        assertArrayEquals(once, twice);
        assertTrue(listing(split).stream().anyMatch(n -> n.startsWith("step-000060-val-")), listing(split).toString());
    }

    /** What a save killed before its rename leaves goes when the run resumes; files that only look alike stay. */
    @Test
    void aResumedRunRemovesTheTemporaryFilesOfKilledSaves() throws IOException {
        Path dir = copyOfRun("killed-mid-save");
        List<String> stale = List.of(".latest.safetensors.3fa9c01d2b7e4c55.tmp", ".step-000060-val-2.1034.safetensors.9c1.tmp");
        List<String> others = List.of(".notes.txt.3fa9.tmp", ".model.safetensors.3fa9.tmp", "latest.safetensors.3fa9.tmp");
        for (String name : concat(stale.toArray(String[]::new), others.toArray(String[]::new))) {
            Files.write(dir.resolve(name), new byte[64]);
        }
        JsonNode resumed = run("train", "--text", corpus.toString(), "--resume", dir.toString(), "--steps", "62",
                "--progress", "none", "--json").json();
        assertEquals(62, resumed.get("step").asLong());
        List<String> after = listing(dir);
        for (String name : stale) {
            assertFalse(after.contains(name), name + " is left in " + after);
        }
        assertTrue(after.containsAll(others), after.toString());
    }

    @Test
    void resumeKeepsTheTargetOfTheRunAndRefusesToGoNowhere() throws IOException {
        Path dir = copyOfRun("resume-target");
        Outcome o = run("train", "--text", corpus.toString(), "--resume", dir.toString(), "--progress", "none");
        assertEquals(1, o.exitCode());
        assertOneLineError(o, "the checkpoint is at step 60, already at the target of 60 steps");
    }

    @Test
    void resumeRejectsChangedSizesAndSettingsAndLeavesTheRunAlone() throws IOException {
        Path dir = copyOfRun("resume-changed");
        Map<String, String> before = snapshot(dir);
        String latest = dir.resolve("latest.safetensors").toString();
        Outcome batch = run("train", "--text", corpus.toString(), "--resume", latest, "--steps", "80", "--batch", "4");
        assertOneLineError(batch, "--batch 4 differs from the checkpoint's 2");
        Outcome hidden = run("train", "--text", corpus.toString(), "--resume", latest, "--steps", "80", "--hidden", "32");
        assertOneLineError(hidden, "--hidden 32 differs from the checkpoint's 16");
        Path other = tmp.resolve("other.txt");
        Files.writeString(other, new StringBuilder(tinyText()).reverse().toString());
        Outcome text = run("train", "--text", other.toString(), "--resume", latest, "--steps", "80");
        assertOneLineError(text, "is not the text the checkpoint was trained on (tiny.txt, ");
        Outcome notTrained = run("train", "--text", corpus.toString(), "--resume", corpus.toString(), "--steps", "80");
        assertOneLineError(notTrained, "--resume " + corpus + " is not an Unroll checkpoint");
        assertEquals(before, snapshot(dir));
    }

    @Test
    void anOutputDirectoryWithCheckpointsIsRefusedUnlessResumingOrForced() throws IOException {
        Path dir = copyOfRun("occupied");
        Map<String, String> before = snapshot(dir);
        Outcome o = run(train("--text", corpus.toString(), "--out", dir.toString(), "--steps", "20"));
        assertOneLineError(o, "--out " + dir + " already holds 4 checkpoints");
        assertTrue(o.err().contains("--resume") && o.err().contains("--force"), o.err());
        assertEquals(before, snapshot(dir));

        JsonNode forced = run(train("--text", corpus.toString(), "--out", dir.toString(), "--steps", "20", "--force", "--json")).json();
        assertEquals(20, forced.get("step").asLong());
        Map<String, String> after = snapshot(dir);
        for (String name : before.keySet()) {
            if (name.startsWith("step-000040") || name.startsWith("step-000060")) {
                assertEquals(before.get(name), after.get(name), name + " of the old run is kept");
            }
        }
        assertEquals(20, Checkpoint.load(dir.resolve("latest.safetensors")).training().step(), "latest is the new run's");
    }

    @Test
    void anOutputPathThatCannotBeADirectoryIsAnError() {
        assertOneLineError(run(train("--text", corpus.toString(), "--out", corpus.toString(), "--steps", "20")),
                "--out " + corpus + " is a file, expected a directory for the checkpoints");
        assertOneLineError(run(train("--text", corpus.toString(), "--out", corpus.resolve("under").toString(), "--steps", "20")),
                "--out " + corpus.resolve("under") + " cannot be created: ");
        // found before the model is even sized: this one would not fit the heap
        assertOneLineError(run("train", "--text", corpus.toString(), "--out", corpus.resolve("under").resolve("deeper").toString(),
                "--hidden", "23000"), "--out " + corpus.resolve("under").resolve("deeper") + " cannot be created: " + corpus.toAbsolutePath()
                + " is a file, not a directory");
    }

    @Test
    void badTextFilesGiveOneLineErrorsAndCreateNothing() throws IOException {
        Path out = tmp.resolve("never");
        Path empty = Files.write(tmp.resolve("empty.txt"), new byte[0]);
        Path binary = Files.write(tmp.resolve("binary.bin"), new byte[] {'a', 'b', 0, 'c'});
        Path latin1 = Files.write(tmp.resolve("latin1.txt"), "caf\u00e9 au lait\n".getBytes(StandardCharsets.ISO_8859_1));
        Path missing = tmp.resolve("missing.txt");
        assertOneLineError(run(train("--text", missing.toString(), "--out", out.toString())), "--text " + missing + " does not exist");
        assertOneLineError(run(train("--text", empty.toString(), "--out", out.toString())), "--text " + empty + " is empty");
        assertOneLineError(run(train("--text", binary.toString(), "--out", out.toString())), "is a binary file (NUL byte at offset 2)");
        assertOneLineError(run(train("--text", latin1.toString(), "--out", out.toString())),
                "is not UTF-8 text: invalid byte 0xE9 at offset 3 (line 1, column 4)");
        assertOneLineError(run(train("--text", tmp.toString(), "--out", out.toString())), "is a directory, expected a text file");
        Path shortText = Files.writeString(tmp.resolve("short.txt"), "just a few words\n");
        assertOneLineError(run(train("--text", shortText.toString(), "--out", out.toString())), "too few for 2 streams of 16");
        assertFalse(Files.exists(out), "no output directory for a run that never started");
        for (String name : new String[] {"empty.txt", "binary.bin", "latin1.txt"}) {
            Outcome score = run("score", "--model", run.toString(), "--text", tmp.resolve(name).toString());
            assertEquals(1, score.exitCode());
            assertEquals(1, score.errLines().size(), score.err());
        }
    }

    /**
     * Sizes whose products overflow an array, or whose model the heap cannot hold, are one line
     * naming them, found before anything large is allocated and before the output directory exists.
     */
    @Test
    void sizesBeyondAnArrayOrTheHeapAreOneLineAndCreateNothing() {
        Path out = tmp.resolve("never-huge");
        String text = corpus.toString();
        assertOneLineError(run("train", "--text", text, "--out", out.toString(), "--hidden", "1000000000"),
                "rnn.weight_ih_l0 [gates, hidden size, input size] = [4, 1000000000, 64] would hold 256,000,000,000 values,"
                        + " more than one Java array can");
        assertOneLineError(run("train", "--text", text, "--out", out.toString(), "--layers", "100000"),
                "the parameters number 2,147,");
        // 2.1 billion parameters: 34 GB with their gradients and Adam's moments alone
        Outcome heap = run("train", "--text", text, "--out", out.toString(), "--hidden", "23000");
        assertOneLineError(heap, "unroll: error: training this model (lstm, 1 layer of 23000, embedding 64, vocabulary ");
        assertTrue(heap.err().contains(" on 32 streams x 100 characters (parameters with gradients and Adam moments 31.6 GB,"), heap.err());
        assertTrue(heap.err().contains("more than the " + io.unroll.tensor.Memory.format(Runtime.getRuntime().maxMemory())
                + " this JVM may use (its maximum heap, -Xmx); use a smaller hidden size"), heap.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void nonsenseSizesAreUsageErrors() {
        String[][] cases = {
            {"--hidden", "0", "--hidden is 0, expected a positive number"},
            {"--layers", "-1", "--layers is -1, expected a positive number"},
            {"--embedding", "0", "--embedding is 0"},
            {"--seq", "0", "--seq is 0, expected a positive number"},
            {"--tbptt", "0", "--tbptt is 0"},
            {"--batch", "-2", "--batch is -2"},
            {"--lr", "0", "--lr is 0.0, expected a finite number > 0"},
            {"--clip", "-1", "--clip is -1.0"},
            {"--val-fraction", "0.5", "--val-fraction is 0.5, expected a number in [0, 0.5)"},
            {"--val-fraction", "-0.1", "--val-fraction is -0.1"},
            {"--val-every", "0", "--val-every is 0"},
            {"--steps", "0", "--steps is 0"},
            {"--epochs", "0", "--epochs is 0.0"},
            {"--epochs", "NaN", "--epochs is NaN"},
            {"--hidden", "many", "Invalid value for option '--hidden': 'many' is not an int"},
        };
        Path out = tmp.resolve("never-sizes");
        for (String[] c : cases) {
            Outcome o = run("train", "--text", corpus.toString(), "--out", out.toString(), c[0], c[1]);
            assertEquals(Main.EXIT_USAGE, o.exitCode(), String.join(" ", c) + ": " + o.err());
            assertOneLineError(o, c[2]);
        }
        assertOneLineError(run(train("--text", corpus.toString(), "--steps", "5", "--epochs", "1")), "--steps and --epochs both given");
        assertOneLineError(run(train("--text", corpus.toString(), "--out", out.toString(), "--cell", "lstn")), "unknown cell 'lstn'");
        assertOneLineError(run("train", "--text", corpus.toString(), "--out", out.toString(), "--progress", "fancy"), "--progress is 'fancy'");
        assertFalse(Files.exists(out));
    }

    // ------------------------------------------------------------------ sample

    @Test
    void samplePrintsThePrimeAndLengthCharactersOfTheVocabulary() {
        Outcome o = run("sample", "--model", run.resolve("latest.safetensors").toString(), "--prime", "the ", "--length", "80");
        assertEquals(0, o.exitCode(), o.err());
        String text = o.out();
        assertTrue(text.startsWith("the "), text);
        String sample = text.substring(4);
        if (sample.codePointCount(0, sample.length()) == 81) {
            sample = sample.substring(0, sample.length() - 1); // the newline that ends the output
        }
        assertEquals(80, sample.codePointCount(0, sample.length()), text);
        CharVocabulary vocabulary = CharVocabulary.of(tinyText());
        sample.codePoints().forEach(cp -> assertTrue(vocabulary.contains(cp), "in the vocabulary: " + cp));
    }

    @Test
    void sampleIsReproducibleBySeedAndLowTemperatureIsMoreLikely() throws IOException {
        String model = run.toString();
        JsonNode a = run("sample", "--model", model, "--length", "200", "--seed", "7", "--json").json();
        JsonNode b = run("sample", "--model", model, "--length", "200", "--seed", "7", "--json").json();
        JsonNode c = run("sample", "--model", model, "--length", "200", "--seed", "8", "--json").json();
        assertEquals(a.get("text").asText(), b.get("text").asText());
        assertNotEquals(a.get("text").asText(), c.get("text").asText());
        assertEquals(200, a.get("text").asText().length());
        assertEquals("\n", a.get("prime").asText());

        // a cold sample is text the model finds more likely than a hot one
        Path cold = Files.writeString(tmp.resolve("cold.txt"),
                "\n" + run("sample", "--model", model, "--length", "300", "--temperature", "0.3", "--json").json().get("text").asText());
        Path hot = Files.writeString(tmp.resolve("hot.txt"),
                "\n" + run("sample", "--model", model, "--length", "300", "--temperature", "3", "--json").json().get("text").asText());
        double coldBits = run("score", "--model", model, "--text", cold.toString(), "--json").json().get("bitsPerChar").asDouble();
        double hotBits = run("score", "--model", model, "--text", hot.toString(), "--json").json().get("bitsPerChar").asDouble();
        assertTrue(coldBits < hotBits, coldBits + " < " + hotBits);
    }

    @Test
    void inverseCdfDrawPicksTheBucketOfU() {
        float[] p = {0.25f, 0f, 0.5f, 0.25f};
        assertEquals(0, SampleCommand.draw(p, 0.0));
        assertEquals(0, SampleCommand.draw(p, 0.2499));
        assertEquals(2, SampleCommand.draw(p, 0.25));
        assertEquals(2, SampleCommand.draw(p, 0.7499));
        assertEquals(3, SampleCommand.draw(p, 0.75));
        assertEquals(3, SampleCommand.draw(p, 0.99999999), "rounding never picks an impossible id");
        assertEquals(1, SampleCommand.draw(new float[] {0.5f, 0.4999f, 0f}, 0.99999), "a total short of u gives the last possible id");
    }

    @Test
    void sampleBadInput() {
        String model = run.toString();
        assertOneLineError(run("sample", "--model", model, "--temperature", "0"), "--temperature is 0.0, expected a finite number > 0");
        assertOneLineError(run("sample", "--model", model, "--length", "0"), "--length is 0, expected a positive number");
        assertOneLineError(run("sample", "--model", model, "--prime", "the ZEBRA"),
                "--prime has 5 distinct characters (5 in all) that the model's vocabulary of");
        assertOneLineError(run("sample", "--model", model, "--prime", "the ZEBRA"), "'Z' (U+005A) at line 1, column 5");
        assertOneLineError(run("sample", "--model", corpus.toString()), "--model " + corpus + " is not an Unroll checkpoint:");
        assertOneLineError(run("sample", "--model", tmp.resolve("nope.safetensors").toString()), "nope.safetensors does not exist");
        assertOneLineError(run("sample", "--model", tmp.toString()), "is a directory without a latest.safetensors");
    }

    // ------------------------------------------------------------------ score

    @Test
    void scoreGivesBitsPerCharacterFromTheSecondCharacterOn() throws IOException {
        JsonNode doc = run("score", "--model", run.toString(), "--text", corpus.toString(), "--json").json();
        int n = tinyText().length();
        assertEquals(n, doc.get("characters").asInt());
        assertEquals(n - 1, doc.get("scored").asInt());
        assertEquals(1, doc.get("firstScored").asInt());
        JsonNode logProb = doc.get("logProb");
        JsonNode bits = doc.get("bits");
        assertEquals(n - 1, logProb.size());
        assertEquals(n - 1, bits.size());
        double sum = 0;
        for (int i = 0; i < n - 1; i++) {
            assertTrue(logProb.get(i).asDouble() <= 0);
            assertEquals(-logProb.get(i).asDouble() / Math.log(2), bits.get(i).asDouble(), 1e-9);
            sum += bits.get(i).asDouble();
        }
        assertEquals(sum / (n - 1), doc.get("bitsPerChar").asDouble(), 1e-9);
        assertEquals(Math.exp(doc.get("natsPerChar").asDouble()), doc.get("perplexity").asDouble(), 1e-9);

        // the model learned the text: a shuffle of the same characters is far less likely
        List<Character> chars = new ArrayList<>();
        for (char ch : tinyText().toCharArray()) {
            chars.add(ch);
        }
        Collections.shuffle(chars, new Random(1));
        StringBuilder shuffled = new StringBuilder();
        chars.forEach(shuffled::append);
        Path noise = Files.writeString(tmp.resolve("shuffled.txt"), shuffled);
        double noiseBits = run("score", "--model", run.toString(), "--text", noise.toString(), "--json").json().get("bitsPerChar").asDouble();
        assertTrue(doc.get("bitsPerChar").asDouble() + 0.5 < noiseBits, doc.get("bitsPerChar") + " vs shuffled " + noiseBits);
    }

    @Test
    void scoreTextOutput() {
        Outcome o = run("score", "--model", run.toString(), "--text", corpus.toString());
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("lstm, 1 x 16, embedding 8, " + CharVocabulary.of(tinyText()).size() + " characters, step 60"), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.matches("\\d\\.\\d{4} bits per character \\(\\d\\.\\d{4} nats, perplexity \\d+\\.\\d{3}\\)")), o.out());
        assertTrue(o.out().contains("least expected characters:"), o.out());
    }

    @Test
    void scoreNamesCharactersTheModelDoesNotKnowAndWhere() throws IOException {
        Path text = Files.writeString(tmp.resolve("foreign.txt"), "the cat sat.\nthe Cat sat on the caf\u00e9 mat.\nC\u00e9\u00e9\n");
        Outcome o = run("score", "--model", run.toString(), "--text", text.toString());
        assertOneLineError(o, "--text " + text + " has 2 distinct characters (5 in all) that the model's vocabulary of "
                + CharVocabulary.of(tinyText()).size() + " does not have: 'C' (U+0043) at line 2, column 5, '\u00e9' (U+00E9) at line 2, column 23");
        Path one = Files.writeString(tmp.resolve("one.txt"), "t");
        assertOneLineError(run("score", "--model", run.toString(), "--text", one.toString()), "has 1 character; scoring needs at least 2");
    }

    // ------------------------------------------------------------------ stream

    @Test
    void streamWritesOneLinePerInputCharacter() {
        Outcome o = runWithInput("the cat\n".getBytes(StandardCharsets.UTF_8), "stream", "--model", run.toString(), "--top", "3");
        assertEquals(0, o.exitCode(), o.err());
        List<String> lines = o.out().lines().toList();
        assertEquals(8, lines.size(), o.out());
        String[] inputs = {"'t'", "'h'", "'e'", "' '", "'c'", "'a'", "'t'", "'\\n'"};
        for (int i = 0; i < 8; i++) {
            assertTrue(lines.get(i).matches("\\Q" + inputs[i] + "\\E -> ('.{1,2}' [01]\\.\\d{4}\\s*){3}"), lines.get(i));
        }
        assertTrue(o.err().startsWith("unroll stream: "), o.err());
    }

    @Test
    void streamProbabilitiesAreTheScoresOfTheNextCharacter() throws IOException {
        String text = "my fox ate the hat.\n";
        int vocabulary = CharVocabulary.of(tinyText()).size();
        Outcome o = runWithInput(text.getBytes(StandardCharsets.UTF_8), "stream", "--model", run.toString(),
                "--top", Integer.toString(vocabulary + 5), "--json");
        assertEquals(0, o.exitCode(), o.err());
        List<String> lines = o.out().lines().toList();
        assertEquals(text.length(), lines.size());
        Path file = Files.writeString(tmp.resolve("stream-vs-score.txt"), text);
        JsonNode logProb = run("score", "--model", run.toString(), "--text", file.toString(), "--json").json().get("logProb");
        ObjectMapper mapper = new ObjectMapper();
        for (int i = 0; i + 1 < text.length(); i++) {
            JsonNode line = mapper.readTree(lines.get(i));
            assertEquals(String.valueOf(text.charAt(i)), line.get("input").asText());
            JsonNode next = line.get("next");
            assertEquals(vocabulary, next.size(), "--top is capped at the vocabulary size");
            double total = 0;
            double previous = 1;
            double actual = -1;
            for (JsonNode e : next) {
                double p = e.get("p").asDouble();
                assertTrue(p <= previous, "sorted, most likely first");
                previous = p;
                total += p;
                if (e.get("char").asText().equals(String.valueOf(text.charAt(i + 1)))) {
                    actual = p;
                }
            }
            assertEquals(1.0, total, 1e-4);
            assertEquals(Math.exp(logProb.get(i).asDouble()), actual, 1e-5, "position " + (i + 1));
        }
    }

    @Test
    void streamSkipsCharactersOutsideTheVocabularyAndKeepsGoing() {
        Outcome o = runWithInput("tZ\u00e9t".getBytes(StandardCharsets.UTF_8), "stream", "--model", run.toString());
        assertEquals(0, o.exitCode(), o.err());
        List<String> lines = o.out().lines().toList();
        assertEquals(4, lines.size(), o.out());
        assertEquals("'Z' -> not in the model's vocabulary (U+005A); skipped", lines.get(1));
        assertEquals("'\u00e9' -> not in the model's vocabulary (U+00E9); skipped", lines.get(2));
        assertTrue(lines.get(3).startsWith("'t' -> '"), lines.get(3));
    }

    @Test
    void streamBadInput() {
        assertOneLineError(run("stream", "--model", run.toString(), "--top", "0"), "--top is 0, expected a positive number");
        assertOneLineError(run("stream", "--model", corpus.toString()), "is not an Unroll checkpoint");
    }

    @Test
    void topKOrdersByProbability() {
        int[] best = new int[3];
        StreamCommand.topK(new float[] {0.1f, 0.4f, 0.05f, 0.3f, 0.15f}, best);
        assertArrayEquals(new int[] {1, 3, 4}, best);
        int[] all = new int[2];
        StreamCommand.topK(new float[] {0.5f, 0.5f}, all);
        assertArrayEquals(new int[] {0, 1}, all, "ties keep the lower id first");
    }

    // ------------------------------------------------------------------ helpers

    static void assertOneLineError(Outcome o, String expected) {
        assertNotEquals(0, o.exitCode(), o.out());
        assertEquals(1, o.errLines().size(), o.err());
        assertTrue(o.err().startsWith("unroll: error: "), o.err());
        assertTrue(o.err().contains(expected), "expected '" + expected + "' in: " + o.err());
    }

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** File name -> SHA-256 of its bytes. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        for (String name : listing(dir)) {
            try {
                files.put(name, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(name)))));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }
        return files;
    }

    static Path copyOfRun(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String file : listing(run)) {
            Files.copy(run.resolve(file), dir.resolve(file));
        }
        return dir;
    }
}
