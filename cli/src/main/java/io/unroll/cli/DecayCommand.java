package io.unroll.cli;

import io.unroll.bench.Table;
import io.unroll.cell.CellType;
import io.unroll.flow.GradientDecay;
import io.unroll.tensor.Rng;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unroll decay}: the gradient-decay experiment (docs/spec.md#gradient-decay), the mean
 * gradient norm reaching every timestep after a unit gradient is injected at the last one, as a
 * table of landmark steps and a log-scale chart.
 */
@Command(name = "decay", mixinStandardHelpOptions = true, description = {
    "How much gradient survives the trip back through time. Per trial: random",
    "W_hh, W_ih ~ N(0,1)*0.1, scalar inputs x_t ~ N(0,1); forward, then backward from",
    "dL/dh_T = ones/sqrt(H); the norm reaching each step is averaged over trials.",
    "Defaults: T=80, H=64, 20 trials, seed 7, tanh RNN, W_hh ~ N(0,1)*0.9/sqrt(H).",
    "The procedure and what it gives: docs/spec.md#gradient-decay."})
public final class DecayCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;
    @Option(names = "--length", defaultValue = "80", description = "Sequence length T (default: ${DEFAULT-VALUE}).")
    int length;
    @Option(names = "--hidden", defaultValue = "64", description = "Hidden units H (default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--trials", defaultValue = "20", description = "Random trials to average (default: ${DEFAULT-VALUE}).")
    int trials;
    @Mixin
    RecurrentDrawOptions draw;

    @Override
    public Integer call() {
        CellType type = draw.cellType();
        GradientDecay.Config config = new GradientDecay.Config(length, hidden, trials, type, draw.scheme(),
                draw.hasScale() ? draw.gain() : Double.NaN);
        Rng rng = common.newRng(7);
        GradientDecay.Result result = GradientDecay.run(config, rng);
        double[] norm = result.meanNorm();
        int last = length - 1;
        for (int t = last; t >= 0; t--) {
            if (!Double.isFinite(norm[t])) {
                // an overflow is the answer to how the gradient grows, but a table of NaN answers nothing
                throw new IllegalArgumentException(String.format(Locale.ROOT, "the mean gradient norm is %s at step %d of %d"
                        + " (%s, W_hh %s x %.3g): float32 overflowed, the gradient or the hidden states growing past 3.4e38"
                        + " on the way back; use a smaller --scale or a shorter --length", norm[t], t, length, type.id(),
                        config.init().id(), config.effectiveScale()));
            }
        }
        TreeSet<Integer> landmarks = new TreeSet<>(java.util.Comparator.reverseOrder());
        // the report rows of docs/spec.md#gradient-decay for T = 80: 79, 60, 40, 20, 0
        for (int t : new int[] {last, length * 3 / 4, length / 2, length / 4, 0}) {
            landmarks.add(Math.min(t, last));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("cell", type.id());
            doc.put("init", config.init().id());
            doc.put("scale", config.effectiveScale());
            doc.put("length", length);
            doc.put("hidden", hidden);
            doc.put("trials", trials);
            doc.put("rng", rng.mode());
            doc.put("seed", common.seedOr(7));
            doc.put("meanNorm", norm);
            doc.put("ratio", result.ratio());
            doc.put("perTrialNorm", result.perTrialNorm());
            Json.write(out, doc);
            return 0;
        }
        out.printf(Locale.ROOT, "Gradient decay: %s, W_hh %s x %.3g, T=%d, H=%d, %d trials, %s rng, seed %d%n",
                type.id(), config.init().id(), config.effectiveScale(), length, hidden, trials, rng.mode(), common.seedOr(7));
        out.println("mean ||dL/dh_t|| after injecting a unit gradient at the last step\n");
        Table table = new Table("step", "mean grad norm", "share of last");
        BarChart chart = new BarChart(50).withAxis(true);
        for (int t : landmarks) {
            table.addRow(t, String.format(Locale.ROOT, "%.4e", norm[t]), String.format(Locale.ROOT, "%.3e", norm[t] / norm[last]));
        }
        out.print(table.render());
        out.printf(Locale.ROOT, "%nratio step 0 / step %d: %.3e%n%n", last, result.ratio());
        int every = Math.max(1, length / 20);
        for (int t = last; t >= 0; t -= every) {
            chart.add("t=" + t, norm[t]);
        }
        if (last % every != 0) {
            chart.add("t=0", norm[0]);
        }
        out.print(chart.render());
        return 0;
    }
}
