package io.unroll.flow;

import io.unroll.cell.Cell;
import io.unroll.cell.CellType;
import io.unroll.cell.StepBuffers;
import io.unroll.kernel.Kernels;
import io.unroll.layer.Recurrent;
import io.unroll.layer.StepObserver;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.train.Clipping;
import io.unroll.train.TrainingRun;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Gradient-flow telemetry during ordinary training (docs/telemetry.md): attached to a
 * {@link TrainingRun} ({@link TrainingRun.Builder#telemetry}) or called by a training loop of
 * one's own, it records
 * <ul>
 *   <li>on every update: the pre-clip global gradient norm, whether it was clipped, and the first
 *   step whose loss or norm stopped being finite;</li>
 *   <li>on every n-th step (steps 1, 1 + n, 1 + 2n, …), from the step's first window: per layer and
 *   timestep {@code ‖dL/dh_t‖} (and {@code ‖dL/dc_t‖} for the LSTM), tanh saturation, ReLU units
 *   that never fire, the LSTM's forget gate or the GRU's update gate, and every parameter's
 *   gradient norm before clipping;</li>
 *   <li>on those of the sampled steps that lie at least {@link Builder#replayEvery} steps apart
 *   (the first one included): the gradient that reached each layer's last step followed back
 *   alone, which gives the memory horizon and the share of that gradient reaching the first step.</li>
 * </ul>
 * {@link #latest()}, {@link #samples()} and {@link #summary()} return them as immutable records;
 * {@link Health#judge(FlowSummary)} turns the summary into a verdict.
 *
 * <p>It never changes the math: the gradients of a step are the same with it as without. To
 * follow the last step's gradient back alone it runs each layer's backward steps once more
 * ({@code Cell.backward(t)}, which writes only the layer's scratch buffers) after the step's
 * backward is done and before the gradients are clipped, from a copy taken when the observer saw
 * the last step. That replay costs a sixth to a fifth of a training step, hence its own, sparser
 * schedule. Buffers are sized when the telemetry first sees the window's shape, so once warm a
 * step allocates nothing, sampled or not; the records are built when asked for (and, with
 * {@link Builder#onSample}, once per sampled step). docs/telemetry.md gives the measured overhead.
 *
 * <p>In a loop of one's own, attach the stack once ({@link #attach}); then per step call
 * {@link #beginStep}, run the stack's backward with {@link #backwardObserver}{@code (0)} as its
 * observer, call {@link #afterBackward}{@code (0)} before clipping and
 * {@link #onWindow}{@code (0, loss, preClipNorm)} after it. Not thread-safe: read it on the
 * training thread (from a {@link TrainingRun.Listener}) or after the run.
 */
public final class FlowTelemetry implements TrainingRun.Telemetry {
    /** Sample every 10th step by default: the measured overhead is then under 3 % (docs/telemetry.md). */
    public static final int DEFAULT_EVERY = 10;
    /**
     * Follow the last step's gradient back at most once every 40 steps by default: the replay
     * costs a sixth to a fifth of a step, so under 0.6 % of the training time.
     */
    public static final int DEFAULT_REPLAY_EVERY = 40;
    /** Updates in the rolling window of the clipping figures. */
    public static final int DEFAULT_WINDOW = 100;
    /** Samples (and replays) the summary averages. */
    public static final int DEFAULT_SAMPLES = 5;
    /**
     * A tanh output with {@code |y| > 0.95} counts as saturated: there {@code tanh' = 1 - y² < 0.0975},
     * so the unit passes less than a tenth of the gradient that reaches it.
     */
    public static final double SATURATED = 0.95;
    /** A gate above 0.9 counts as open: it keeps over 90 % of the memory, and of the gradient along it, per step. */
    public static final double GATE_OPEN = 0.9;
    /** A gate below 0.1 counts as shut: it passes under 10 % per step, so memory dies within a step or two. */
    public static final double GATE_SHUT = 0.1;

    private final int every;
    private final int replayEvery;
    private final int window;
    private final int kept;
    private final Consumer<FlowSample> onSample; // null for none

    // the stack watched, from attach
    private Recurrent rnn;
    private ParamStore params;
    private Param[] parameters;
    private double maxNorm = Double.POSITIVE_INFINITY;
    private CellType cell;
    private int layers;
    private int hidden;
    private float[] largest;         // [H] scratch of a sample: each unit's largest value
    private final double[] figures = new double[ActivationScan.FIGURES]; // scratch: one layer's activation figures
    private float[][] seedH;         // [L][B·H] dL/dh at the last step of the observed window
    private float[][] seedC;         // [L][B·H] dL/dc there, for the LSTM; null entries otherwise

    // every update
    private final double[] preClip;  // ring of the last `window` pre-clip norms
    private long updates;
    private long steps;
    private long step;
    private long nonFiniteStep = -1;
    private double nonFiniteLoss = Double.NaN;
    private double nonFiniteNorm = Double.NaN;

    // the sample of this step, written into slot `next` (and the replay into `replayNext`) as it is recorded
    private boolean sampleDue;       // this step is sampled and its first window has not ended
    private boolean replayDue;       // ... and its backward is to be replayed
    private boolean observing;       // the first window's backward is being recorded
    private long lastReplayStep;
    private boolean replayed;        // some step has been replayed
    private final StepObserver observer = this::record;

    // the kept samples: a ring of `kept` slots; the `filled` committed ones end just before `next`
    private int shapeSteps;          // T of every kept sample; 0 before the first
    private int next;
    private int filled;
    private final long[] slotStep;
    private final int[] slotBatch;
    private final double[] slotLoss;
    private final double[] slotPreClip;
    private final int[] slotReplay;  // the replay slot of each sample, or -1
    private double[][][] hNorm;      // [K][L][T]
    private double[][][] cNorm;      // [K][L][T], zeros without a cell state
    private double[][] saturation;   // [K][L]
    private double[][] dead;         // [K][L]
    private double[][] gateMean;     // [K][L]
    private double[][] gateOpen;     // [K][L]
    private double[][] gateShut;     // [K][L]
    private double[][] paramNorm;    // [K][P]
    // the kept replays, a ring like the samples'
    private int replayNext;
    private int replayFilled;
    private final long[] replayStep;
    private double[][][] lastLoss;   // [K][L][T]

    private FlowTelemetry(Builder b) {
        this.every = b.every;
        this.replayEvery = b.replayEvery;
        this.window = b.window;
        this.kept = b.samples;
        this.onSample = b.onSample;
        this.preClip = new double[window];
        this.slotStep = new long[kept];
        this.slotBatch = new int[kept];
        this.slotLoss = new double[kept];
        this.slotPreClip = new double[kept];
        this.slotReplay = new int[kept];
        this.replayStep = new long[kept];
    }

    /** Telemetry sampling every {@code steps}-th step, the rest by default. */
    public static FlowTelemetry every(int steps) {
        return builder().every(steps).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a {@link FlowTelemetry}. */
    public static final class Builder {
        private int every = DEFAULT_EVERY;
        private int replayEvery = DEFAULT_REPLAY_EVERY;
        private int window = DEFAULT_WINDOW;
        private int samples = DEFAULT_SAMPLES;
        private Consumer<FlowSample> onSample;

        private Builder() {}

        /** Sample steps 1, 1 + n, 1 + 2n, …; 1 samples every step. Default {@value FlowTelemetry#DEFAULT_EVERY}. */
        public Builder every(int steps) {
            this.every = Check.positive("sampling interval (steps)", steps);
            return this;
        }

        /**
         * Follow the last step's gradient back on a sampled step only if the previous replay is at
         * least this many steps before it (the first sampled step always); 1 replays every sample.
         * Default {@value FlowTelemetry#DEFAULT_REPLAY_EVERY}.
         */
        public Builder replayEvery(int steps) {
            this.replayEvery = Check.positive("replay interval (steps)", steps);
            return this;
        }

        /** The updates the clipping figures of the summary cover. Default {@value FlowTelemetry#DEFAULT_WINDOW}. */
        public Builder window(int updates) {
            this.window = Check.positive("clipping window (updates)", updates);
            return this;
        }

        /** The samples, and the replays, kept and averaged by the summary. Default {@value FlowTelemetry#DEFAULT_SAMPLES}. */
        public Builder samples(int count) {
            this.samples = Check.positive("samples kept", count);
            return this;
        }

        /**
         * Receives every sample as it is taken, on the training thread. Each one is a new record (a
         * few arrays of T doubles per layer): with it, a sampled step allocates that much.
         */
        public Builder onSample(Consumer<FlowSample> consumer) {
            this.onSample = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        public FlowTelemetry build() {
            return new FlowTelemetry(this);
        }
    }

    /** The sampling interval n. */
    public int every() {
        return every;
    }

    /**
     * Watches {@code rnn}, whose parameters are in {@code params}, clipped at {@code maxNorm}
     * ({@code Double.POSITIVE_INFINITY} for no clipping). A {@link TrainingRun} calls it when it is
     * built; a loop of one's own calls it once before the first step.
     *
     * @throws IllegalArgumentException if it already watches another stack (one telemetry per
     *                                  model) or the threshold is not a number > 0
     */
    @Override
    public void attach(Recurrent rnn, ParamStore params, double maxNorm) {
        Objects.requireNonNull(rnn, "rnn");
        Objects.requireNonNull(params, "params");
        if (this.rnn != null && this.rnn != rnn) {
            throw new IllegalArgumentException("this telemetry already watches another model (" + cell.id() + ", "
                    + layers + " layer(s) of " + hidden + "); make one FlowTelemetry per model");
        }
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipping threshold is " + maxNorm + ", expected a number > 0"
                    + " (Infinity for no clipping)");
        }
        this.rnn = rnn;
        this.params = params;
        this.parameters = params.params().toArray(new Param[0]);
        this.maxNorm = maxNorm;
        this.cell = rnn.config().cell();
        this.layers = rnn.config().layers();
        this.hidden = rnn.config().hiddenSize();
        this.largest = new float[hidden];
        this.seedH = new float[layers][0];
        this.seedC = new float[layers][];
    }

    @Override
    public void beginStep(long step) {
        if (rnn == null) {
            throw new IllegalStateException("telemetry not attached: a TrainingRun attaches it, a loop of one's own calls attach first");
        }
        this.step = step;
        steps++;
        sampleDue = (step - 1) % every == 0;
        replayDue = sampleDue && (!replayed || step - lastReplayStep >= replayEvery);
        observing = false;
    }

    /** The recording observer for the first window of a sampled step, else {@link StepObserver#NONE}. */
    @Override
    public StepObserver backwardObserver(int window) {
        if (!sampleDue || window != 0) {
            return StepObserver.NONE;
        }
        StepBuffers buf = rnn.cell(0).buffers();
        if (buf.steps != shapeSteps) {
            allocate(buf.steps); // the first sample, or windows of another length: the kept samples start over
        }
        if (replayDue && seedH[0].length != buf.batch * hidden) {
            for (int k = 0; k < layers; k++) {
                seedH[k] = new float[buf.batch * hidden];
                seedC[k] = cell.hasCellState() ? new float[buf.batch * hidden] : null;
            }
        }
        if (filled == kept) {
            filled--; // the oldest sample's slot is being overwritten
        }
        if (replayDue) {
            if (replayFilled == kept) {
                replayFilled--; // the oldest replay's slot is being overwritten
            }
            replayStep[replayNext] = -1; // until committed, it is no sample's replay
        }
        observing = true;
        return observer;
    }

    @Override
    public void afterBackward(int window) {
        if (!observing || window != 0) {
            return;
        }
        for (int k = 0; k < layers; k++) {
            if (replayDue) {
                replay(k, replayNext);
            }
            activations(k, next);
        }
        double[] norms = paramNorm[next];
        float[] grads = params.grads();
        for (int i = 0; i < parameters.length; i++) {
            norms[i] = Math.sqrt(Kernels.sumOfSquares(grads, parameters[i].offset(), parameters[i].size()));
        }
    }

    @Override
    public void onWindow(int window, double loss, double preClipNorm) {
        preClip[(int) (updates % this.window)] = preClipNorm;
        updates++;
        boolean finite = Double.isFinite(loss) && Double.isFinite(preClipNorm);
        if (!finite && nonFiniteStep < 0) {
            nonFiniteStep = step;
            nonFiniteLoss = loss;
            nonFiniteNorm = preClipNorm;
        }
        if (window == 0 && sampleDue) {
            if (observing && finite) {
                commit(loss, preClipNorm); // a sample that is not finite is dropped: its figures would be NaN
            }
            sampleDue = false;
            replayDue = false;
            observing = false;
        }
    }

    /** The newest sample, or null before the first. */
    public FlowSample latest() {
        return filled == 0 ? null : sample(slot(filled - 1));
    }

    /** The kept samples (at most the builder's {@code samples}), oldest first. */
    public List<FlowSample> samples() {
        List<FlowSample> list = new ArrayList<>(filled);
        for (int i = 0; i < filled; i++) {
            list.add(sample(slot(i)));
        }
        return list;
    }

    /** The rolling summary now. */
    public FlowSummary summary() {
        if (rnn == null) {
            throw new IllegalStateException("telemetry not attached: nothing has been recorded");
        }
        int n = (int) Math.min(updates, window);
        double[] norms = new double[n];
        int clipped = 0;
        for (int i = 0; i < n; i++) {
            norms[i] = preClip[(int) ((updates - n + i) % window)];
            clipped += norms[i] > maxNorm ? 1 : 0;
        }
        List<FlowSample.Layer> mean = new ArrayList<>();
        if (filled > 0) {
            for (int k = 0; k < layers; k++) {
                mean.add(meanLayer(k));
            }
        }
        return new FlowSummary(cell, steps, updates, maxNorm, norms, clipped, nonFiniteStep, nonFiniteLoss, nonFiniteNorm,
                filled, replayFilled, mean, latest());
    }

    // ------------------------------------------------------------------ recording

    /** During the observed backward: the norms at step t of layer k, and at the last step the seed of the replay. */
    private void record(int layer, int t, float[] dh, float[] dc, int batch, int hiddenSize) {
        int n = batch * hiddenSize;
        hNorm[next][layer][t] = Math.sqrt(Kernels.sumOfSquares(dh, 0, n));
        cNorm[next][layer][t] = dc == null ? 0 : Math.sqrt(Kernels.sumOfSquares(dc, 0, n));
        if (replayDue && t == shapeSteps - 1) {
            System.arraycopy(dh, 0, seedH[layer], 0, n);
            if (dc != null) {
                System.arraycopy(dc, 0, seedC[layer], 0, n);
            }
        }
    }

    /**
     * After the backward: the gradient that reached layer k's last step, followed back alone through
     * the layer's steps (no loss added on the way), its norm at every step into replay slot r. The
     * cell's backward step writes only its scratch buffers, which the real backward no longer needs.
     */
    private void replay(int k, int r) {
        Cell c = rnn.cell(k);
        StepBuffers buf = c.buffers();
        int n = buf.batch * hidden;
        double[] curve = lastLoss[r][k];
        System.arraycopy(seedH[k], 0, buf.dh, 0, n);
        if (buf.dc != null) {
            System.arraycopy(seedC[k], 0, buf.dc, 0, n);
        }
        for (int t = buf.steps - 1; t >= 0; t--) {
            double e = Kernels.sumOfSquares(buf.dh, 0, n) + (buf.dc == null ? 0 : Kernels.sumOfSquares(buf.dc, 0, n));
            curve[t] = Math.sqrt(e);
            if (e == 0) {
                Arrays.fill(curve, 0, t, 0); // nothing left to carry
                return;
            }
            if (t > 0) {
                c.backward(t); // dhCarry = the gradient at h_{t-1}; dc becomes the one at c_{t-1}
                System.arraycopy(buf.dhCarry, 0, buf.dh, 0, n);
            }
        }
    }

    /** Saturation, dead units and the gate of layer k from its stored activations, into slot s. */
    private void activations(int k, int s) {
        ActivationScan.scan(cell, rnn.cell(k).buffers(), hidden, largest, figures);
        saturation[s][k] = figures[ActivationScan.SATURATION];
        dead[s][k] = figures[ActivationScan.DEAD];
        gateMean[s][k] = figures[ActivationScan.GATE_MEAN];
        gateOpen[s][k] = figures[ActivationScan.GATE_OPEN];
        gateShut[s][k] = figures[ActivationScan.GATE_SHUT];
    }

    private void commit(double loss, double preClipNorm) {
        int s = next;
        slotStep[s] = step;
        slotBatch[s] = rnn.cell(0).buffers().batch;
        slotLoss[s] = loss;
        slotPreClip[s] = preClipNorm;
        slotReplay[s] = -1;
        if (replayDue) {
            slotReplay[s] = replayNext;
            replayStep[replayNext] = step;
            replayNext = (replayNext + 1) % kept;
            replayFilled++;
            lastReplayStep = step;
            replayed = true;
        }
        next = (next + 1) % kept;
        filled++;
        if (onSample != null) {
            onSample.accept(sample(s));
        }
    }

    /** Buffers for samples of T steps; the samples kept so far (of another T) are dropped. */
    private void allocate(int t) {
        shapeSteps = t;
        next = 0;
        filled = 0;
        replayNext = 0;
        replayFilled = 0;
        hNorm = new double[kept][layers][t];
        cNorm = new double[kept][layers][t];
        lastLoss = new double[kept][layers][t];
        saturation = new double[kept][layers];
        dead = new double[kept][layers];
        gateMean = new double[kept][layers];
        gateOpen = new double[kept][layers];
        gateShut = new double[kept][layers];
        paramNorm = new double[kept][parameters.length];
    }

    // ------------------------------------------------------------------ records, built when asked for

    /** The slot of the i-th kept sample, oldest first. */
    private int slot(int i) {
        return Math.floorMod(next - filled + i, kept);
    }

    /** The slot of the i-th kept replay, oldest first. */
    private int replaySlot(int i) {
        return Math.floorMod(replayNext - replayFilled + i, kept);
    }

    private FlowSample sample(int s) {
        int r = slotReplay[s];
        boolean hasReplay = r >= 0 && replayStep[r] == slotStep[s];
        List<FlowSample.Layer> list = new ArrayList<>(layers);
        for (int k = 0; k < layers; k++) {
            list.add(layer(k, hNorm[s][k], cNorm[s][k], hasReplay ? lastLoss[r][k] : null, saturation[s][k], dead[s][k],
                    gateMean[s][k], gateOpen[s][k], gateShut[s][k]));
        }
        Map<String, Double> norms = new LinkedHashMap<>();
        for (int i = 0; i < parameters.length; i++) {
            norms.put(parameters[i].name(), paramNorm[s][i]);
        }
        double pre = slotPreClip[s];
        boolean clipped = pre > maxNorm;
        double post = clipped ? pre * (maxNorm / (pre + Clipping.PYTORCH_EPSILON)) : pre;
        return new FlowSample(slotStep[s], cell, slotBatch[s], shapeSteps, slotLoss[s], pre, post, maxNorm, clipped,
                list, norms);
    }

    /** Layer k averaged over the kept samples (and its replayed curve over the kept replays). */
    private FlowSample.Layer meanLayer(int k) {
        int t = shapeSteps;
        double[] h = new double[t];
        double[] c = new double[t];
        double sat = 0;
        double deadShare = 0;
        double mean = 0;
        double open = 0;
        double shut = 0;
        for (int i = 0; i < filled; i++) {
            int s = slot(i);
            for (int j = 0; j < t; j++) {
                h[j] += hNorm[s][k][j] / filled;
                c[j] += cNorm[s][k][j] / filled;
            }
            sat += saturation[s][k] / filled;
            deadShare += dead[s][k] / filled;
            mean += gateMean[s][k] / filled;
            open += gateOpen[s][k] / filled;
            shut += gateShut[s][k] / filled;
        }
        double[] last = null;
        if (replayFilled > 0) {
            last = new double[t];
            for (int i = 0; i < replayFilled; i++) {
                double[] curve = lastLoss[replaySlot(i)][k];
                for (int j = 0; j < t; j++) {
                    last[j] += curve[j] / replayFilled;
                }
            }
        }
        return layer(k, h, c, last, sat, deadShare, mean, open, shut);
    }

    private FlowSample.Layer layer(int k, double[] h, double[] c, double[] last, double sat, double deadShare,
                                   double mean, double open, double shut) {
        FlowSample.Gate gate = FlowSample.Gate.of(cell, mean, open, shut);
        double ratio = Double.NaN;
        MemoryHorizon horizon = null;
        if (last != null) {
            int end = last.length - 1;
            if (end >= 1 && last[end] > 0 && Double.isFinite(last[end])) {
                ratio = last[0] / last[end];
                int d = MemoryHorizon.distance(last, MemoryHorizon.DEFAULT_THRESHOLD);
                horizon = new MemoryHorizon(d < 0 ? end : d, d >= 0, end, MemoryHorizon.DEFAULT_THRESHOLD);
            }
        }
        return new FlowSample.Layer(k, h, cell.hasCellState() ? c : null, last, ratio, horizon, sat, deadShare, gate);
    }
}
