package io.unroll.flow;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Init;
import io.unroll.train.Optimizer;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Short real training runs on the {@link Recall} task with {@link FlowTelemetry} attached: one
 * embedded model (E = 8), a chosen cell, initialisation, biases and optimizer, every step sampled
 * (and replayed) unless told otherwise.
 */
final class Runs {
    /** What a run gave: its result, the telemetry and its summary, and the verdict on it. */
    record Outcome(TrainingRun.Result result, FlowTelemetry telemetry, FlowSummary summary, Health.Verdict verdict,
                   FlowHistory history) {}

    CellType cell = CellType.RNN_TANH;
    InitScheme init = InitScheme.PYTORCH;
    double sigma = Double.NaN;      // the init's σ, for gaussian and identity
    double bias = Double.NaN;       // every recurrent bias set to this, if a number
    double forgetBias = Double.NaN; // the LSTM's forget-gate bias, if a number
    Optimizer optimizer = Adam.adam(1e-2);
    double clip = 5;
    int hidden = 24;
    int batch = 8;
    int length = 32;                // T of every batch
    int steps = 40;                 // training steps
    int every = 1;
    int replayEvery = 1;
    long seed = 5;
    Path checkpoints;               // null for none
    int validateEvery = 1000;
    TrainingRun.Listener listener;
    long poisonAfter = -1;          // after this step, a recurrent weight becomes NaN
    boolean history;                // watched through a FlowHistory rather than the builder's telemetry

    static Runs of(CellType cell) {
        Runs r = new Runs();
        r.cell = cell;
        return r;
    }

    Runs init(InitScheme scheme, double schemeSigma) {
        this.init = scheme;
        this.sigma = schemeSigma;
        return this;
    }

    Runs bias(double value) {
        this.bias = value;
        return this;
    }

    Runs forgetBias(double value) {
        this.forgetBias = value;
        return this;
    }

    Runs optimizer(Optimizer value, double maxNorm) {
        this.optimizer = value;
        this.clip = maxNorm;
        return this;
    }

    Runs hidden(int value) {
        this.hidden = value;
        return this;
    }

    Runs length(int value) {
        this.length = value;
        return this;
    }

    Runs steps(int value) {
        this.steps = value;
        return this;
    }

    Runs checkpoints(Path dir, int every) {
        this.checkpoints = dir;
        this.validateEvery = every;
        return this;
    }

    Runs listener(TrainingRun.Listener value) {
        this.listener = value;
        return this;
    }

    /** Watch the run through a {@link FlowHistory}, which feeds on the telemetry. */
    Runs history() {
        this.history = true;
        return this;
    }

    /** After step {@code step}, one weight of W_hh becomes NaN, as a bad update would leave it. */
    Runs poisonAfter(long step) {
        this.poisonAfter = step;
        return this;
    }

    Outcome run() {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, Recall.V, RecurrentConfig.of(cell, 8, hidden, 1));
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(seed);
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        if (Double.isNaN(sigma)) {
            Init.apply(model.rnn(), init, rng);
        } else {
            Init.apply(model.rnn(), init, sigma, rng);
        }
        if (!Double.isNaN(bias)) {
            for (Param p : new Param[] {model.rnn().biasIh(0), model.rnn().biasHh(0)}) {
                Arrays.fill(p.data(), p.offset(), p.offset() + p.size(), (float) bias);
            }
        }
        if (!Double.isNaN(forgetBias)) {
            Init.forgetGateBias(model.rnn(), forgetBias);
        }
        Weights.uniform(model.head().weight(), 1 / Math.sqrt(hidden), rng);
        FlowTelemetry.Builder settings = FlowTelemetry.builder().every(every).replayEvery(replayEvery).window(50);
        FlowTelemetry telemetry = history ? null : settings.build();
        TrainingRun.Builder b = TrainingRun.builder().model(model, params).optimizer(optimizer).rng(rng)
                .data(new Recall(batch, length, 2));
        if (telemetry != null) {
            b.telemetry(telemetry);
        }
        if (!Double.isInfinite(clip)) {
            b.clip(clip);
        }
        TrainingRun run = b.build();
        FlowHistory watched = history ? FlowHistory.watch(run, settings) : null;
        if (watched != null) {
            telemetry = watched.telemetry();
        }
        TrainingRun.Plan.Builder plan = TrainingRun.Plan.to(steps).validateEvery(validateEvery);
        if (watched != null) {
            plan.listener(watched);
        }
        if (checkpoints != null) {
            plan.checkpointsIn(checkpoints);
        }
        if (listener != null) {
            plan.listener(listener);
        }
        if (poisonAfter > 0) {
            Param w = model.rnn().weightHh(0);
            plan.listener(new TrainingRun.Listener() {
                @Override
                public void onStep(TrainingRun.StepReport report, TrainingRun.Pace pace) {
                    if (report.step() == poisonAfter) {
                        w.data()[w.offset()] = Float.NaN;
                    }
                }
            });
        }
        TrainingRun.Result result;
        try {
            result = run.run(plan.build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FlowSummary summary = telemetry.summary();
        return new Outcome(result, telemetry, summary, Health.judge(summary, result.lastGoodCheckpoint()), watched);
    }
}
