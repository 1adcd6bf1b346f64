package io.unroll.cli;

import io.unroll.flow.FlowHistory;
import io.unroll.flow.Health;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The HTML report of a training run's gradient flow, from its {@link FlowHistory} (any
 * {@code TrainingRun} watched by one): the verdict, the loss (against a baseline where the task
 * has one), the pre- and post-clip gradient norm and the clip rate, heat maps of the per-timestep
 * gradient over training, the memory horizon, the spectral radius of {@code W_hh}, the
 * activations, and when the verdict changed. docs/telemetry.md explains every figure.
 */
final class TrainingReport {
    private TrainingReport() {}

    /** A constant to draw beside the loss: a task's memoryless baseline, in the loss's unit. */
    record Baseline(String label, double value) {}

    /**
     * The report of {@code s}.
     *
     * @param baseline drawn beside the loss, or null
     */
    static HtmlReport of(String title, FlowHistory.Series s, Baseline baseline) {
        HtmlReport r = new HtmlReport(title);
        verdict(r, s);
        loss(r, s, baseline);
        norms(r, s);
        heatMaps(r, s);
        horizon(r, s);
        spectrum(r, s);
        activations(r, s);
        timeline(r, s);
        return r;
    }

    private static void verdict(HtmlReport r, FlowHistory.Series s) {
        r.heading("Verdict");
        if (s.verdict() == null) {
            r.paragraph("No step was taken: there is nothing to judge.");
            return;
        }
        List<HtmlReport.Finding> findings = new ArrayList<>();
        for (Health.Finding f : s.verdict().findings()) {
            String words = f.words();
            int colon = words.indexOf(':');
            findings.add(new HtmlReport.Finding(colon > 0 ? words.substring(0, colon + 1) : words,
                    colon > 0 ? words.substring(colon + 1).trim() : "", f.condition() != Health.Condition.HEALTHY));
        }
        r.findings(findings);
    }

    private static void loss(HtmlReport r, FlowHistory.Series s, Baseline baseline) {
        r.heading("Loss");
        double[] steps = s.step();
        List<FlowHistory.Validation> validations = s.validations();
        // one x axis: the training points and the validations, in step order, each series with gaps where it has no value
        double[] x = new double[steps.length + validations.size()];
        double[] train = new double[x.length];
        double[] held = new double[x.length];
        int i = 0;
        int v = 0;
        for (int p = 0; p < x.length; p++) {
            boolean takeValidation = v < validations.size() && (i == steps.length || validations.get(v).step() < steps[i]);
            if (takeValidation) {
                x[p] = validations.get(v).step();
                train[p] = Double.NaN;
                held[p] = validations.get(v++).loss();
            } else {
                x[p] = steps[i];
                train[p] = s.loss()[i++];
                held[p] = Double.NaN;
            }
        }
        List<HtmlReport.Series> series = new ArrayList<>();
        series.add(new HtmlReport.Series("training loss", train));
        if (validations.stream().anyMatch(val -> Double.isFinite(val.loss()))) {
            series.add(new HtmlReport.Series("validation loss", held));
        }
        String caption = "The mean loss of each point's steps (nats).";
        if (baseline != null) {
            double[] line = new double[x.length];
            Arrays.fill(line, baseline.value());
            series.add(new HtmlReport.Series(baseline.label(), line));
            caption += String.format(Locale.ROOT, " The %s is %.4g: a model below it has learned something it can only"
                    + " know by remembering.", baseline.label(), baseline.value());
        }
        r.lineChart(caption, "step", "loss", x, series, false);
    }

    private static void norms(HtmlReport r, FlowHistory.Series s) {
        r.heading("Gradient norm and clipping");
        List<HtmlReport.Series> series = new ArrayList<>();
        series.add(new HtmlReport.Series("pre-clip norm", s.preClipNorm()));
        series.add(new HtmlReport.Series("post-clip norm", s.postClipNorm()));
        boolean clipping = Double.isFinite(s.maxNorm());
        if (clipping) {
            double[] line = new double[s.step().length];
            Arrays.fill(line, s.maxNorm());
            series.add(new HtmlReport.Series("clipping threshold", line));
        }
        r.lineChart("The global L2 norm of all parameter gradients before and after clipping"
                + (clipping ? String.format(Locale.ROOT, " at %s.", s.maxNorm()) : " (no clipping)."), "step", "norm", s.step(),
                series, true);
        if (clipping) {
            r.lineChart("The share of updates clipped. Occasional clipped spikes are healthy; clipping on most updates means"
                    + " the learning rate or the initialisation is too large.", "step", "clip rate", s.step(),
                    List.of(new HtmlReport.Series("clip rate", s.clipRate())), new double[] {0, 1});
        }
    }

