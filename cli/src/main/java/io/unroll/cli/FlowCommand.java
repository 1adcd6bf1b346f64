package io.unroll.cli;

import io.unroll.cell.Cell;
import io.unroll.cell.CellType;
import io.unroll.flow.FlowProbe;
import io.unroll.flow.FlowSample;
import io.unroll.flow.FlowTelemetry;
import io.unroll.flow.FreshStack;
import io.unroll.flow.GradientDecay;
import io.unroll.flow.Health;
import io.unroll.flow.JacobianBound;
import io.unroll.flow.JacobianNorms;
import io.unroll.flow.LayerActivity;
import io.unroll.flow.MemoryHorizon;
import io.unroll.flow.StepGradients;
import io.unroll.flow.WeightSpectrum;
import io.unroll.io.Safetensors;
import io.unroll.io.StateDict;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Param;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * {@code unroll flow}: a one-shot probe of the gradient's journey back through time in one
 * recurrent stack on one sequence (docs/flow.md): the gradient reaching every step, the Jacobian
 * norms of the state against the bound, the spectrum of {@code W_hh}. The stack is a checkpoint's
 * (on the embedded characters of a text) or a fresh one drawn as {@code unroll decay} draws it (on
 * inputs ~ N(0, 1)).
 */
@Command(name = "flow", mixinStandardHelpOptions = true, description = {
    "The gradient's journey back through time in one stack on one sequence: the gradient",
    "reaching each step after a unit gradient 1/sqrt(H) on the last hidden state, the norms",
    "of the state Jacobians d s_(T-1) / d s_k against the bound (gamma_W gamma_phi)^(T-1-k),",
    "and the singular values of W_hh. A fresh stack by default (W_hh drawn as 'unroll decay'",
    "draws it, W_ih ~ N(0,1)*0.1, no biases, inputs ~ N(0,1), h0 = 0); or --model with --text.",
    "What each figure means and how it is computed: docs/flow.md."})
public final class FlowCommand implements Callable<Integer> {
    /** The largest T and H a probe takes: its Jacobians run S = H (2H for the LSTM) copies of the sequence. */
    static final int MAX_LENGTH = 5000;
    static final int MAX_HIDDEN = 1024;

    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;
    @Option(names = "--model", paramLabel = "CHECKPOINT",
            description = "Probe this checkpoint's recurrent stack (a directory means its latest.safetensors); needs --text.")
    Path model;
    @Option(names = "--text", paramLabel = "FILE", description = "With --model: the input sequence, its first --length characters.")
    Path text;
    @Option(names = "--weights", paramLabel = "FILE",
            description = "Probe the recurrent stack of a weights file (safetensors under PyTorch's names, with the metadata"
                    + " unroll.cell, as the playground's download and --save write it) on inputs ~ N(0,1).")
    Path weights;
    @Option(names = "--length", description = "Sequence length T (default: 80; with --model, the text's length up to 200).")
    Integer length;
    @Mixin
    RecurrentDrawOptions draw;
    @Option(names = "--hidden", defaultValue = "64", description = "Hidden units H (default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "1", description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--input", defaultValue = "1", description = "Input size I (default: ${DEFAULT-VALUE}).")
    int input;
    @Option(names = "--spectral-radius", paramLabel = "<r>",
            description = "Instead of --scale: rescale every gate block of W_hh to this spectral radius.")
    Double spectralRadius;
    @Option(names = "--forget-bias", paramLabel = "<b>",
            description = "LSTM only: a forget-gate bias b (the fresh stack's only bias), so f = sigmoid(b + ...) starts near"
                    + " sigmoid(b): 1 is the common choice; the larger, the longer the cell state keeps its gradient.")
    Double forgetBias;
    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write the figures as a self-contained HTML page with charts (no network needed to open it).")
    Path report;
    @Option(names = "--save", paramLabel = "FILE",
            description = "Also write the weights (PyTorch's names), the input x [1, T, I] and h0 [L, 1, H] (and c0) as safetensors.")
    Path save;

    /** What is probed: a stack, one sequence {@code [1, T, I]}, the state before it, and how it was made. */
    private record Subject(Recurrent stack, float[] input, State initial, Map<String, Object> description, String title) {}

    @Override
    public Integer call() throws IOException {
        if (model != null && weights != null) {
            throw usage("--model and --weights both name the stack to probe; give one");
        }
        Subject subject = model != null ? fromCheckpoint() : weights != null ? fromWeights() : fresh();
        if (save != null) {
            OutputFiles.checkWritable(save, "--save");
        }
        if (report != null) {
            OutputFiles.checkWritable(report, "--report");
        }
        FlowProbe probe = FlowProbe.of(subject.stack(), subject.input(), subject.initial());
        if (save != null) {
            save(subject, save);
        }
        if (report != null) {
            report(subject, probe).write(report);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.write(out, probe.document(subject.description()));
        } else {
            out.print(text(subject, probe));
        }
        return 0;
    }

