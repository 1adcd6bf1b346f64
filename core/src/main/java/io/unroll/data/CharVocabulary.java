package io.unroll.data;

import java.util.Arrays;

/**
 * A character vocabulary: distinct Unicode code points, id = position. Built from a text, the
 * code points are sorted, which makes the ids independent of where characters first appear, as the
 * reference experiments and their NumPy programs number them ({@code sorted(set(text))};
 * docs/spec.md#hello-world). Read back from a checkpoint, they keep the order they were stored in,
 * whatever it is, since that order is what the model's ids mean.
 */
public final class CharVocabulary {
    private final int[] codePoints; // [V], by id
    private final int[] sorted;     // [V], the code points ascending
    private final int[] sortedIds;  // [V], the id of sorted[i]

    private CharVocabulary(int[] codePoints) {
        this.codePoints = codePoints;
        Integer[] order = new Integer[codePoints.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(codePoints[a], codePoints[b]));
        this.sorted = new int[codePoints.length];
        this.sortedIds = new int[codePoints.length];
        for (int i = 0; i < order.length; i++) {
            sorted[i] = codePoints[order[i]];
            sortedIds[i] = order[i];
        }
    }

    /** The vocabulary of every code point in {@code text}, sorted. */
    public static CharVocabulary of(String text) {
        requireText(text);
        return new CharVocabulary(text.codePoints().distinct().sorted().toArray());
    }

    /**
     * The vocabulary whose id i is the i-th code point of {@code characters}, as a checkpoint
     * stores it.
     *
     * @throws IllegalArgumentException if a character appears twice (two ids for one character)
     */
    public static CharVocabulary inOrder(String characters) {
        requireText(characters);
        CharVocabulary vocabulary = new CharVocabulary(characters.codePoints().toArray());
        for (int i = 1; i < vocabulary.sorted.length; i++) {
            if (vocabulary.sorted[i] == vocabulary.sorted[i - 1]) {
                throw new IllegalArgumentException("the vocabulary lists the character " + describe(vocabulary.sorted[i])
                        + " twice (ids " + Math.min(vocabulary.sortedIds[i - 1], vocabulary.sortedIds[i]) + " and "
                        + Math.max(vocabulary.sortedIds[i - 1], vocabulary.sortedIds[i]) + "), expected each once");
            }
        }
        return vocabulary;
    }

    private static void requireText(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("text is " + (text == null ? "missing (null)" : "empty")
                    + ", expected at least one character to build a vocabulary from");
        }
    }

    public int size() {
        return codePoints.length;
    }

    /** The id of a code point. */
    public int id(int codePoint) {
        int i = Arrays.binarySearch(sorted, codePoint);
        if (i < 0) {
            throw new IllegalArgumentException("character " + describe(codePoint) + " is not in the vocabulary of "
                    + size() + " characters; the likely cause is a text the model was not built for");
        }
        return sortedIds[i];
    }

    /** Whether the vocabulary has this code point. */
    public boolean contains(int codePoint) {
        return Arrays.binarySearch(sorted, codePoint) >= 0;
    }

    /** Ids of every code point of {@code text}. */
    public int[] encode(String text) {
        return text.codePoints().map(this::id).toArray();
    }

    /** The text of a sequence of ids. */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= codePoints.length) {
                throw new IllegalArgumentException("id " + id + " is outside the vocabulary [0, " + size() + ")");
            }
            sb.appendCodePoint(codePoints[id]);
        }
        return sb.toString();
    }

    /** The code point of an id. */
    public int codePoint(int id) {
        return codePoints[id];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharVocabulary && Arrays.equals(codePoints, ((CharVocabulary) o).codePoints);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }

    private static String describe(int codePoint) {
        return "'" + new String(Character.toChars(codePoint)) + "' (U+" + String.format("%04X", codePoint) + ")";
    }
}
