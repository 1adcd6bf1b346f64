package io.unroll.flow;

import io.unroll.data.Batch;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Rng;
import io.unroll.train.BatchSource;

/**
 * A delayed-recall task for the telemetry tests: random tokens of a vocabulary of V, and the target
 * at step t is the input of step t - delay (the input itself for the first steps), a loss at every
 * step as in a character model. Every step starts new sequences, drawn from the step number alone.
 */
final class Recall implements BatchSource {
    static final int V = 6;
    private final int batch;
    private final int steps;
    private final int delay;

    Recall(int batch, int steps, int delay) {
        this.batch = batch;
        this.steps = steps;
        this.delay = delay;
    }

    @Override
    public int batchSize() {
        return batch;
    }

    @Override
    public int sequenceLength() {
        return steps;
    }

    @Override
    public Batch.Kind batchKind() {
        return Batch.Kind.TOKENS;
    }

    @Override
    public long stepsPerEpoch() {
        return 100;
    }

    @Override
    public boolean fillBatch(long step, Batch into) {
        int[] inputs = into.tokens();
        int[] targets = into.classTargets();
        Rng rng = Rng.seeded(1000 + step);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                inputs[b * steps + t] = rng.nextInt(V);
            }
            for (int t = 0; t < steps; t++) {
                targets[b * steps + t] = inputs[b * steps + Math.max(0, t - delay)];
            }
        }
        return true;
    }

    @Override
    public boolean hasValidationData() {
        return false;
    }

    @Override
    public double validationLoss(TrainableModel model) {
        return Double.NaN;
    }
}
