package io.unroll.lab;

/**
 * What the tasks with one real target after the last step share (the adding problem, the delayed
 * signal): T steps, one output, scored at step T - 1 only.
 */
abstract class LastStepTask implements LongRangeTask {
    /** T. */
    final int length;

    LastStepTask(int length) {
        this.length = length;
    }

    @Override
    public final int steps() {
        return length;
    }

    @Override
    public final Target target() {
        return Target.REAL_AT_LAST_STEP;
    }

    @Override
    public final int outputSize() {
        return 1;
    }

    /** {@code {T - 1}}. */
    @Override
    public final int[] scoredSteps() {
        return new int[] {length - 1};
    }
}
