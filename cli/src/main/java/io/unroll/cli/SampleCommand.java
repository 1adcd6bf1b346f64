package io.unroll.cli;

import io.unroll.data.CharVocabulary;
import io.unroll.stream.TokenStream;
import io.unroll.tensor.Rng;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unroll sample}: text from a character model. The prime text is fed through a
 * {@link TokenStream} one character at a time; then each next character is drawn from
 * {@code softmax(logits / T)} by inverse CDF with one uniform draw of the seeded {@link Rng}, printed
 * at once, and fed back in. The same model, prime, temperature, seed and stream give the same text.
 */
@Command(name = "sample", sortOptions = false, mixinStandardHelpOptions = true, description = {
    "Generate text with a character model trained by 'unroll train'.",
    "",
    "The model reads --prime, then draws --length characters one at a time from "
        + "softmax(logits / temperature), each fed back in, printing them as they come. The same "
        + "model, prime, temperature, --seed and --rng give the same text.",
    ""})
public final class SampleCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;
    @Option(names = "--temperature", paramLabel = "<t>", defaultValue = "1.0",
            description = "Softmax temperature > 0: below 1 more likely text, above 1 more surprising (default: ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--prime", paramLabel = "TEXT",
            description = "Text to start from, printed before the sample (default: a newline, not printed).")
    String prime;
    @Option(names = "--length", paramLabel = "<n>", defaultValue = "500",
            description = "Characters to generate (default: ${DEFAULT-VALUE}).")
    int length;

    @Override
    public Integer call() {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new ParameterException(spec.commandLine(), "--temperature is " + temperature + ", expected a finite number > 0");
        }
        if (length <= 0) {
            throw new ParameterException(spec.commandLine(), "--length is " + length + ", expected a positive number");
        }
        if (prime != null && prime.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--prime is empty, expected at least one character");
        }
        CharModels.CharModel loaded = model.load();
        CharVocabulary vocabulary = loaded.vocabulary();
        String start = prime;
        if (start == null) {
            if (!vocabulary.contains('\n')) {
                throw new IllegalArgumentException("the model's vocabulary has no newline to start from; give a start with --prime");
            }
            start = "\n";
        } else {
            TextFiles.requireKnown(vocabulary, start, "--prime");
        }
        Rng rng = common.newRng(42);
        boolean json = common.json();
        PrintWriter out = spec.commandLine().getOut();
        TokenStream stream = new TokenStream(loaded.model());
        float[] logits = null;
        for (int id : vocabulary.encode(start)) {
            logits = stream.step(id);
        }
        if (!json && prime != null) {
            out.print(prime);
            out.flush();
        }
        float[] probabilities = new float[vocabulary.size()];
        StringBuilder generated = new StringBuilder();
        boolean endsWithNewline = prime == null || prime.endsWith("\n");
        for (int i = 0; i < length; i++) {
            TokenStream.softmax(logits, temperature, probabilities);
            int id = draw(probabilities, rng.nextDouble());
            int codePoint = vocabulary.codePoint(id);
            generated.appendCodePoint(codePoint);
            if (!json) {
                out.print(Character.toChars(codePoint));
                out.flush();
            }
            endsWithNewline = codePoint == '\n';
            logits = stream.step(id);
        }
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("model", loaded.file().toString());
            doc.put("prime", start);
            doc.put("temperature", temperature);
            doc.put("length", length);
            doc.put("rng", rng.mode());
            doc.put("seed", common.seed());
            doc.put("text", generated.toString());
            Json.write(out, doc);
        } else if (!endsWithNewline) {
            out.println();
            out.flush();
        }
        return 0;
    }

    /**
     * Inverse-CDF draw: the first id whose cumulative probability exceeds {@code u} in [0, 1); if
     * rounding leaves the total a hair below {@code u}, the last id with non-zero probability.
     */
    static int draw(float[] probabilities, double u) {
        double cumulative = 0;
        int lastPossible = 0;
        for (int i = 0; i < probabilities.length; i++) {
            if (probabilities[i] > 0) {
                cumulative += probabilities[i];
                lastPossible = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return lastPossible;
    }
}
