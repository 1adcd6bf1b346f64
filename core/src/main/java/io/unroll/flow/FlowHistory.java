package io.unroll.flow;

import io.unroll.layer.Recurrent;
import io.unroll.train.TrainingRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The gradient flow of a training run over time, for charts and JSON (docs/telemetry.md, Over a
 * whole run): every step's loss, pre- and post-clip norm and clipping; every validation; every
 * sample of a {@link FlowTelemetry} (the per-timestep gradient of the top layer, each layer's
 * memory horizon, saturation and gate); the spectral radius of every layer's {@code W_hh}; and the
 * verdict whenever it changes. {@link #series()} returns it all as one immutable record.
 *
 * <pre>{@code
 * FlowHistory history = FlowHistory.watch(run);   // a FlowTelemetry sampling every 10th step
 * run.run(TrainingRun.Plan.to(5_000).listener(history).build());
 * FlowHistory.Series s = history.series();
 * }</pre>
 *
 * <p>Its memory is bounded however long the run: each series keeps at most {@link #CAPACITY}
 * points, and when one fills up, neighbouring points are merged (per-step figures averaged,
 * samples thinned to every other one), so a series always spans the whole run at an even spacing.
 * The spectral radii cost an eigendecomposition per gate block, so they are taken on a sample only
 * while their time stays under {@link #SPECTRUM_SHARE} of the training time. Not thread-safe: it
 * is called on the training thread; read it there (from a listener) or after the run.
 */
public final class FlowHistory implements TrainingRun.Listener {
    /** The most points each series keeps: enough for a chart as wide as a screen, twice over. */
    public static final int CAPACITY = 2048;
    /** The most samples kept for the heat maps: rows of T values each. */
    public static final int SAMPLE_CAPACITY = 256;
    /** The share of the training time the spectral radii may take: one percent. */
    public static final double SPECTRUM_SHARE = 0.01;

    private final FlowTelemetry telemetry;
    private final Recurrent rnn;
    private final int layers;

    private final Averaged steps = new Averaged(5);      // step, loss, pre-clip, post-clip, clipped (0/1)
    private final List<Validation> validations = new ArrayList<>();
    private final Thinned<Sample> samples = new Thinned<>(SAMPLE_CAPACITY);
    private final Thinned<Spectrum> spectra = new Thinned<>(CAPACITY);
    private final List<VerdictChange> verdicts = new ArrayList<>();
    private double trainingSeconds;
    private double spectrumSeconds;
    private Path lastCheckpoint;
    private Health.Verdict verdict;
    private Sample newest;

    private FlowHistory(TrainingRun run, FlowTelemetry.Builder telemetry) {
        this.telemetry = telemetry.onSample(this::onSample).build();
        this.rnn = run.model().rnn();
        this.layers = rnn.config().layers();
        run.watch(this.telemetry);
    }

    /** Watches {@code run} with a {@link FlowTelemetry} of the default settings; add the history to the run's plan as a listener. */
    public static FlowHistory watch(TrainingRun run) {
        return watch(run, FlowTelemetry.builder());
    }

    /**
     * Watches {@code run} with the telemetry {@code settings} build (the history receives its
     * samples); add the history to the run's plan as a listener.
     */
    public static FlowHistory watch(TrainingRun run, FlowTelemetry.Builder settings) {
        return new FlowHistory(Objects.requireNonNull(run, "run"), Objects.requireNonNull(settings, "settings"));
    }

    /** The telemetry that feeds this history. */
    public FlowTelemetry telemetry() {
        return telemetry;
    }

    /** The verdict on the telemetry's summary now, naming the newest checkpoint of the run; null before the first step. */
    public Health.Verdict verdict() {
        return verdict;
    }

    @Override
    public void onStep(TrainingRun.StepReport report, TrainingRun.Pace pace) {
        trainingSeconds += report.seconds();
        steps.add(report.step(), report.loss(), report.preClipNorm(), report.postClipNorm(), report.clippedWindows() > 0 ? 1 : 0);
        if (verdict == null) {
            judge(report.step());
        }
    }

    @Override
    public void onValidation(TrainingRun.Validation v) {
        validations.add(new Validation(v.step(), v.loss(), v.trainLoss()));
    }

    @Override
    public void onCheckpoint(long step, Path file) {
        lastCheckpoint = file;
    }

    private void onSample(FlowSample s) {
        int[] horizon = new int[layers];
        double[] firstToLast = new double[layers];
        double[] saturation = new double[layers];
        double[] dead = new double[layers];
        double[] gate = new double[layers];
        for (int k = 0; k < layers; k++) {
            FlowSample.Layer l = s.layers().get(k);
            horizon[k] = l.horizon() == null ? -1 : l.horizon().steps();
            firstToLast[k] = l.firstToLast();
            saturation[k] = l.tanhSaturation();
            dead[k] = l.deadUnits();
            gate[k] = l.gate() == null ? Double.NaN : l.gate().mean();
        }
        FlowSample.Layer top = s.layers().get(layers - 1);
        newest = new Sample(s.step(), s.steps(), top.hNorms(), top.lastLossNorms(), horizon, firstToLast, saturation, dead, gate);
        samples.add(newest);
        if (spectrumSeconds <= SPECTRUM_SHARE * trainingSeconds) {
            long start = System.nanoTime();
            double[] radius = new double[layers];
            boolean finite = true;
            for (int k = 0; k < layers && finite; k++) {
                try {
                    radius[k] = Arrays.stream(WeightSpectrum.spectralRadii(rnn, k)).max().orElse(0);
                } catch (IllegalArgumentException nonFiniteWeights) {
                    finite = false; // the telemetry's non-finite step says so
                }
            }
            if (finite) {
                spectra.add(new Spectrum(s.step(), radius));
            }
            spectrumSeconds += (System.nanoTime() - start) / 1e9;
        }
        judge(s.step());
    }

    private void judge(long step) {
        Health.Verdict now = Health.judge(telemetry.summary(), lastCheckpoint);
        List<String> conditions = now.findings().stream().map(f -> f.condition().name()).distinct().toList();
        if (verdicts.isEmpty() || !verdicts.get(verdicts.size() - 1).conditions().equals(conditions)) {
            if (verdicts.size() == CAPACITY) {
                verdicts.remove(1); // keep the first and the newest changes
            }
            verdicts.add(new VerdictChange(step, conditions, now.words()));
        }
        verdict = now;
    }

    /**
     * The newest telemetry sample, or null before the first: what a live view redraws, without
     * copying the whole {@link #series()} (whose samples are thinned, so its last may be older).
     */
    public Sample newestSample() {
        return newest;
    }

    /** Everything recorded so far. */
    public Series series() {
        double[][] s = steps.columns();
        List<Sample> kept = samples.list();
        return new Series(rnn.config().cell().id(), layers, telemetry.summary().maxNorm(), s[0], s[1], s[2], s[3], s[4],
                List.copyOf(validations), kept, spectra.list(), List.copyOf(verdicts), verdict);
    }

    /**
     * A run's gradient flow over time. Per-step arrays are parallel and indexed by point; a point
     * may average several consecutive steps ({@code step} is its last).
     *
     * @param cell         the cell's id
     * @param layers       L
     * @param maxNorm      the clipping threshold ({@code Infinity}: none)
     * @param step         the last step of each point
     * @param loss         the mean training loss of the point's steps (nats)
     * @param preClipNorm  their mean pre-clip global gradient norm
     * @param postClipNorm their mean post-clip norm
     * @param clipRate     the share of them that were clipped
     * @param validations  every validation
     * @param samples      the telemetry's samples, thinned evenly to at most {@link #SAMPLE_CAPACITY}
     * @param spectra      the spectral radii, taken on samples within the time budget
     * @param verdicts     the verdict each time its conditions changed
     * @param verdict      the newest verdict, or null before the first step
     */
    public record Series(String cell, int layers, double maxNorm, double[] step, double[] loss, double[] preClipNorm,
                         double[] postClipNorm, double[] clipRate, List<Validation> validations, List<Sample> samples,
                         List<Spectrum> spectra, List<VerdictChange> verdicts, Health.Verdict verdict) {}

    /** A validation: its step, the held-out loss (NaN without held-out data) and the step's training loss. */
    public record Validation(long step, double loss, double trainLoss) {}

    /**
     * One telemetry sample, per layer where it says so.
     *
     * @param step         the training step
     * @param steps        T, the timesteps of its window
     * @param hNorms       the top layer's {@code ‖dL/dh_t‖} at every timestep
     * @param lastLossNorms the top layer's last-step gradient followed back alone ({@link FlowSample.Layer#lastLossNorms}),
     *                     or null on a sample that was not replayed
     * @param horizon      per layer, the memory horizon in steps, -1 where not measured on this sample
     * @param firstToLast  per layer, the share of the last step's gradient reaching the first (NaN where not measured)
     * @param tanhSaturation per layer (NaN for ReLU)
     * @param deadUnits    per layer (NaN except for ReLU)
     * @param gateMean     per layer, the mean of the LSTM's f or the GRU's z (NaN for the others)
     */
    public record Sample(long step, int steps, double[] hNorms, double[] lastLossNorms, int[] horizon, double[] firstToLast,
                         double[] tanhSaturation, double[] deadUnits, double[] gateMean) {}

    /** The largest spectral radius over the gate blocks of every layer's {@code W_hh}, at a step. */
    public record Spectrum(long step, double[] spectralRadius) {}

    /** From {@code step} on, the verdict's conditions ({@link Health.Condition} names) and words. */
    public record VerdictChange(long step, List<String> conditions, String words) {}

    /**
     * Points of a few figures, averaged over runs of consecutive additions: each point covers
     * {@code stride} additions, and when {@link #CAPACITY} points are full, neighbours merge and
     * the stride doubles (so the points keep covering equal runs of additions). The first figure is the point's last value (the step), the others means.
     */
    static final class Averaged {
        private final double[][] points;  // [figure][CAPACITY]
        private final double[] open;      // the point being filled: sums (the first figure: the last value)
        private int size;
        private int stride = 1;
        private int inOpen;

        Averaged(int figures) {
            points = new double[figures][CAPACITY];
            open = new double[figures];
        }

        void add(double... figures) {
            open[0] = figures[0];
            for (int f = 1; f < figures.length; f++) {
                open[f] += figures[f];
            }
            if (++inOpen == stride) {
                for (int f = 0; f < open.length; f++) {
                    points[f][size] = f == 0 ? open[0] : open[f] / stride;
                    open[f] = 0;
                }
                size++;
                inOpen = 0;
                if (size == CAPACITY) {
                    merge();
                }
            }
        }

        private void merge() {
            for (int i = 0; i < size / 2; i++) {
                points[0][i] = points[0][2 * i + 1];
                for (int f = 1; f < points.length; f++) {
                    points[f][i] = (points[f][2 * i] + points[f][2 * i + 1]) / 2;
                }
            }
            size /= 2;
            stride *= 2;
        }

        /** The points, the open one included (averaged over what it has), as {@code [figure][point]}. */
        double[][] columns() {
            int n = size + (inOpen > 0 ? 1 : 0);
            double[][] out = new double[points.length][n];
            for (int f = 0; f < points.length; f++) {
                System.arraycopy(points[f], 0, out[f], 0, size);
                if (inOpen > 0) {
                    out[f][size] = f == 0 ? open[0] : open[f] / inOpen;
                }
            }
            return out;
        }
    }

    /** Every {@code stride}-th item, the stride doubling (and every other kept item dropped) when {@code capacity} are kept. */
    static final class Thinned<T> {
        private final int capacity;
        private final List<T> kept = new ArrayList<>();
        private long offered;
        private long stride = 1;

        Thinned(int capacity) {
            this.capacity = capacity;
        }

        void add(T item) {
            if (offered++ % stride != 0) {
                return;
            }
            if (kept.size() == capacity) {
                for (int i = 0; i < capacity / 2; i++) {
                    kept.set(i, kept.get(2 * i));
                }
                kept.subList(capacity / 2, capacity).clear();
                stride *= 2;
                if ((offered - 1) % stride != 0) {
                    return;
                }
            }
            kept.add(item);
        }

        List<T> list() {
            return List.copyOf(kept);
        }
    }
}