    private static void heatMaps(HtmlReport r, FlowHistory.Series s) {
        List<FlowHistory.Sample> samples = s.samples();
        if (samples.isEmpty()) {
            return;
        }
        r.heading("The gradient reaching every timestep, over training");
        int t = samples.get(0).steps();
        double[] columns = new double[t];
        for (int j = 0; j < t; j++) {
            columns[j] = j;
        }
        double[] rows = new double[samples.size()];
        double[][] values = new double[samples.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = samples.get(i).step();
            values[i] = samples.get(i).hNorms();
        }
        r.heatMap("||dL/dh_t|| of the top layer at every timestep t of a sampled step's first window (log colour): the"
                + " total gradient reaching h_t, from the loss at t and from every later step.", "timestep t", "training step",
                columns, rows, values);
        List<FlowHistory.Sample> replayed = samples.stream().filter(x -> x.lastLossNorms() != null).toList();
        if (!replayed.isEmpty()) {
            double[] replayRows = new double[replayed.size()];
            double[][] replayValues = new double[replayed.size()][];
            for (int i = 0; i < replayRows.length; i++) {
                replayRows[i] = replayed.get(i).step();
                replayValues[i] = replayed.get(i).lastLossNorms();
            }
            r.heatMap("The gradient arriving at the top layer's last timestep, followed back alone (log colour): how far back"
                    + " a gradient still arrives. The memory horizon is where it falls below 1% of its value at the last step.",
                    "timestep t", "training step", columns, replayRows, replayValues);
        }
    }

    private static void horizon(HtmlReport r, FlowHistory.Series s) {
        List<FlowHistory.Sample> measured = s.samples().stream().filter(x -> x.lastLossNorms() != null).toList();
        if (measured.isEmpty()) {
            return;
        }
        r.heading("Memory horizon");
        double[] x = new double[measured.size()];
        double[][] byLayer = new double[s.layers()][measured.size()];
        double[] window = new double[measured.size()];
        for (int i = 0; i < x.length; i++) {
            FlowHistory.Sample m = measured.get(i);
            x[i] = m.step();
            window[i] = m.steps() - 1;
            for (int k = 0; k < s.layers(); k++) {
                byLayer[k][i] = m.horizon()[k] < 0 ? Double.NaN : m.horizon()[k];
            }
        }
        List<HtmlReport.Series> series = new ArrayList<>();
        for (int k = s.layers() - 1; k >= 0; k--) {
            series.add(new HtmlReport.Series("horizon, layer " + k, byLayer[k]));
        }
        series.add(new HtmlReport.Series("window (the longest it can show)", window));
        r.lineChart("The distance back, in timesteps, at which the last step's gradient falls below 1% of its size there;"
                + " at the window it never does within it.", "step", "timesteps", x, series, false);
    }

    private static void spectrum(HtmlReport r, FlowHistory.Series s) {
        if (s.spectra().isEmpty()) {
            return;
        }
        r.heading("Spectral radius of W_hh");
        double[] x = new double[s.spectra().size()];
        double[][] byLayer = new double[s.layers()][x.length];
        double[] one = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = s.spectra().get(i).step();
            one[i] = 1;
            for (int k = 0; k < s.layers(); k++) {
                byLayer[k][i] = s.spectra().get(i).spectralRadius()[k];
            }
        }
        List<HtmlReport.Series> series = new ArrayList<>();
        for (int k = s.layers() - 1; k >= 0; k--) {
            series.add(new HtmlReport.Series("spectral radius, layer " + k, byLayer[k]));
        }
        series.add(new HtmlReport.Series("1", one));
        r.lineChart("The largest |eigenvalue| over the gate blocks of each layer's W_hh. Above 1, products of W_hh grow with"
                + " their length; below, they shrink (the nonlinearity's derivative shrinks them further). Taken on samples"
                + " while its cost stays under 1% of the training time.", "step",
                "spectral radius", x, series, false);
    }

    private static void activations(HtmlReport r, FlowHistory.Series s) {
        List<FlowHistory.Sample> samples = s.samples();
        if (samples.isEmpty()) {
            return;
        }
        double[] x = new double[samples.size()];
        String[] names = {"tanh saturated share", "dead ReLU share", s.cell().equals("lstm") ? "forget gate f mean" : "update gate z mean"};
        double[][][] figures = new double[3][s.layers()][x.length];
        for (int i = 0; i < x.length; i++) {
            FlowHistory.Sample m = samples.get(i);
            x[i] = m.step();
            for (int k = 0; k < s.layers(); k++) {
                figures[0][k][i] = m.tanhSaturation()[k];
                figures[1][k][i] = m.deadUnits()[k];
                figures[2][k][i] = m.gateMean()[k];
            }
        }
        List<HtmlReport.Series> series = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            for (int k = s.layers() - 1; k >= 0; k--) {
                if (Arrays.stream(figures[f][k]).anyMatch(Double::isFinite)) {
                    series.add(new HtmlReport.Series(names[f] + ", layer " + k, figures[f][k]));
                }
            }
        }
        if (series.isEmpty()) {
            return;
        }
        r.heading("Activations");
        r.lineChart("Shares of the sampled batch and window: tanh outputs beyond ±0.95 pass less than a tenth of their"
                + " gradient; a ReLU unit that never fires gets none; a gate near 1 keeps the memory and its gradient.",
                "step", "share", x, series, new double[] {0, 1});
    }

    private static void timeline(HtmlReport r, FlowHistory.Series s) {
        if (s.verdicts().isEmpty()) {
            return;
        }
        r.heading("How the verdict changed");
        List<HtmlReport.Finding> changes = new ArrayList<>();
        for (FlowHistory.VerdictChange c : s.verdicts()) {
            boolean healthy = c.conditions().equals(List.of(Health.Condition.HEALTHY.name()));
            changes.add(new HtmlReport.Finding("from step " + c.step() + ":", c.words().replace('\n', ' '), !healthy));
        }
        r.findings(changes);
    }
}