    // ------------------------------------------------------------------ the subject

    private Subject fresh() {
        if (text != null) {
            throw usage("--text is the input of a --model; a fresh stack reads inputs ~ N(0, 1)");
        }
        int t = length == null ? 80 : length;
        checkRange("--length", t, MAX_LENGTH);
        checkRange("--hidden", hidden, MAX_HIDDEN);
        checkRange("--layers", layers, 8);
        checkRange("--input", input, 4096);
        if (draw.hasScale() && spectralRadius != null) {
            throw usage("--scale and --spectral-radius both set the size of W_hh; give one");
        }
        if (spectralRadius != null && !(spectralRadius > 0 && spectralRadius <= GradientDecay.MAX_SCALE)) {
            throw usage("--spectral-radius is " + spectralRadius + ", expected a number in (0, " + (int) GradientDecay.MAX_SCALE + "]");
        }
        CellType type = draw.cellType();
        if (forgetBias != null && (type != CellType.LSTM || !Double.isFinite(forgetBias))) {
            throw usage("--forget-bias is " + forgetBias + " for a " + type.id() + ", expected a finite number for an lstm"
                    + " (the only cell with a forget gate)");
        }
        Rng rng = common.newRng(7);
        FreshStack fresh = new FreshStack(type, input, hidden, layers, t, draw.scheme(), spectralRadius != null ? 1.0 : draw.gain(),
                spectralRadius, forgetBias);
        FreshStack.Drawn drawn = fresh.draw(rng);
        long seed = common.seedOr(7);
        return new Subject(drawn.stack(), drawn.input(), null, fresh.describe(rng.mode(), seed), fresh.title(rng.mode(), seed));
    }

    /** The stack of a weights file, on a sequence ~ N(0, 1) drawn as a fresh stack's is. */
    private Subject fromWeights() throws IOException {
        for (String option : new String[] {"--text", "--cell", "--activation", "--hidden", "--layers", "--input", "--init", "--scale",
            "--spectral-radius", "--forget-bias"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw usage(option + " describes a fresh stack; --weights has its own");
            }
        }
        int t = length == null ? 80 : length;
        checkRange("--length", t, MAX_LENGTH);
        Recurrent stack;
        try {
            stack = StateDict.recurrentStack(Safetensors.read(weights));
        } catch (NoSuchFileException e) {
            throw usage("--weights " + weights + " does not exist");
        }
        RecurrentConfig c = stack.config();
        Rng rng = common.newRng(7);
        float[] x = new float[t * c.inputSize()]; // [1, T, I]
        rng.fillGaussian(x, 0, x.length, 1.0);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("weights", weights.toString());
        d.put("cell", c.cell().id());
        d.put("layers", c.layers());
        d.put("hidden", c.hiddenSize());
        d.put("input", c.inputSize());
        d.put("length", t);
        d.put("rng", rng.mode());
        d.put("seed", common.seedOr(7));
        return new Subject(stack, x, null, d, String.format(Locale.ROOT, "%s, %d x %d, input %d, from %s, T=%d, inputs ~ N(0,1), seed %d",
                c.cell().id(), c.layers(), c.hiddenSize(), c.inputSize(), weights, t, common.seedOr(7)));
    }

    private Subject fromCheckpoint() {
        if (text == null) {
            throw usage("--model needs --text: the characters the stack reads");
        }
        for (String option : new String[] {"--cell", "--activation", "--hidden", "--layers", "--input", "--init", "--scale",
            "--spectral-radius", "--forget-bias", "--seed", "--rng"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw usage(option + " describes a fresh stack; a --model has its own");
            }
        }
        CharModels.CharModel m = CharModels.load(model);
        String chars = TextFiles.read(text, "--text");
        int available = chars.codePointCount(0, chars.length());
        int t = length == null ? Math.min(available, 200) : length;
        checkRange("--length", t, MAX_LENGTH);
        if (t > available) {
            throw usage("--length is " + t + " but --text " + text + " has only " + available + " characters");
        }
        String used = chars.substring(0, chars.offsetByCodePoints(0, t));
        TextFiles.requireKnown(m.vocabulary(), used, "--text " + text);
        Recurrent stack = m.model().rnn();
        float[] x = m.model().embedding().forward(m.vocabulary().encode(used)); // [1, T, E]
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", m.file().toString());
        d.put("text", text.toString());
        RecurrentConfig c = stack.config();
        d.put("cell", c.cell().id());
        d.put("layers", c.layers());
        d.put("hidden", c.hiddenSize());
        d.put("input", c.inputSize());
        d.put("length", t);
        return new Subject(stack, x.clone(), null, d, m.describe() + ", on the first " + t + " characters of " + text);
    }

