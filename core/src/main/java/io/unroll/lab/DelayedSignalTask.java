package io.unroll.lab;

import io.unroll.tensor.Rng;

/**
 * A delayed signal in a noisy series: an event far in the past sets the value to predict now, the
 * kind of dependency a trading model loses when it forgets an announcement made weeks before the
 * price moves. Only a model that remembers the event can beat the best memoryless predictor.
 *
 * <p>A sequence of length {@code T} with delay {@code D} has {@code I = 2} channels:
 * <pre>
 *   channel 0:  r_t ~ N(0, 1), independent for t = 0 .. T-1              (the noisy series)
 *   channel 1:  s at step τ, 0 elsewhere                                    (the event)
 *   τ uniform in {0, ..., T-1-D}     s uniform in {-1, +1}
 *   target at the last step:  y = s + 0.1 ε,   ε ~ N(0, 1)
 * </pre>
 * all independent. The event comes at least {@code D} steps before the last step
 * ({@code T - 1 - τ >= D}), so a model must keep its sign across {@code D} to {@code T - 1} steps.
 * A sequence draws {@code r_0 .. r_{T-1}} in order, then τ ({@code nextInt(T - D)}), then s
 * ({@code nextInt(2)}: 0 is -1), then ε.
 *
 * <p><b>Channel 0 carries no information about y</b>: the series is drawn independently of τ, s
 * and ε, and y is a function of s and ε alone, so the whole series is independent of y (their
 * mutual information is 0) for any model, with memory or without. It is there to be ignored, as a
 * model must learn to ignore most of a market's noise.
 *
 * <p><b>Memoryless baseline.</b> A predictor that knows the step and even sees the last input
 * {@code x_{T-1} = (r_{T-1}, 0)} (the event is never at the last step, as {@code D >= 1}) learns
 * nothing about y from it, so its best prediction is {@code E[y] = 0}, with squared error
 * <pre>
 *   baseline = E[y²] = E[s²] + 0.2 E[s ε] + 0.01 E[ε²] = 1 + 0 + 0.01 = 1.01
 * </pre>
 * A model that remembers s predicts y = s and reaches the floor {@code 0.1² = 0.01}, the noise no
 * model can predict.
 *
 * <p><b>Solved</b> when the mean squared error is below {@link #SOLVED_MSE} = 0.05: the floor 0.01
 * plus at most 0.04, which for example allows a wrong sign (an error of 2, squared 4) in at most one
 * sequence in a hundred.
 */
public final class DelayedSignalTask extends LastStepTask {
    /** The standard deviation of the target's noise, 0.1: the floor of the squared error is its square. */
    public static final double TARGET_NOISE = 0.1;
    /** The mean squared error below which the task counts as solved. */
    public static final double SOLVED_MSE = 0.05;

    private static final int INPUT_SIZE = 2;

    private final int delay;

    /**
     * @param length T, in {@code [2, MAX_LENGTH]}
     * @param delay  D, in {@code [1, T - 1]}: the fewest steps between the event and the last step
     */
    public DelayedSignalTask(int length, int delay) {
        super(Tasks.between("delayed-signal", "length", length, 2, MAX_LENGTH));
        this.delay = Tasks.between("delayed-signal", "delay", delay, 1, length - 1,
                " (less than the length " + length + ", as the event comes before the last step)");
    }

    /** D, as given. */
    public int delay() {
        return delay;
    }

    /** The latest step the event can come at, {@code T - 1 - D}; the earliest is 0. */
    public int latestEventStep() {
        return length - 1 - delay;
    }

    @Override
    public String name() {
        return "delayed-signal(length=" + length + ", delay=" + delay + ")";
    }

    @Override
    public int inputSize() {
        return INPUT_SIZE;
    }

    @Override
    public void fill(long seed, long index, int batch, float[] inputs, int[] classTargets, float[] realTargets) {
        Tasks.checkFill(this, batch, inputs, classTargets, realTargets);
        Rng rng = Rng.seeded(seed, index);
        for (int b = 0; b < batch; b++) {
            int in = b * length * INPUT_SIZE; // x[b, 0, 0]
            for (int t = 0; t < length; t++) {
                inputs[in + t * INPUT_SIZE] = (float) rng.nextGaussian();
                inputs[in + t * INPUT_SIZE + 1] = 0f;
            }
            int eventStep = rng.nextInt(length - delay);
            int sign = 2 * rng.nextInt(2) - 1;
            inputs[in + eventStep * INPUT_SIZE + 1] = sign;
            realTargets[b] = (float) (sign + TARGET_NOISE * rng.nextGaussian());
        }
    }

    /** {@code 1 + 0.1² = 1.01}, the variance of y. */
    @Override
    public double baseline() {
        return 1 + TARGET_NOISE * TARGET_NOISE;
    }

    /** {@link #SOLVED_MSE}. */
    @Override
    public double solvedThreshold() {
        return SOLVED_MSE;
    }

    @Override
    public String toString() {
        return name();
    }
}
