package io.unroll.cli;

import io.unroll.data.CharVocabulary;
import io.unroll.stream.TokenStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unroll score}: how well a character model predicts a text, in bits per character.
 *
 * <p>The text is fed through one {@link TokenStream} from zero state, the state carried over the
 * whole text. Character {@code i} (counted in Unicode code points from 0) is scored by the model's
 * distribution after characters {@code 0 .. i-1}: {@code log p(x_i | x_<i)} from a log-softmax of
 * the logits in double precision. The first character has nothing before it (the model has no
 * start-of-text token), so it is not scored: a text of n characters gives n - 1 scores, and
 * bits per character is {@code -Σ log2 p / (n - 1)}.
 */
@Command(name = "score", sortOptions = false, mixinStandardHelpOptions = true, description = {
    "Bits per character of a text under a character model.",
    "",
    "Each character from the second on is scored by the model's prediction after all the "
        + "characters before it (the state carried over the whole text); the first character has "
        + "no context and is not scored. --json adds the log-probability of every scored position: "
        + "logProb[i] (natural log) and bits[i] belong to character i + 1.",
    ""})
public final class ScoreCommand implements Callable<Integer> {
    private static final int SURPRISES = 5;
    private static final int CONTEXT = 20;

    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;
    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to score.")
    Path text;

    /** One scored position: code point index, natural-log probability. */
    private record Position(int index, int charIndex, double logProb) {}

    @Override
    public Integer call() {
        String corpus = TextFiles.read(text, "--text");
        CharModels.CharModel loaded = model.load();
        CharVocabulary vocabulary = loaded.vocabulary();
        TextFiles.requireKnown(vocabulary, corpus, "--text " + text);
        int[] ids = vocabulary.encode(corpus);
        if (ids.length < 2) {
            throw new IllegalArgumentException("--text " + text + " has " + ids.length + " character; scoring needs at least 2"
                    + " (the first one has no context and is not scored)");
        }
        boolean json = common.json();
        double[] logProb = new double[ids.length - 1];   // [n - 1]: position i + 1
        TokenStream stream = new TokenStream(loaded.model());
        for (int i = 0; i + 1 < ids.length; i++) {
            logProb[i] = logSoftmaxAt(stream.step(ids[i]), ids[i + 1]);
        }
        double sum = 0;
        for (double lp : logProb) {
            sum += lp;
        }
        double nats = -sum / logProb.length;
        double bits = nats / Math.log(2);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            double[] bitsAt = new double[logProb.length];
            for (int i = 0; i < logProb.length; i++) {
                bitsAt[i] = -logProb[i] / Math.log(2);
            }
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("model", loaded.file().toString());
            doc.put("text", text.toString());
            doc.put("characters", ids.length);
            doc.put("scored", logProb.length);
            doc.put("firstScored", 1);
            doc.put("bitsPerChar", bits);
            doc.put("natsPerChar", nats);
            doc.put("perplexity", Math.exp(nats));
            doc.put("logProb", logProb);
            doc.put("bits", bitsAt);
            Json.write(out, doc);
            return 0;
        }
        out.printf("model: %s (%s)%n", loaded.file(), loaded.describe());
        out.printf(Locale.ROOT, "text: %s, %,d characters, %,d scored (the first has no context)%n", text, ids.length, logProb.length);
        out.printf(Locale.ROOT, "%.4f bits per character (%.4f nats, perplexity %.3f)%n", bits, nats, Math.exp(nats));
        List<Position> surprises = mostSurprising(corpus, logProb);
        if (!surprises.isEmpty()) {
            out.println();
            out.println("least expected characters:");
            for (Position p : surprises) {
                int from = corpus.offsetByCodePoints(p.charIndex(), -Math.min(CONTEXT, corpus.codePointCount(0, p.charIndex())));
                out.printf(Locale.ROOT, "  %6.2f bits  %-20s  %s after \"%s\"%n", -p.logProb() / Math.log(2),
                        TextFiles.lineColumn(corpus, p.charIndex()), TextFiles.quote(corpus.codePointAt(p.charIndex())),
                        escape(corpus.substring(from, p.charIndex())));
            }
        }
        out.flush();
        return 0;
    }

    /** {@code log softmax(logits)[target]}, in double precision. */
    static double logSoftmaxAt(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[target] - max - Math.log(sum);
    }

    private static List<Position> mostSurprising(String corpus, double[] logProb) {
        PriorityQueue<Position> lowest = new PriorityQueue<>((a, b) -> Double.compare(b.logProb(), a.logProb()));
        int charIndex = corpus.offsetByCodePoints(0, 1);
        for (int i = 0; i < logProb.length; i++) {
            lowest.add(new Position(i + 1, charIndex, logProb[i]));
            if (lowest.size() > SURPRISES) {
                lowest.poll();
            }
            charIndex += Character.charCount(corpus.codePointAt(charIndex));
        }
        List<Position> list = new ArrayList<>(lowest);
        list.sort((a, b) -> Double.compare(a.logProb(), b.logProb()));
        return list;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.append(cp == '"' ? "\\\"" : cp == '\'' ? "'" : TextFiles.escape(cp)));
        return sb.toString();
    }
}
