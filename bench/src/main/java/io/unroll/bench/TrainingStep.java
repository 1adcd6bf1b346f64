package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowTelemetry;
import io.unroll.init.InitScheme;
import io.unroll.layer.Linear;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.StepObserver;
import io.unroll.loss.SoftmaxCrossEntropy;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Clipping;
import io.unroll.train.Init;

/**
 * The timed training step, the one PyTorch's peer runs too: a one-layer recurrent network with
 * I = H over a fixed random batch {@code [B, T, I]}, a linear head to C classes over all B·T
 * rows, softmax cross-entropy against fixed random targets, full BPTT to every parameter (the
 * input is data and gets no gradient, as PyTorch's input tensor does not require one),
 * clipping by global norm at 5.0 and an Adam step (lr 1e-3), gradients zeroed first:
 *
 * <pre>
 *   zeroGrads → Recurrent.forward → Linear.forward → SoftmaxCrossEntropy.compute
 *             → Linear.backward → Recurrent.backward → Clipping.clipByGlobalNorm(5.0) → Adam.step
 * </pre>
 *
 * Weights start from PyTorch's default initialisation. With gradient-flow telemetry
 * ({@link FlowTelemetry}, attached as a training loop of one's own attaches it), the step also
 * calls it around the backward pass and the clipping, for {@link TelemetryOverhead}. Not
 * thread-safe.
 */
public final class TrainingStep {
    /** Clipping threshold of the step. */
    public static final double MAX_NORM = 5.0;
    /** Adam's learning rate in the step. */
    public static final double LEARNING_RATE = 1e-3;

    private final int batch;
    private final int steps;
    private final int classes;
    private final Recurrent rnn;
    private final Linear head;
    private final ParamStore params;
    private final SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
    private final Adam adam = Adam.adam(LEARNING_RATE);
    private final float[] input;   // [B, T, H]
    private final int[] targets;   // [B·T]
    private final FlowTelemetry telemetry; // null for none
    private long stepCount;

    public TrainingStep(CellType cell, int hidden, int batch, int steps, int classes, long seed) {
        this(cell, hidden, batch, steps, classes, seed, null);
    }

    /** The step with {@code telemetry} watching it (null for none), the model and data as without. */
    public TrainingStep(CellType cell, int hidden, int batch, int steps, int classes, long seed, FlowTelemetry telemetry) {
        this.batch = batch;
        this.steps = steps;
        this.classes = classes;
        ParamStore.Builder pb = ParamStore.builder();
        this.rnn = new Recurrent(pb, "rnn.", RecurrentConfig.of(cell, hidden, hidden, 1));
        this.head = new Linear(pb, "head.", hidden, classes);
        this.params = pb.build();
        Rng rng = Rng.seeded(seed);
        Init.apply(rnn, InitScheme.PYTORCH, rng);
        head.initUniform(rng);
        this.input = new float[batch * steps * hidden];
        rng.fillGaussian(input, 0, input.length, 1.0);
        this.targets = new int[batch * steps];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = rng.nextInt(classes);
        }
        this.telemetry = telemetry;
        if (telemetry != null) {
            telemetry.attach(rnn, params, MAX_NORM);
        }
    }

    /** One training step; returns the loss before the update. */
    public double run() {
        if (telemetry != null) {
            telemetry.beginStep(++stepCount);
        }
        params.zeroGrads();
        Recurrent.Output out = rnn.forward(input, batch, steps, null);
        float[] logits = head.forward(out.output(), batch * steps);
        double value = loss.compute(logits, targets, null, batch * steps, classes);
        float[] dHidden = head.backward(loss.dLogits());
        StepObserver observer = telemetry == null ? StepObserver.NONE : telemetry.backwardObserver(0);
        rnn.backward(dHidden, null, observer, Recurrent.InputGradient.SKIP); // the input is data, as in PyTorch's peer
        if (telemetry != null) {
            telemetry.afterBackward(0);
        }
        double norm = Clipping.clipByGlobalNorm(params, MAX_NORM);
        if (telemetry != null) {
            telemetry.onWindow(0, value, norm);
        }
        adam.step(params);
        return value;
    }

    /** {@code iterations} steps back to back; returns the last loss. */
    public double run(long iterations) {
        double last = Double.NaN;
        for (long i = 0; i < iterations; i++) {
            last = run();
        }
        return last;
    }

    /** The recurrent stack being trained: its cost and the floats it keeps for backward (after a step). */
    public Recurrent rnn() {
        return rnn;
    }
}
