package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.tensor.Rng;
import org.junit.jupiter.api.Test;

class UnigramBaselineTest {

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    @Test
    void handComputedCases() {
        // V = {a, b}, N = 3: p(a) = 3/5, p(b) = 2/5
        assertEquals(-(log2(0.6) + log2(0.4)) / 2, UnigramBaseline.bitsPerCharacter("aab", "ab"), 1e-15);
        // a character the training part lacks: V = {a, b}, N = 4, p(b) = 1/6
        assertEquals(log2(6), UnigramBaseline.bitsPerCharacter("aaaa", "b"), 1e-15);
        assertEquals(2.0, UnigramBaseline.entropyBits("abcd"), 1e-15);
        assertEquals(0.0, UnigramBaseline.entropyBits("aaaa"), 0.0);
        assertEquals(-(2.0 / 3 * log2(2.0 / 3) + 1.0 / 3 * log2(1.0 / 3)), UnigramBaseline.entropyBits("aab"), 1e-15);
    }

    @Test
    void charactersAreCodePoints() {
        String smile = new String(Character.toChars(0x1F600)); // two chars, one code point
        assertEquals(1.5, UnigramBaseline.entropyBits(smile + smile + "ab"), 1e-15);
        // V = {smile, a}, N = 3: p(smile) = 3/5 (counted as chars, two surrogates would cost log2(8/3) each)
        assertEquals(-log2(0.6), UnigramBaseline.bitsPerCharacter(smile + smile + "a", smile), 1e-15);
    }

    /**
     * Text drawn from known letter probabilities 1/2, 1/4, 1/8, 1/8 has entropy 1.75 bits. On a
     * held-out part of M = 100,000 characters the measured cost per character has standard error
     * sd / sqrt(M) = 0.0026 bits (sd of -log2 p = sqrt(0.6875) = 0.83); the fitted frequencies of a
     * training part as long add about 3 / (2 N ln 2) = 2e-5 bits, far less. Within 5 standard errors.
     */
    @Test
    void heldOutCostOfAKnownSourceIsItsEntropy() {
        Rng rng = Rng.seeded(12);
        String training = sample(rng, 100_000);
        String heldOut = sample(rng, 100_000);
        double standardError = Math.sqrt(0.6875 / 100_000);
        double measured = UnigramBaseline.bitsPerCharacter(training, heldOut);
        assertTrue(Math.abs(measured - 1.75) <= 5 * standardError, measured + " bits per character, expected 1.75 +- "
                + 5 * standardError);
        assertTrue(Math.abs(UnigramBaseline.entropyBits(training) - 1.75) <= 5 * standardError);
    }

    private static String sample(Rng rng, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int k = rng.nextInt(8); // a: 4 of 8, b: 2 of 8, c and d: 1 of 8
            sb.append(k < 4 ? 'a' : k < 6 ? 'b' : k == 6 ? 'c' : 'd');
        }
        return sb.toString();
    }

    @Test
    void rejectsMissingText() {
        TaskAssertions.assertMessage(assertThrows(IllegalArgumentException.class,
                () -> UnigramBaseline.bitsPerCharacter("", "ab")), "training text is empty", "at least one character");
        TaskAssertions.assertMessage(assertThrows(IllegalArgumentException.class,
                () -> UnigramBaseline.bitsPerCharacter("ab", null)), "held-out text is missing (null)");
        TaskAssertions.assertMessage(assertThrows(IllegalArgumentException.class,
                () -> UnigramBaseline.entropyBits("")), "text is empty");
    }
}
