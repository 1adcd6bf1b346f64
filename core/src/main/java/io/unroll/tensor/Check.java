package io.unroll.tensor;

import io.unroll.kernel.Kernels;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Locale;

/**
 * The one validation helper of the public entry points. Every failure is an
 * {@link IllegalArgumentException} whose message names the value, says what was expected and,
 * where it is known, the likely cause, e.g. {@code input has 96 values, expected [4, 35, 9] = 1260}.
 */
public final class Check {
    private Check() {}

    /** A size that must be at least 1 (batch, steps, hidden size, layers, ...). */
    public static int positive(String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " is " + value + ", expected a positive number");
        }
        return value;
    }

    /** A real number that must be finite and strictly positive (learning rate, sigma, ...). */
    public static double positive(String what, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " is " + value + ", expected a finite number > 0");
        }
        return value;
    }

    /** A real number that must be finite and at least zero (momentum, weight decay, ...). */
    public static double nonNegative(String what, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " is " + value + ", expected a finite number >= 0");
        }
        return value;
    }

    /** A real number that must lie in {@code [lo, hi)}. */
    public static double inRange(String what, double value, double lo, double hi) {
        if (!(value >= lo && value < hi)) {
            throw new IllegalArgumentException(what + " is " + value + ", expected a number in [" + lo + ", " + hi + ")");
        }
        return value;
    }

    /**
     * The most values one Java array can hold: the JVM refuses longer arrays whatever the heap
     * (the JDK's own limit for growing arrays, {@code Integer.MAX_VALUE - 8}).
     */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /**
     * The number of values of an array {@code what} of shape {@code [d0, d1]}, computed without
     * overflow; it must fit one Java array. Name the dimensions in {@code what}, as in
     * {@code "inputs [batch, steps, input size]"}: the message shows them beside their values.
     *
     * @throws IllegalArgumentException naming the shape and its size when it does not
     */
    public static int arrayLength(String what, int d0, int d1) {
        return arrayLength(what, new int[] {d0, d1});
    }

    /** {@link #arrayLength(String, int, int)} for {@code [d0, d1, d2]}. */
    public static int arrayLength(String what, int d0, int d1, int d2) {
        return arrayLength(what, new int[] {d0, d1, d2});
    }

    /** {@link #arrayLength(String, int, int)} for any shape. */
    public static int arrayLength(String what, int[] shape) {
        BigInteger values = BigInteger.ONE;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(what + " has shape " + describe(shape) + ", expected sizes >= 0");
            }
            values = values.multiply(BigInteger.valueOf(d));
        }
        if (values.compareTo(BigInteger.valueOf(MAX_ARRAY_LENGTH)) > 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s = %s would hold %,d values, more than one Java array can (%,d): one of these sizes is too large",
                    what, describe(shape), values, MAX_ARRAY_LENGTH));
        }
        return values.intValue();
    }

    // Fixed-arity overloads: a varargs call would allocate its int[] on every training step.

    /** A float array that must hold exactly {@code d0} values. */
    public static void shape(String what, float[] array, int d0) {
        if (array == null || array.length != d0) {
            throw shapeError(what, array == null ? -1 : array.length, new int[] {d0});
        }
    }

    /** A float array that must hold exactly {@code d0·d1} values. */
    public static void shape(String what, float[] array, int d0, int d1) {
        if (array == null || array.length != (long) d0 * d1) {
            throw shapeError(what, array == null ? -1 : array.length, new int[] {d0, d1});
        }
    }

    /** A float array that must hold exactly {@code d0·d1·d2} values. */
    public static void shape(String what, float[] array, int d0, int d1, int d2) {
        if (array == null || array.length != (long) d0 * d1 * d2) {
            throw shapeError(what, array == null ? -1 : array.length, new int[] {d0, d1, d2});
        }
    }

    /** A float array that must hold exactly the product of {@code shape} values. */
    public static void shape(String what, float[] array, int[] shape) {
        if (array == null || array.length != product(shape)) {
            throw shapeError(what, array == null ? -1 : array.length, shape);
        }
    }

    /** An int array (token ids, targets) that must hold exactly {@code d0} values. */
    public static void shape(String what, int[] array, int d0) {
        if (array == null || array.length != d0) {
            throw shapeError(what, array == null ? -1 : array.length, new int[] {d0});
        }
    }

    /** An int array (token ids, targets) that must hold exactly {@code d0·d1} values. */
    public static void shape(String what, int[] array, int d0, int d1) {
        if (array == null || array.length != (long) d0 * d1) {
            throw shapeError(what, array == null ? -1 : array.length, new int[] {d0, d1});
        }
    }

    /** The error for an array of {@code actual} values (-1: null) where {@code shape} was expected. */
    private static IllegalArgumentException shapeError(String what, int actual, int[] shape) {
        if (actual < 0) {
            return new IllegalArgumentException(what + " is missing (null), expected " + describe(shape));
        }
        return new IllegalArgumentException(what + " has " + actual + " values, expected "
                + describe(shape) + " = " + product(shape) + likelyShapeCause(actual, shape));
    }

    /** Every value must be finite; names the first offending position. */
    public static void finite(String what, float[] array) {
        finite(what, "", array);
    }

    /** {@link #finite(String, float[])} for the value named {@code what + part}, joined only on failure. */
    public static void finite(String what, String part, float[] array) {
        if (Kernels.allFinite(array, 0, array.length)) {
            return;
        }
        for (int i = 0; i < array.length; i++) {
            if (!Float.isFinite(array[i])) {
                throw new IllegalArgumentException(what + part + " holds " + array[i] + " at flat index " + i
                        + ", expected finite values; the likely cause is a NaN or overflow upstream"
                        + " (unscaled data, a diverged model or a learning rate that is too high)");
            }
        }
    }

    /** Every id must lie in {@code [0, bound)}; names the first offending position. */
    public static void ids(String what, int[] ids, int bound, String boundName) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= bound) {
                throw new IllegalArgumentException(what + " holds " + ids[i] + " at flat index " + i
                        + ", expected an id in [0, " + bound + ") (" + boundName + " " + bound
                        + "); the likely cause is a vocabulary that does not match the model");
            }
        }
    }

    /** Formats a shape the way error messages show it: {@code [4, 35, 9]}. */
    public static String describe(int... shape) {
        return Arrays.toString(shape);
    }

    private static long product(int... shape) {
        long p = 1;
        for (int d : shape) {
            p *= d;
        }
        return p;
    }

    private static String likelyShapeCause(int actual, int... shape) {
        if (shape.length >= 2 && actual > 0) {
            long withoutLast = product(shape) / Math.max(shape[shape.length - 1], 1);
            if (withoutLast > 0 && actual % withoutLast == 0) {
                return "; the last dimension looks like " + (actual / withoutLast) + " instead of "
                        + shape[shape.length - 1] + " (wrong input or hidden size?)";
            }
        }
        return "";
    }

    /**
     * Validates a loss mask {@code [positions]} of 0s and 1s (null counts every position) and
     * returns how many positions it counts, at least one.
     */
    public static int mask(float[] mask, int positions) {
        if (mask == null) {
            return positions;
        }
        shape("mask [positions]", mask, positions);
        int counted = 0;
        for (int n = 0; n < positions; n++) {
            float m = mask[n];
            if (m != 0f && m != 1f) {
                throw new IllegalArgumentException("mask holds " + m + " at position " + n + ", expected 0 or 1");
            }
            counted += (int) m;
        }
        if (counted == 0) {
            throw new IllegalArgumentException("the mask counts no position, expected at least one 1");
        }
        return counted;
    }
}