    // ------------------------------------------------------------------ output

    private String text(Subject subject, FlowProbe probe) {
        StepGradients g = probe.gradients();
        JacobianNorms j = probe.jacobians();
        JacobianBound bound = probe.bound();
        int steps = g.steps();
        int top = g.layers() - 1;
        StringBuilder sb = new StringBuilder();
        sb.append("Gradient flow: ").append(subject.title()).append("\n\n");
        sb.append("||dL/dh_t|| after a unit gradient 1/sqrt(H) on every unit of the last hidden state").append(g.layers() > 1
                ? " (top layer)" : "").append(":\n");
        LogPlot curve = new LogPlot(Math.min(steps, 72), 12).series("dh", '●', g.dh(top));
        if (g.dc(top) != null) {
            curve.series("dc (cell state)", '○', g.dc(top));
        }
        sb.append(curve.render("step t"));
        double[] dh = g.dh(top);
        sb.append(String.format(Locale.ROOT, "ratio step 0 / step %d: %.3e%n", steps - 1, dh[0] / dh[steps - 1]));
        MemoryHorizon[] horizons = probe.horizons();
        for (int k = horizons.length - 1; k >= 0; k--) {
            sb.append(horizons.length > 1 ? "layer " + k + " " : "").append("memory horizon (the distance back at which the gradient"
                    + " on the state falls below 1% of its size at the last step): ").append(horizons[k] == null ? "none (no finite gradient)"
                    : horizons[k]).append('\n');
        }
        sb.append('\n');
        String state = subject.stack().config().cell().hasCellState() ? "(h, c)" : "h";
        sb.append(String.format(Locale.ROOT, "||d s_%d / d s_k||_2, s = %s of layer %d, against the bound (gamma_W gamma_phi)^(%d-k):%n",
                steps - 1, state, j.layer(), steps - 1));
        LogPlot jac = new LogPlot(Math.min(steps, 72), 12);
        if (bound.applicable()) {
            jac.series("bound", '·', bound.values());
        }
        jac.series("measured", '●', j.spectral()).rangeFrom(j.spectral());
        sb.append(jac.render("step k"));
        if (bound.applicable()) {
            sb.append(String.format(Locale.ROOT, "gamma_W = %.4g (largest singular value of W_hh), gamma_phi = %.3g", bound.gammaW(),
                    bound.gammaPhi()));
            int above = 0;
            double highest = Arrays.stream(j.spectral()).max().orElse(0);
            while (above < steps && bound.values()[above] > 10 * highest) {
                above++;
            }
            sb.append(above == 0 ? "\n" : String.format(Locale.ROOT, "; the bound is above the plot for k < %d (%.3g at k = 0)%n",
                    above, bound.values()[0]));
        } else {
            sb.append("no bound drawn: ").append(bound.reason()).append('\n');
        }
        if (!j.allConverged()) {
            sb.append("note: the spectral norm (Lanczos) did not reach 1e-6 relative at every step; see --json 'jacobianConverged'\n");
        }
        sb.append('\n');
        for (WeightSpectrum s : probe.spectra()) {
            double[] sv = s.singularValues();
            sb.append(String.format(Locale.ROOT, "W_hh of layer %d: singular values %.4g (largest) .. %.4g (median) .. %.4g (smallest)",
                    s.layer(), sv[0], sv[sv.length / 2], sv[sv.length - 1]));
            StringBuilder radii = new StringBuilder();
            for (WeightSpectrum.Block b : s.blocks()) {
                radii.append(radii.length() == 0 ? "" : ", ").append(b.gate()).append(' ')
                        .append(String.format(Locale.ROOT, "%.4g", b.spectralRadius()));
            }
            sb.append("; spectral radius ").append(radii).append('\n');
        }
        sb.append('\n');
        for (LayerActivity a : probe.activity()) {
            sb.append(activity(a)).append('\n');
        }
        sb.append("\nverdict:\n");
        for (Health.Finding f : probe.verdict().findings()) {
            sb.append("  ").append(f.words()).append('\n');
        }
        return sb.toString();
    }

    /** One layer's activity in a line: saturation or dead units, and the gate. */
    static String activity(LayerActivity a) {
        StringBuilder s = new StringBuilder("layer " + a.layer() + " on this sequence: ");
        if (!Double.isNaN(a.tanhSaturation())) {
            s.append(String.format(Locale.ROOT, "%.1f%% of tanh outputs saturated (|y| > %s)", 100 * a.tanhSaturation(),
                    FlowTelemetry.SATURATED));
        }
        if (!Double.isNaN(a.deadUnits())) {
            s.append(String.format(Locale.ROOT, "%.1f%% of ReLU units never fire", 100 * a.deadUnits()));
        }
        FlowSample.Gate g = a.gate();
        if (g != null) {
            s.append(String.format(Locale.ROOT, "; %s gate %s mean %.3f, %.1f%% above %s, %.1f%% below %s",
                    g.name().equals("f") ? "forget" : "update", g.name(), g.mean(), 100 * g.openShare(), FlowTelemetry.GATE_OPEN,
                    100 * g.shutShare(), FlowTelemetry.GATE_SHUT));
        }
        return s.toString();
    }

