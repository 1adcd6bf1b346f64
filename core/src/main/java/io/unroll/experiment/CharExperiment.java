package io.unroll.experiment;

import io.unroll.cell.CellType;
import io.unroll.data.CharVocabulary;
import io.unroll.init.Weights;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.Memory;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Clipping;
import io.unroll.train.Init;
import io.unroll.train.Optimizer;
import io.unroll.train.Sgd;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Next-character prediction on one short text, trained on the whole text as a single sequence with
 * full BPTT: the hello-world and character language model reference experiments
 * (docs/spec.md#reference-experiments).
 * <ol>
 *   <li>{@link #helloWorld}: from-scratch style. "hello world! hello world! hello world!", one-hot
 *   inputs, a tanh RNN with a single hidden bias, H = 64, every weight {@code N(0, 1)·0.01} drawn in
 *   the order W_x, W_h, W_y, biases 0, clip 5.0 with {@code max_norm / (norm + 1e-8)}, plain SGD
 *   lr 0.05, 300 epochs, a report every 50. With {@code Rng.numpy(42)} it starts from the weights of
 *   {@code np.random.seed(42)}.</li>
 *   <li>{@link #languageModel}: framework style. The same text followed by a space, five times,
 *   embedding dimension = H = 128, one tanh RNN layer, linear head, Adam lr 1e-2, clip 5.0 (PyTorch's
 *   ε), PyTorch's default initialisation, 500 epochs, a report every 100.</li>
 * </ol>
 * The loss and gradient norm recorded for an epoch are those computed before its update.
 */
public final class CharExperiment {
    /** The text of the hello-world experiment. */
    public static final String HELLO = "hello world! hello world! hello world!";

    /** What is shown for a report epoch. */
    public record Report(int epoch, double loss, double gradNorm, String predicted, String target) {}

    /** Every epoch's loss and pre-clip gradient norm, and the reports. */
    public record Result(double[] losses, double[] gradNorms, java.util.List<Report> reports, String text) {}

    private final String text;
    private final CharVocabulary vocabulary;
    private final SequenceModel model;
    private final ParamStore params;
    private final Optimizer optimizer;
    private final double clipNorm;
    private final double clipEpsilon;
    private final int epochs;
    private final int reportEvery;
    private final int shownChars;

    private CharExperiment(String text, SequenceModel model, ParamStore params, Optimizer optimizer,
                           double clipNorm, double clipEpsilon, int epochs, int reportEvery, int shownChars) {
        this.text = text;
        this.vocabulary = CharVocabulary.of(text);
        this.model = model;
        this.params = params;
        this.optimizer = optimizer;
        this.clipNorm = clipNorm;
        this.clipEpsilon = clipEpsilon;
        this.epochs = Check.positive("epochs", epochs);
        this.reportEvery = Check.positive("report interval", reportEvery);
        this.shownChars = shownChars;
    }

    /**
     * The hello-world experiment with the given number of epochs and random source; the reference run is
     * 300 epochs from {@code Rng.numpy(42)}, the weights of {@code np.random.seed(42)}.
     */
    public static CharExperiment helloWorld(int epochs, int hidden, Rng rng) {
        int v = CharVocabulary.of(HELLO).size();
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.oneHot(pb, v,
                RecurrentConfig.of(CellType.RNN_TANH, v, hidden, 1).withBiases(true, false));
        requireMemory("hello-world", pb, model, HELLO, 0, epochs);
        ParamStore params = pb.build();
        // W_x [H, V], W_h [H, H], W_y [V, H], in this order, each randn(rows, cols) * 0.01
        for (Param p : new Param[] {model.rnn().weightIh(0), model.rnn().weightHh(0), model.head().weight()}) {
            Weights.gaussian(p, 0.01, rng);
        }
        return new CharExperiment(HELLO, model, params, new Sgd(0.05), 5.0, 1e-8, epochs, 50, 20);
    }

    /** The character language model with the given number of epochs and random source; the reference run is 500 epochs. */
    public static CharExperiment languageModel(int epochs, int hidden, Rng rng) {
        String text = (HELLO + " ").repeat(5);
        int v = CharVocabulary.of(text).size();
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, v, RecurrentConfig.of(CellType.RNN_TANH, hidden, hidden, 1));
        requireMemory("language-model", pb, model, text, 2, epochs);
        ParamStore params = pb.build();
        // PyTorch's defaults: nn.Embedding N(0, 1); nn.RNN and nn.Linear U(±1/√fan_in)
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), io.unroll.init.InitScheme.PYTORCH, rng);
        model.head().initUniform(rng);
        return new CharExperiment(text, model, params, Adam.adam(1e-2), 5.0, Clipping.PYTORCH_EPSILON, epochs, 100, 40);
    }

    /**
     * Weighs what the experiment allocates against the heap, before the declared model is built:
     * the parameters with their gradients and {@code optimizerSlots} optimizer values each, the
     * workspace of the whole text as one sequence, and two doubles per epoch for the record.
     */
    private static void requireMemory(String name, ParamStore.Builder pb, SequenceModel model, String text, int optimizerSlots,
                                      int epochs) {
        long parameterBytes = 4L * (2 + optimizerSlots) * pb.size();
        long workspaceBytes = 4 * model.workspaceFloats(1, text.length() - 1);
        long recordBytes = 16L * Check.positive("epochs", epochs);
        Memory.require(String.format(Locale.ROOT, "the %s experiment with %,d hidden units for %,d epochs (parameters %s,"
                        + " workspace %s, the record of every epoch %s)", name, model.rnn().config().hiddenSize(), epochs,
                        Memory.format(parameterBytes), Memory.format(workspaceBytes), Memory.format(recordBytes)),
                parameterBytes + workspaceBytes + recordBytes, "use a smaller hidden size or fewer epochs, or a larger heap");
    }

    public String text() {
        return text;
    }

    /** How many predicted and target characters a report shows. */
    public int shownCharacters() {
        return shownChars;
    }

    public SequenceModel model() {
        return model;
    }

    public ParamStore params() {
        return params;
    }

    /** Trains for every epoch, calling {@code onReport} at every report epoch and at the last. */
    public Result run(Consumer<Report> onReport) {
        int[] ids = vocabulary.encode(text);
        int steps = ids.length - 1;
        int[] inputs = Arrays.copyOfRange(ids, 0, steps);
        int[] targets = Arrays.copyOfRange(ids, 1, steps + 1);
        String target = vocabulary.decode(Arrays.copyOf(targets, Math.min(shownChars, steps)));
        double[] losses = new double[epochs];
        double[] norms = new double[epochs];
        java.util.List<Report> reports = new java.util.ArrayList<>();
        for (int epoch = 0; epoch < epochs; epoch++) {
            params.zeroGrads();
            double loss = model.forward(inputs, targets, null, 1, steps, null);
            model.backward();
            double norm = Clipping.clipByGlobalNorm(params, clipNorm, clipEpsilon);
            losses[epoch] = loss;
            norms[epoch] = norm;
            if (epoch % reportEvery == 0 || epoch == epochs - 1) {
                String predicted = vocabulary.decode(Arrays.copyOf(model.argmax(), Math.min(shownChars, steps)));
                Report r = new Report(epoch, loss, norm, predicted, target);
                reports.add(r);
                onReport.accept(r);
            }
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                throw new IllegalStateException("training diverged at epoch " + epoch + ": loss " + loss
                        + ", gradient norm " + norm);
            }
            optimizer.step(params);
        }
        return new Result(losses, norms, reports, text);
    }
}
