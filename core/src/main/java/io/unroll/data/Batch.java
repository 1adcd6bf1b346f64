package io.unroll.data;

import io.unroll.tensor.Check;
import java.util.Objects;

/**
 * One training batch of B sequences of T steps, in one of the two forms a model reads
 * ({@link Kind}):
 * <ul>
 *   <li>{@link Kind#TOKENS}: token ids {@code tokens [B, T]} and a class target at every step,
 *       {@code classTargets [B, T]}; the loss is the softmax cross-entropy averaged over the steps
 *       (a character model, the copy task);</li>
 *   <li>{@link Kind#VECTORS}: dense input vectors {@code inputs [B, T, I]} and one real target
 *       vector per sequence at its last step, {@code realTargets [B, O]}; the loss is the mean
 *       squared error over the {@code B·O} values (the adding problem, the delayed signal).</li>
 * </ul>
 * A batch is allocated once with the model's shape and overwritten step after step by a
 * {@code BatchSource}; the arrays of the other form are absent, and asking for them is an error
 * naming both forms. Row-major throughout; nothing is copied on the way in or out.
 */
public final class Batch {
    /** The form of a batch: what goes in and what the loss compares. */
    public enum Kind {
        /** Token ids in, a class at every step: {@code tokens [B, T]}, {@code classTargets [B, T]}. */
        TOKENS("token ids [B, T] with a class target at every step"),
        /** Vectors in, a real target at the last step: {@code inputs [B, T, I]}, {@code realTargets [B, O]}. */
        VECTORS("input vectors [B, T, I] with a real target [B, O] at the last step");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        /** What a batch of this kind holds, in words. */
        public String description() {
            return description;
        }
    }

    private final Kind kind;
    private final int batch;
    private final int steps;
    private final int inputSize;     // I, for VECTORS; 0 for TOKENS
    private final int outputSize;    // O, for VECTORS; 0 for TOKENS
    private final int[] tokens;      // [B, T] or null
    private final int[] classTargets; // [B, T] or null
    private final float[] inputs;    // [B, T, I] or null
    private final float[] realTargets; // [B, O] or null

    private Batch(Kind kind, int batch, int steps, int inputSize, int outputSize, int[] tokens, int[] classTargets,
                  float[] inputs, float[] realTargets) {
        this.kind = kind;
        this.batch = batch;
        this.steps = steps;
        this.inputSize = inputSize;
        this.outputSize = outputSize;
        this.tokens = tokens;
        this.classTargets = classTargets;
        this.inputs = inputs;
        this.realTargets = realTargets;
    }

    /** A token batch {@code [B, T]} of zeros. */
    public static Batch allocateTokens(int batch, int steps) {
        int n = Check.arrayLength("token ids [batch, steps]", Check.positive("batch", batch), Check.positive("steps", steps));
        return new Batch(Kind.TOKENS, batch, steps, 0, 0, new int[n], new int[n], null, null);
    }

    /** A vector batch of zeros: {@code inputs [B, T, I]}, {@code realTargets [B, O]}. */
    public static Batch allocateVectors(int batch, int steps, int inputSize, int outputSize) {
        int n = Check.arrayLength("inputs [batch, steps, input size]", Check.positive("batch", batch),
                Check.positive("steps", steps), Check.positive("input size", inputSize));
        int m = Check.arrayLength("real targets [batch, output size]", batch, Check.positive("output size", outputSize));
        return new Batch(Kind.VECTORS, batch, steps, inputSize, outputSize, null, null, new float[n], new float[m]);
    }

    /** A token batch over the caller's arrays (not copied): {@code tokens [B, T]}, {@code classTargets [B, T]}. */
    public static Batch wrapTokens(int[] tokens, int[] classTargets, int batch, int steps) {
        Check.positive("batch", batch);
        Check.positive("steps", steps);
        Check.shape("token ids [batch, steps]", Objects.requireNonNull(tokens, "tokens"), batch, steps);
        Check.shape("class targets [batch, steps]", Objects.requireNonNull(classTargets, "classTargets"), batch, steps);
        return new Batch(Kind.TOKENS, batch, steps, 0, 0, tokens, classTargets, null, null);
    }

    /** A vector batch over the caller's arrays (not copied): {@code inputs [B, T, I]}, {@code realTargets [B, O]}. */
    public static Batch wrapVectors(float[] inputs, float[] realTargets, int batch, int steps, int inputSize, int outputSize) {
        Check.positive("batch", batch);
        Check.positive("steps", steps);
        Check.positive("input size", inputSize);
        Check.positive("output size", outputSize);
        Check.shape("inputs [batch, steps, input size]", Objects.requireNonNull(inputs, "inputs"), batch, steps, inputSize);
        Check.shape("real targets [batch, output size]", Objects.requireNonNull(realTargets, "realTargets"), batch, outputSize);
        return new Batch(Kind.VECTORS, batch, steps, inputSize, outputSize, null, null, inputs, realTargets);
    }

    public Kind kind() {
        return kind;
    }

    /** B. */
    public int batchSize() {
        return batch;
    }

    /** T. */
    public int steps() {
        return steps;
    }

    /** I, the width of an input vector; only for {@link Kind#VECTORS}. */
    public int inputSize() {
        require(Kind.VECTORS, "the input size");
        return inputSize;
    }

    /** O, the width of a real target; only for {@link Kind#VECTORS}. */
    public int outputSize() {
        require(Kind.VECTORS, "the output size");
        return outputSize;
    }

    /** {@code [B, T]} token ids; only for {@link Kind#TOKENS}. */
    public int[] tokens() {
        require(Kind.TOKENS, "token ids");
        return tokens;
    }

    /** {@code [B, T]} the class to predict at every step; only for {@link Kind#TOKENS}. */
    public int[] classTargets() {
        require(Kind.TOKENS, "class targets");
        return classTargets;
    }

    /** {@code [B, T, I]} input vectors; only for {@link Kind#VECTORS}. */
    public float[] inputs() {
        require(Kind.VECTORS, "input vectors");
        return inputs;
    }

    /** {@code [B, O]} the real values to predict at the last step; only for {@link Kind#VECTORS}. */
    public float[] realTargets() {
        require(Kind.VECTORS, "real targets");
        return realTargets;
    }

    private void require(Kind wanted, String what) {
        if (kind != wanted) {
            throw new IllegalStateException("asked for " + what + " of a batch of " + kind.description() + ", which has none;"
                    + " they belong to a batch of " + wanted.description() + ": the likely cause is a batch source and"
                    + " a model that read different kinds of batch");
        }
    }

    @Override
    public String toString() {
        return kind == Kind.TOKENS ? "token batch " + Check.describe(batch, steps)
                : "vector batch " + Check.describe(batch, steps, inputSize) + " -> " + Check.describe(batch, outputSize);
    }
}
