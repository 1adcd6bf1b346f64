package io.unroll.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.data.CharVocabulary;
import io.unroll.stream.TokenStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unroll stream}: live next-character prediction. Characters are read from stdin one at a
 * time as they arrive (a UTF-8 {@link InputStreamReader} read a character at a time, so nothing
 * waits for a newline or the end of input); each goes through a {@link TokenStream} whose state
 * carries over the whole input, and for each one line is written and flushed: the most likely next
 * characters with their probabilities ({@code softmax} of the logits, temperature 1). A character
 * outside the model's vocabulary gets a line saying so and leaves the state as it was. The command
 * ends at end of input.
 *
 * <p>Text lines look like {@code 'h' -> 'e' 0.4123  'a' 0.2101}; with {@code --json} each line is
 * a JSON object (JSON Lines): {@code {"input":"h","next":[{"char":"e","p":0.4123},...]}}.
 */
@Command(name = "stream", sortOptions = false, mixinStandardHelpOptions = true, description = {
    "Predict the next character of stdin, live, as each character arrives.",
    "",
    "For each character read, one line is printed and flushed at once: the --top most likely next "
        + "characters and their probabilities (JSON Lines with --json). The state carries over the "
        + "whole input; the command ends at the end of input. A terminal sends what you type a line "
        + "at a time; a pipe delivers characters as they are written.",
    ""})
public final class StreamCommand implements Callable<Integer> {
    private static final ObjectMapper LINE = new ObjectMapper();

    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;
    @Option(names = "--top", paramLabel = "<k>", defaultValue = "1",
            description = "How many of the most likely next characters to print (default: ${DEFAULT-VALUE}).")
    int top;

    private InputStream input = System.in;

    /** Reads from {@code in} instead of stdin (tests). */
    void setInput(InputStream in) {
        this.input = in;
    }

    @Override
    public Integer call() throws IOException {
        if (top <= 0) {
            throw new ParameterException(spec.commandLine(), "--top is " + top + ", expected a positive number");
        }
        CharModels.CharModel loaded = model.load();
        CharVocabulary vocabulary = loaded.vocabulary();
        int k = Math.min(top, vocabulary.size());
        boolean json = common.json();
        PrintWriter out = spec.commandLine().getOut();
        if (!json) {
            spec.commandLine().getErr().printf("unroll stream: %s (%s); one line per input character, until end of input%n",
                    loaded.file(), loaded.describe());
            spec.commandLine().getErr().flush();
        }
        TokenStream stream = new TokenStream(loaded.model());
        float[] probabilities = new float[vocabulary.size()];
        int[] best = new int[k];
        Reader reader = new InputStreamReader(input, StandardCharsets.UTF_8);
        int c;
        while ((c = reader.read()) != -1) {
            int codePoint = c;
            if (Character.isHighSurrogate((char) c)) {
                int low = reader.read();
                if (low != -1 && Character.isLowSurrogate((char) low)) {
                    codePoint = Character.toCodePoint((char) c, (char) low);
                }
            }
            if (!vocabulary.contains(codePoint)) {
                Map<String, Object> skipped = new LinkedHashMap<>();
                skipped.put("input", new String(Character.toChars(codePoint)));
                skipped.put("error", "not in the model's vocabulary; skipped");
                out.println(json ? compact(skipped)
                        : TextFiles.quote(codePoint) + " -> not in the model's vocabulary (U+"
                        + String.format(Locale.ROOT, "%04X", codePoint) + "); skipped");
                out.flush();
                continue;
            }
            TokenStream.softmax(stream.step(vocabulary.id(codePoint)), 1.0, probabilities);
            topK(probabilities, best);
            out.println(json ? jsonLine(vocabulary, codePoint, probabilities, best) : textLine(vocabulary, codePoint, probabilities, best));
            out.flush();
        }
        return 0;
    }

    private static String textLine(CharVocabulary vocabulary, int input, float[] p, int[] best) {
        StringBuilder sb = new StringBuilder(TextFiles.quote(input)).append(" ->");
        for (int id : best) {
            sb.append(String.format(Locale.ROOT, " %s %.4f ", TextFiles.quote(vocabulary.codePoint(id)), p[id]));
        }
        return sb.toString().stripTrailing();
    }

    private static String jsonLine(CharVocabulary vocabulary, int input, float[] p, int[] best) {
        List<Map<String, Object>> next = new ArrayList<>();
        for (int id : best) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("char", new String(Character.toChars(vocabulary.codePoint(id))));
            e.put("p", (double) p[id]);
            next.add(e);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("input", new String(Character.toChars(input)));
        doc.put("next", next);
        return compact(doc);
    }

    /** One JSON object on one line. */
    private static String compact(Map<String, Object> doc) {
        try {
            return LINE.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ids of the {@code best.length} largest probabilities, largest first (ties: lower id first). */
    static void topK(float[] p, int[] best) {
        int filled = 0;
        for (int i = 0; i < p.length; i++) {
            int at = filled;
            while (at > 0 && p[best[at - 1]] < p[i]) {
                at--;
            }
            if (at < best.length) {
                int end = Math.min(filled, best.length - 1);
                System.arraycopy(best, at, best, at + 1, end - at);
                best[at] = i;
                filled = Math.min(filled + 1, best.length);
            }
        }
    }
}
