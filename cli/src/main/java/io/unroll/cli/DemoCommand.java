package io.unroll.cli;

import io.unroll.experiment.CharExperiment;
import io.unroll.tensor.Rng;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unroll demo hello} and {@code unroll demo lm}: the hello-world and character language model
 * reference experiments (docs/spec.md#reference-experiments), printed epoch by epoch as they train.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a reference experiment: a small character RNN trained from scratch or framework style.",
        subcommands = {DemoCommand.Hello.class, DemoCommand.LanguageModel.class})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "hello", mixinStandardHelpOptions = true, description = {
        "Next-character prediction, from scratch. A tanh RNN (H=64, one-hot inputs,",
        "weights N(0,1)*0.01) learns \"hello world! hello world! hello world!\" with full BPTT,",
        "clipping at 5.0 and plain SGD (lr 0.05). Every 50 epochs: loss, pre-clip gradient norm,",
        "and the first 20 predicted vs target characters. --rng numpy starts from NumPy's weights.",
        "The procedure in full: docs/spec.md#hello-world."})
    static final class Hello implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Spec
        CommandSpec spec;
        @Option(names = "--epochs", defaultValue = "300", description = "Training epochs (default: ${DEFAULT-VALUE}).")
        int epochs;
        @Option(names = "--hidden", defaultValue = "64", description = "Hidden units (default: ${DEFAULT-VALUE}).")
        int hidden;

        @Override
        public Integer call() {
            Rng rng = common.newRng(42);
            return DemoCommand.run(spec.commandLine().getOut(), common, "hello",
                    "next-character prediction, from scratch",
                    String.format(Locale.ROOT, "tanh RNN, H=%d, one-hot inputs, single hidden bias, SGD lr 0.05, clip 5.0, %d epochs", hidden, epochs),
                    CharExperiment.helloWorld(epochs, hidden, rng), rng);
        }
    }

    @Command(name = "lm", mixinStandardHelpOptions = true, description = {
        "A character language model, framework style. Embedding (dim = H = 128),",
        "one tanh RNN layer, linear head, cross-entropy, Adam (lr 0.01), clip 5.0, 500 epochs on",
        "the hello-world text repeated five times; a report every 100 epochs.",
        "The procedure in full: docs/spec.md#character-language-model."})
    static final class LanguageModel implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Spec
        CommandSpec spec;
        @Option(names = "--epochs", defaultValue = "500", description = "Training epochs (default: ${DEFAULT-VALUE}).")
        int epochs;
        @Option(names = "--hidden", defaultValue = "128", description = "Hidden units and embedding size (default: ${DEFAULT-VALUE}).")
        int hidden;

        @Override
        public Integer call() {
            Rng rng = common.newRng(42);
            return DemoCommand.run(spec.commandLine().getOut(), common, "lm",
                    "character language model, framework style",
                    String.format(Locale.ROOT, "embedding %d -> tanh RNN H=%d -> linear head, Adam lr 0.01, clip 5.0, %d epochs", hidden, hidden, epochs),
                    CharExperiment.languageModel(epochs, hidden, rng), rng);
        }
    }

    private static int run(PrintWriter out, CommonOptions common, String name, String title, String setup,
                           CharExperiment experiment, Rng rng) {
        boolean json = common.json();
        if (!json) {
            out.printf("Experiment: %s%n", title);
            out.printf("text: \"%s\" (%d characters, vocabulary of %d)%n", abbreviate(experiment.text(), 60),
                    experiment.text().length(), experiment.model().vocabularySize());
            out.printf("model: %s; %s rng, seed %d%n%n", setup, rng.mode(), common.seedOr(42));
            out.printf("%6s  %8s  %10s  %-" + (experiment.shownCharacters() + 2) + "s  %s%n",
                    "epoch", "loss", "grad norm", "predicted", "target");
            out.flush();
        }
        String row = "%6d  %8.4f  %10.4f%s  %-" + (experiment.shownCharacters() + 2) + "s  %s%n";
        long start = System.nanoTime();
        CharExperiment.Result result = experiment.run(r -> {
            if (!json) {
                out.printf(Locale.ROOT, row, r.epoch(), r.loss(), r.gradNorm(),
                        r.gradNorm() > 5.0 ? "*" : " ", quote(r.predicted()), quote(r.target()));
                out.flush();
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] losses = result.losses();
        int clipped = 0;
        for (double n : result.gradNorms()) {
            clipped += n > 5.0 ? 1 : 0;
        }
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("experiment", name);
            doc.put("title", title);
            doc.put("model", setup);
            doc.put("rng", rng.mode());
            doc.put("seed", common.seedOr(42));
            doc.put("text", experiment.text());
            doc.put("reports", result.reports());
            doc.put("losses", losses);
            doc.put("gradNorms", result.gradNorms());
            doc.put("clippedEpochs", clipped);
            doc.put("seconds", seconds);
            Json.write(out, doc);
        } else {
            out.printf(Locale.ROOT, "%nloss %.4f -> %.4f over %d epochs in %.2f s; gradient clipped in %d epochs (* above)%n",
                    losses[0], losses[losses.length - 1], losses.length, seconds, clipped);
        }
        return 0;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
