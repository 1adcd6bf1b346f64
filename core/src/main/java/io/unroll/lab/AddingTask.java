package io.unroll.lab;

import io.unroll.tensor.Rng;

/**
 * The adding problem (Hochreiter and Schmidhuber 1997, "Long short-term memory", Neural Computation
 * 9(8), experiment 4), in the form of Le, Jaitly and Hinton 2015, "A simple way to initialize
 * recurrent networks of rectified linear units", arXiv:1504.00941: add the two numbers a marker
 * points at.
 *
 * <p>A sequence of length {@code T} has {@code I = 2} channels. Channel 0 holds values
 * {@code v_t} uniform in [0, 1), independent ({@code Rng.nextFloat()}: 24-bit floats). Channel 1
 * is 0 except at two steps where it is 1: {@code p1} uniform in the first half {@code [0, h)} and
 * {@code p2} uniform in the second half {@code [h, T)}, with {@code h = floor(T / 2)}; for odd
 * {@code T} the middle step belongs to the second half. The target at the last step is
 * <pre>
 *   y = v_p1 + v_p2
 * </pre>
 * (the float sum of the two stored values). A sequence draws its {@code T} values in step order,
 * then {@code p1}, then {@code p2}.
 *
 * <p><b>Memoryless baseline.</b> Without the past, the best prediction is the constant
 * {@code E[y] = 1}, with squared error
 * <pre>
 *   baseline = Var(v_p1 + v_p2) = 2 · 1/12 = 1/6 ≈ 0.1667
 * </pre>
 * for every {@code T}. A predictor that also sees the last input does a little better: the last step
 * is {@code p2} with chance {@code 1 / (T - h)}, and then it knows one of the two values, so its
 * error is {@code 1/6 - (1/12) / (T - h)} (1/12 for {@code T = 2}, 1/8 for {@code T = 3}, 0.1650 for
 * {@code T = 100}).
 *
 * <p><b>Solved</b> when the mean squared error is below {@link #SOLVED_MSE}, 6% of the baseline.
 */
public final class AddingTask extends LastStepTask {
    /** The mean squared error below which the task counts as solved. */
    public static final double SOLVED_MSE = 0.01;

    private static final int INPUT_SIZE = 2;


    /** @param length T, in {@code [2, MAX_LENGTH]}: each half holds at least one step */
    public AddingTask(int length) {
        super(Tasks.between("adding", "length", length, 2, MAX_LENGTH));
    }

    /** h, the first step of the second half: {@code floor(T / 2)}. */
    public int secondHalfStart() {
        return length / 2;
    }

    @Override
    public String name() {
        return "adding(length=" + length + ")";
    }

    @Override
    public int inputSize() {
        return INPUT_SIZE;
    }

    @Override
    public void fill(long seed, long index, int batch, float[] inputs, int[] classTargets, float[] realTargets) {
        Tasks.checkFill(this, batch, inputs, classTargets, realTargets);
        Rng rng = Rng.seeded(seed, index);
        int half = secondHalfStart();
        for (int b = 0; b < batch; b++) {
            int in = b * length * INPUT_SIZE; // x[b, 0, 0]
            for (int t = 0; t < length; t++) {
                inputs[in + t * INPUT_SIZE] = rng.nextFloat();
                inputs[in + t * INPUT_SIZE + 1] = 0f;
            }
            int p1 = rng.nextInt(half);
            int p2 = half + rng.nextInt(length - half);
            inputs[in + p1 * INPUT_SIZE + 1] = 1f;
            inputs[in + p2 * INPUT_SIZE + 1] = 1f;
            realTargets[b] = inputs[in + p1 * INPUT_SIZE] + inputs[in + p2 * INPUT_SIZE];
        }
    }

    /** 1/6, the variance of the sum of two independent uniforms on [0, 1). */
    @Override
    public double baseline() {
        return 1.0 / 6;
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
