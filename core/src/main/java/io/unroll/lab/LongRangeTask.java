package io.unroll.lab;

/**
 * A synthetic sequence task that can only be solved by remembering something for many steps, with
 * seeded batches and the loss of the best model that remembers nothing.
 *
 * <p>A batch is {@code B} sequences of {@code T = steps()} inputs of width {@code I = inputSize()},
 * {@code inputs [B, T, I]} row-major, and one of two kinds of target ({@link #target()}):
 * <ul>
 *   <li>{@link Target#CLASS_EVERY_STEP}: a class in {@code [0, C)} at every step,
 *       {@code classTargets [B, T]}; the loss is the softmax cross-entropy in nats averaged over
 *       all {@code B·T} steps, {@code L = -(1/BT) Σ_b Σ_t ln p_bt[y_bt]};
 *   <li>{@link Target#REAL_AT_LAST_STEP}: one real value per sequence, predicted at the last step
 *       {@code T - 1}, {@code realTargets [B]}; the loss is the mean squared error
 *       {@code L = (1/B) Σ_b (ŷ_b - y_b)²}.
 * </ul>
 *
 * <p><b>Memoryless baseline.</b> {@link #baseline()} is the expected loss of the best predictor
 * that knows the step {@code t} but none of the inputs: for class targets
 * {@code (1/T) Σ_t H(y_t)}, the mean entropy of the target at each step; for a real target
 * {@code Var(y)}, reached by predicting {@code E[y]}. A model whose loss does not fall below it has
 * learned nothing that needs memory. Each task says whether seeing the current input as well
 * changes the figure.
 *
 * <p><b>Determinism.</b> {@link #fill} draws batch {@code index} from
 * {@link io.unroll.tensor.Rng#seeded(long, long) Rng.seeded(seed, index)}: the same
 * {@code (seed, index)} gives the same batch every time and in any order, and different indices
 * give independent batches (index 0, 1, 2, ... for training, a different seed for a held-out set).
 * The sequences of a batch are drawn one after another, each completely before the next.
 */
public interface LongRangeTask {

    /**
     * The largest delay (copy) or length (adding, delayed signal) a task accepts: twice the longest
     * adding problem in the literature (5,000 steps, Li et al. 2018), far beyond what a recurrent
     * network is usually trained on, and a guard against a mistyped figure filling the heap.
     */
    int MAX_LENGTH = 10_000;

    /** The kind of target, which fixes the target array, the loss and the solved criterion. */
    enum Target {
        /** A class at every step, {@code classTargets [B, T]}; cross-entropy in nats; solved by recall accuracy. */
        CLASS_EVERY_STEP,
        /** One real value at the last step, {@code realTargets [B]}; mean squared error; solved below an MSE. */
        REAL_AT_LAST_STEP
    }

    /** A short name with the parameters, e.g. {@code copy(delay=100)}. */
    String name();

    /** I, the width of one input step. */
    int inputSize();

    /** T, the number of steps of every sequence. */
    int steps();

    /** The kind of target. */
    Target target();

    /** The width of the model's output: C logits for {@link Target#CLASS_EVERY_STEP}, 1 for a real target. */
    int outputSize();

    /**
     * The steps whose predictions the solved criterion scores, ascending: for the copy task the 10
     * recall steps, for a real target {@code {T - 1}}. A new array on every call.
     */
    int[] scoredSteps();

    /**
     * Fills one batch. Every value of {@code inputs} and of the target array is written.
     *
     * @param seed         the data set's seed; any long
     * @param index        the batch's number; any long
     * @param batch        B, at least 1
     * @param inputs       {@code [B, T, I]}
     * @param classTargets {@code [B, T]} for {@link Target#CLASS_EVERY_STEP}, else null
     * @param realTargets  {@code [B]} for {@link Target#REAL_AT_LAST_STEP}, else null
     * @throws IllegalArgumentException naming the array and the shape expected when an array is
     *         missing, has the wrong length or is given for the other kind of target
     */
    void fill(long seed, long index, int batch, float[] inputs, int[] classTargets, float[] realTargets);

    /** The expected loss of the best memoryless predictor, in the loss's unit (nats per step, or squared error). */
    double baseline();

    /**
     * The solved criterion's threshold: for {@link Target#CLASS_EVERY_STEP} the least share of the
     * {@link #scoredSteps()} predicted right (argmax equal to the target), for
     * {@link Target#REAL_AT_LAST_STEP} the mean squared error to stay below.
     */
    double solvedThreshold();

    /**
     * Whether a model solved the task: {@code measure} is the recall accuracy over the scored steps
     * for class targets (solved when {@code >= solvedThreshold()}), the mean squared error for a
     * real target (solved when {@code < solvedThreshold()}).
     */
    default boolean solved(double measure) {
        return target() == Target.CLASS_EVERY_STEP ? measure >= solvedThreshold() : measure < solvedThreshold();
    }
}
