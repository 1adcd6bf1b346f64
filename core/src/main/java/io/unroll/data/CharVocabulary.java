package io.unroll.data;

import java.util.Arrays;

/**
 * A character vocabulary: the sorted distinct Unicode code points of a text, id = rank. Sorting
 * makes the ids independent of where characters first appear, as the reference experiments and their
 * NumPy programs number them ({@code sorted(set(text))}; docs/spec.md#hello-world).
 */
public final class CharVocabulary {
    private final int[] codePoints; // [V], ascending

    private CharVocabulary(int[] codePoints) {
        this.codePoints = codePoints;
    }

    /** The vocabulary of every code point in {@code text}. */
    public static CharVocabulary of(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("text is " + (text == null ? "missing (null)" : "empty")
                    + ", expected at least one character to build a vocabulary from");
        }
        return new CharVocabulary(text.codePoints().distinct().sorted().toArray());
    }

    public int size() {
        return codePoints.length;
    }

    /** The id of a code point. */
    public int id(int codePoint) {
        int i = Arrays.binarySearch(codePoints, codePoint);
        if (i < 0) {
            throw new IllegalArgumentException("character " + describe(codePoint) + " is not in the vocabulary of "
                    + size() + " characters; the likely cause is a text the model was not built for");
        }
        return i;
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
