package io.unroll.lab;

import java.util.HashMap;
import java.util.Map;

/**
 * The memoryless baseline of character language modelling: the loss, in bits per character, of a
 * model that predicts every character from the character frequencies alone, ignoring the text
 * before it. A character model that does not beat it has learned nothing from context.
 *
 * <p>Characters are Unicode code points (a character outside the Basic Multilingual Plane counts
 * once, not as two {@code char}s). With {@code n_c} the count of character {@code c} among the
 * {@code N} characters of the training part, {@code m_c} its count among the {@code M} of the
 * held-out part, and {@code V} the distinct characters of both parts (the vocabulary of a model of
 * the whole text), the probabilities are the training frequencies with add-one (Laplace) smoothing,
 * and the baseline is their cross-entropy on the held-out part:
 * <pre>
 *   p(c) = (n_c + 1) / (N + |V|)
 *   bpc  = -(1/M) Σ_c m_c log2 p(c)
 * </pre>
 * The smoothing gives a character the training part lacks a finite cost ({@code log2(N + |V|)} bits)
 * instead of an infinite one, and moves no probability by more than {@code |V| / N} from the plain
 * frequency {@code n_c / N} (0.0001 for a million characters and a vocabulary of 100).
 * {@link #entropyBits(String)} is the in-sample figure, the entropy of the plain frequencies
 * {@code -Σ_c (n_c/N) log2 (n_c/N)}. For text drawn from a fixed distribution of entropy H, the
 * in-sample figure is below H in expectation (the frequencies fit the sample) and the held-out
 * figure above it (a cross-entropy is at least the entropy), both by about {@code (|V| - 1) / (2N ln 2)}.
 */
public final class UnigramBaseline {
    private UnigramBaseline() {}

    /** The cross-entropy in bits per character of {@code heldOut} under the smoothed frequencies of {@code training}. */
    public static double bitsPerCharacter(String training, String heldOut) {
        Map<Integer, long[]> trainingCounts = counts("training text", training);
        Map<Integer, long[]> heldOutCounts = counts("held-out text", heldOut);
        long n = training.codePointCount(0, training.length());
        long m = heldOut.codePointCount(0, heldOut.length());
        int vocabulary = trainingCounts.size();
        for (Integer c : heldOutCounts.keySet()) {
            vocabulary += trainingCounts.containsKey(c) ? 0 : 1;
        }
        double bits = 0;
        for (Map.Entry<Integer, long[]> e : heldOutCounts.entrySet()) {
            long[] seen = trainingCounts.get(e.getKey());
            double p = ((seen == null ? 0 : seen[0]) + 1.0) / (n + vocabulary);
            bits -= e.getValue()[0] * log2(p);
        }
        return bits / m;
    }

    /** The entropy in bits of the character frequencies of {@code text}: its unigram loss measured on itself. */
    public static double entropyBits(String text) {
        Map<Integer, long[]> counts = counts("text", text);
        double n = text.codePointCount(0, text.length());
        double bits = 0;
        for (long[] count : counts.values()) {
            double p = count[0] / n;
            bits -= p * log2(p);
        }
        return bits;
    }

    private static Map<Integer, long[]> counts(String what, String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException(what + " is " + (text == null ? "missing (null)" : "empty")
                    + ", expected at least one character");
        }
        Map<Integer, long[]> counts = new HashMap<>();
        text.codePoints().forEach(c -> counts.computeIfAbsent(c, k -> new long[1])[0]++);
        return counts;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
