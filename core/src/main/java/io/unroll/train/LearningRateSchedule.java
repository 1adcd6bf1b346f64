package io.unroll.train;

/**
 * How the learning rate changes over a run: before training step k (0-based) the run scales the
 * optimizer's learning rate by {@link #factor factor(k)} ({@link Optimizer#scaleLearningRate}).
 * A factor that falls late in a run quiets the updates' noise once the model is near a solution,
 * which a constant rate keeps shaking.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    /** The learning rate of step k (0-based) over the optimizer's own, at least 0. */
    double factor(long step);

    /** The optimizer's rate at every step. */
    static LearningRateSchedule constant() {
        return step -> 1;
    }

    /**
     * Cosine annealing to zero over {@code steps} steps, PyTorch's {@code CosineAnnealingLR} with
     * {@code T_max = steps} and {@code eta_min = 0} stepped once per training step:
     * <pre>
     *   factor(k) = (1 + cos(π k / steps)) / 2     for k < steps;   0 from then on
     * </pre>
     * 1 at the first step, 1/2 halfway, approaching 0 at the last.
     */
    static LearningRateSchedule cosine(long steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("a cosine schedule spans " + steps + " steps, expected at least 1");
        }
        return step -> step >= steps ? 0 : (1 + Math.cos(Math.PI * step / steps)) / 2;
    }
}