    /** The figures of {@link #text} as charts: the curves on log axes, and every layer's singular values. */
    private static HtmlReport report(Subject subject, FlowProbe probe) {
        StepGradients g = probe.gradients();
        JacobianNorms j = probe.jacobians();
        JacobianBound bound = probe.bound();
        int steps = g.steps();
        double[] t = new double[steps];
        for (int i = 0; i < steps; i++) {
            t[i] = i;
        }
        HtmlReport r = new HtmlReport("Gradient flow: " + subject.title());
        r.heading("The gradient reaching every step");
        List<HtmlReport.Series> curves = new ArrayList<>();
        for (int k = g.layers() - 1; k >= 0; k--) {
            curves.add(new HtmlReport.Series("||dL/dh_t||, layer " + k, g.dh(k)));
            if (g.dc(k) != null) {
                curves.add(new HtmlReport.Series("||dL/dc_t||, layer " + k, g.dc(k)));
            }
        }
        double[] dh = g.dh(g.layers() - 1);
        r.lineChart(String.format(Locale.ROOT, "A unit gradient 1/sqrt(H) on every unit of the top layer's last hidden state,"
                + " and the norm reaching each step; step 0 gets %.3e of it.", dh[0] / dh[steps - 1]), "step t", "norm", t,
                curves, true);
        r.heading("Jacobians of the state against the bound");
        List<HtmlReport.Series> jac = new ArrayList<>();
        jac.add(new HtmlReport.Series("||d s_T-1 / d s_k||_2", j.spectral()));
        jac.add(new HtmlReport.Series("||d s_T-1 / d s_k||_F", j.frobenius()));
        if (bound.applicable()) {
            jac.add(new HtmlReport.Series("bound (gamma_W gamma_phi)^(T-1-k)", bound.values()));
        }
        r.lineChart("Layer " + j.layer() + (bound.applicable()
                ? String.format(Locale.ROOT, "; gamma_W = %.4g, gamma_phi = %.3g.", bound.gammaW(), bound.gammaPhi())
                : "; no bound: " + bound.reason()), "step k", "norm", t, jac, true);
        r.heading("Singular values of W_hh");
        for (WeightSpectrum s : probe.spectra()) {
            double[] sv = s.singularValues();
            double[] index = new double[sv.length];
            for (int i = 0; i < sv.length; i++) {
                index[i] = i;
            }
            StringBuilder radii = new StringBuilder();
            for (WeightSpectrum.Block b : s.blocks()) {
                radii.append(radii.length() == 0 ? "" : ", ").append(b.gate())
                        .append(String.format(Locale.ROOT, " %.4g", b.spectralRadius()));
            }
            r.lineChart("Layer " + s.layer() + ", all gate blocks as one matrix, descending; spectral radius per block: " + radii
                    + ".", "index", "singular value", index, List.of(new HtmlReport.Series("sigma", sv)), false);
        }
        return r;
    }

    /** The stack's weights under PyTorch's names, the input and the initial state, for any other tool. */
    private static void save(Subject subject, Path file) throws IOException {
        Recurrent stack = subject.stack();
        RecurrentConfig c = stack.config();
        Safetensors.Writer w = Safetensors.writer();
        for (int k = 0; k < c.layers(); k++) {
            Cell cell = stack.cell(k);
            for (Param p : new Param[] {cell.weightIh(), cell.weightHh(), cell.biasIh(), cell.biasHh()}) {
                if (p != null) {
                    String name = p.name().substring(p.name().lastIndexOf('.') + 1);
                    w.putFloats(name, p.shape(), p.data(), p.offset());
                }
            }
        }
        int steps = subject.input().length / c.inputSize();
        w.putFloats("x", new int[] {1, steps, c.inputSize()}, subject.input());
        State h0 = subject.initial() != null ? subject.initial() : stack.zeroState(1);
        w.putFloats("h0", new int[] {c.layers(), 1, c.hiddenSize()}, h0.h());
        if (h0.hasCell()) {
            w.putFloats("c0", new int[] {c.layers(), 1, c.hiddenSize()}, h0.c());
        }
        w.metadata("format", "pt");
        w.metadata("unroll.cell", c.cell().id());
        w.write(file);
    }

    private void checkRange(String option, int value, int max) {
        if (value < 1 || value > max) {
            throw usage(option + " is " + value + ", expected 1 to " + max);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
