package io.unroll.lab;

import io.unroll.tensor.Check;

/** The argument checks the tasks share, on top of {@link Check}; every failure is one line. */
final class Tasks {
    private Tasks() {}

    /** A length or delay {@code value} of task {@code task} that must lie in {@code [min, max]}. */
    static int between(String task, String what, int value, int min, int max) {
        return between(task, what, value, min, max, "");
    }

    /** {@link #between(String, String, int, int, int)} with {@code why}, the reason for the bounds, appended. */
    static int between(String task, String what, int value, int min, int max, String why) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(task + " " + what + " is " + value + ", expected an integer in ["
                    + min + ", " + max + "]" + why);
        }
        return value;
    }

    /** Checks the arguments of {@link LongRangeTask#fill} against the task's shapes and kind of target. */
    static void checkFill(LongRangeTask task, int batch, float[] inputs, int[] classTargets, float[] realTargets) {
        String name = task.name();
        Check.positive(name + " batch", batch);
        int steps = task.steps();
        int width = task.inputSize();
        Check.arrayLength(name + " inputs [B, T, I]", batch, steps, width);
        Check.shape(name + " inputs [B, T, I]", inputs, batch, steps, width);
        if (task.target() == LongRangeTask.Target.CLASS_EVERY_STEP) {
            Check.shape(name + " classTargets [B, T]", classTargets, batch, steps);
            requireNull(name, "realTargets", realTargets == null ? -1 : realTargets.length, "classTargets [B, T]");
        } else {
            Check.shape(name + " realTargets [B]", realTargets, batch);
            requireNull(name, "classTargets", classTargets == null ? -1 : classTargets.length, "realTargets [B]");
        }
    }

    private static void requireNull(String task, String array, int length, String instead) {
        if (length >= 0) {
            throw new IllegalArgumentException(task + " " + array + " has " + length + " values, expected null: the"
                    + " task's targets go to " + instead);
        }
    }
}
