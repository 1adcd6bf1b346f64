package io.unroll.web;

import io.unroll.flow.FlowHistory;
import io.unroll.flow.FlowTelemetry;
import io.unroll.lab.LongRangeTask;
import io.unroll.lab.TaskModel;
import io.unroll.lab.TaskSource;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One live training session of the playground: a model trained on a long-range task on a thread of
 * its own, watched by a {@link FlowHistory}, that can be paused, resumed and stopped from any
 * thread. Every {@link #PUBLISH_EVERY_NANOS} the training thread leaves a snapshot of the run
 * ({@link #latest()}) for the page: the step, the training loss against the task's baseline, the
 * last held-out measurement, the gradient reaching every timestep on the newest telemetry sample,
 * the memory horizon and the verdict.
 */
final class LiveSession implements TrainingRun.Listener {
    /** At most 20 snapshots a second: more than the page needs to look live, few enough to cost nothing. */
    static final long PUBLISH_EVERY_NANOS = 50_000_000;
    /** The held-out sequences of a session: fewer than the lab's 1,000, so a measurement stays short. */
    static final int HELD_OUT = 256;
    static final int EVAL_EVERY = 100;
    static final int BATCH = 32;
    /** An LSTM's forget-gate bias at the start, as in the lab. */
    static final double FORGET_BIAS = 1.0;

    enum State { RUNNING, PAUSED, STOPPED, FINISHED, FAILED }

    private final String id;
    private final TrainRequest request;
    private final LongRangeTask task;
    private final TaskSource data;
    private final TrainingRun run;
    private final FlowHistory history;
    private final ParamStore params;
    private final Thread thread;
    private final Object lock = new Object();
    private volatile State state = State.RUNNING;
    private volatile Map<String, Object> latest;
    private volatile long version;
    private volatile String failure;
    private CompletableFuture<float[]> weightsWanted; // guarded by lock
    private boolean parked; // guarded by lock: the training thread waits in a pause, between two steps
    private Map<String, Object> heldOut;
    private long lastPublished;
    /** The last finished step and its loss, for a state change published between two snapshots. */
    private record Finished(long step, double loss) {}
    private volatile Finished lastFinished = new Finished(0, Double.NaN);

    LiveSession(String id, TrainRequest request) {
        this.id = id;
        this.request = request;
        this.task = request.task();
        Rng rng = Rng.create("default", request.seed());
        ParamStore.Builder pb = ParamStore.builder();
        TaskModel m = TaskModel.of(task, pb, RecurrentConfig.of(request.cell(), task.inputSize(), request.hidden(), request.layers()));
        this.params = pb.build();
        m.initialise(request.init(), null, FORGET_BIAS, 0, rng);
        this.data = TaskModel.batches(task, BATCH, request.seed(), HELD_OUT);
        this.run = TrainingRun.builder().model(m.model(), params).optimizer(Adam.adam(request.learningRate())).rng(rng)
                .data(data).clip(1.0).build();
        this.history = FlowHistory.watch(run, FlowTelemetry.builder().every(10));
        this.latest = snapshot(0, Double.NaN);
        this.thread = new Thread(this::train, "playground-training-" + id);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    String id() {
        return id;
    }

    /** The newest snapshot (the first is made before training starts); a new one has a higher {@link #version()}. */
    Map<String, Object> latest() {
        return latest;
    }

    long version() {
        return version;
    }

    void pause() {
        synchronized (lock) {
            if (state == State.RUNNING) {
                state = State.PAUSED;
                publishState();
            }
        }
    }

    void resume() {
        synchronized (lock) {
            if (state == State.PAUSED) {
                state = State.RUNNING;
                lock.notifyAll();
                publishState();
            }
        }
    }

    /** Stops the run at its next step boundary; returns at once. */
    void stop() {
        synchronized (lock) {
            if (state == State.RUNNING || state == State.PAUSED) {
                state = State.STOPPED;
                run.requestStop();
                lock.notifyAll();
                publishState();
            }
        }
    }

    /** Stops the run and waits for its thread to end. */
    void close() throws InterruptedException {
        stop();
        thread.join();
    }

    /**
     * The model's weights as the bytes of a safetensors file under PyTorch's {@code state_dict} names
     * (docs/playground.md has the module they load into). The values are copied between two steps,
     * on the training thread while it runs, so no copy is half of one step and half of the next.
     *
     * @throws IOException if the training thread did not answer within 30 s
     */
    byte[] weights() throws IOException {
        CompletableFuture<float[]> wanted = new CompletableFuture<>();
        synchronized (lock) {
            if (thread.isAlive() && !parked) {
                weightsWanted = wanted;
            } else {
                wanted.complete(params.values().clone());
            }
        }
        float[] values;
        try {
            values = wanted.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IOException("the training thread did not hand over the weights: " + e, e);
        }
        return TaskModel.weightsFile(params, values, request.cell(), task).toBytes();
    }

    private void train() {
        try {
            TrainingRun.Result r = run.run(TrainingRun.Plan.to(request.steps()).validateEvery(EVAL_EVERY).listener(history)
                    .listener(this).build());
            if (r.outcome() == TrainingRun.Outcome.DIVERGED) {
                failure = "training diverged at step " + r.diverged().step() + ": the loss became " + r.diverged().loss()
                        + "; try a lower learning rate";
                state = State.FAILED;
            } else if (state != State.STOPPED) {
                state = State.FINISHED;
            }
        } catch (RuntimeException | IOException e) {
            failure = "training failed: " + e.getMessage();
            state = State.FAILED;
        }
        publishState();
    }

    @Override
    public void onStep(TrainingRun.StepReport r, TrainingRun.Pace pace) {
        lastFinished = new Finished(r.step(), r.loss());
        long now = System.nanoTime();
        if (now - lastPublished >= PUBLISH_EVERY_NANOS) {
            lastPublished = now;
            publish(snapshot(r.step(), r.loss()));
        }
        synchronized (lock) {
            if (weightsWanted != null) {
                weightsWanted.complete(params.values().clone());
                weightsWanted = null;
            }
            parked = true;
            if (state == State.PAUSED) {
                publishState(); // the step it stops at: the pause may have been published while this one ran
            }
            try {
                while (state == State.PAUSED) {
                    lock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                run.requestStop();
            } finally {
                parked = false;
            }
        }
    }

    @Override
    public void onValidation(TrainingRun.Validation v) {
        TaskSource.Measure measure = data.lastMeasure();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", v.step());
        m.put("loss", measure.loss());
        if (task.target() == LongRangeTask.Target.CLASS_EVERY_STEP) {
            m.put("accuracy", measure.accuracy());
        }
        m.put("solved", measure.solved());
        heldOut = m;
        publish(snapshot(v.step(), v.trainLoss()));
    }

    /**
     * The newest snapshot with the state, error, step and loss of now (snapshots are made at most
     * every {@link #PUBLISH_EVERY_NANOS}, so a pause would otherwise show a step from before the
     * last ones); from any thread, as it reads no history.
     */
    private synchronized void publishState() {
        Map<String, Object> s = new LinkedHashMap<>(latest);
        s.put("state", state.name().toLowerCase());
        Finished last = lastFinished;
        if (last.step() > (long) s.get("step")) {
            s.put("step", last.step());
            s.put("loss", last.loss());
        }
        s.put("error", failure);
        publish(s);
    }

    private synchronized void publish(Map<String, Object> snapshot) {
        latest = snapshot;
        version++;
    }

    /** What the page shows of the run now; called on the training thread, which owns the history. */
    private Map<String, Object> snapshot(long step, double loss) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("id", id);
        s.put("state", state.name().toLowerCase());
        s.put("task", request.describe());
        s.put("step", step);
        s.put("steps", request.steps());
        s.put("loss", loss);
        s.put("baseline", task.baseline());
        s.put("heldOut", heldOut);
        FlowHistory.Sample newest = history.newestSample();
        if (newest != null) {
            s.put("sampleStep", newest.step());
            s.put("gradientNorms", newest.hNorms());
            s.put("horizon", newest.horizon()[newest.horizon().length - 1]);
        }
        s.put("verdict", history.verdict() == null ? null : history.verdict().words());
        s.put("error", failure);
        return s;
    }
}
