package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** What every task promises: seeded batches, the checks of {@link LongRangeTask#fill}, the solved criterion. */
class LongRangeTaskTest {

    private static final List<LongRangeTask> TASKS =
            List.of(new CopyTask(5), new AddingTask(30), new DelayedSignalTask(30, 4));

    /** One batch: the inputs and the targets of the task's kind. */
    private record Batch(float[] inputs, int[] classTargets, float[] realTargets) {
        static Batch of(LongRangeTask task, int batch, float fill) {
            float[] inputs = new float[batch * task.steps() * task.inputSize()];
            Arrays.fill(inputs, fill);
            if (task.target() == LongRangeTask.Target.CLASS_EVERY_STEP) {
                int[] targets = new int[batch * task.steps()];
                Arrays.fill(targets, (int) fill);
                return new Batch(inputs, targets, null);
            }
            float[] targets = new float[batch];
            Arrays.fill(targets, fill);
            return new Batch(inputs, null, targets);
        }

        static Batch filled(LongRangeTask task, long seed, long index, int batch, float fill) {
            Batch b = of(task, batch, fill);
            task.fill(seed, index, batch, b.inputs, b.classTargets, b.realTargets);
            return b;
        }

        /** The inputs and targets of sequence b as one array, to compare sequences. */
        float[] sequence(LongRangeTask task, int b) {
            int width = task.steps() * task.inputSize();
            float[] s = Arrays.copyOfRange(inputs, b * width, (b + 1) * width + task.steps());
            for (int t = 0; t < task.steps(); t++) {
                s[width + t] = classTargets != null ? classTargets[b * task.steps() + t] : t == 0 ? realTargets[b] : 0;
            }
            return s;
        }
    }

    @Test
    void theSameSeedAndIndexGiveTheSameBatchWhateverTheArraysHeldBefore() {
        for (LongRangeTask task : TASKS) {
            Batch first = Batch.filled(task, 42, 3, 16, 0f);
            Batch again = Batch.filled(task, 42, 3, 16, -7f); // every value must be overwritten
            Batch.filled(task, 42, 0, 16, 0f);                // another batch in between changes nothing
            Batch later = Batch.filled(task, 42, 3, 16, Float.NaN);
            for (Batch b : new Batch[] {again, later}) {
                assertArrayEquals(first.inputs, b.inputs, task.name() + " inputs");
                assertArrayEquals(first.classTargets, b.classTargets, task.name() + " class targets");
                assertArrayEquals(first.realTargets, b.realTargets, task.name() + " real targets");
            }
        }
    }

    @Test
    void otherIndicesAndSeedsGiveOtherSequences() {
        for (LongRangeTask task : TASKS) {
            Batch base = Batch.filled(task, 42, 3, 16, 0f);
            for (Batch other : new Batch[] {Batch.filled(task, 42, 4, 16, 0f), Batch.filled(task, 42, -3, 16, 0f),
                    Batch.filled(task, 43, 3, 16, 0f)}) {
                // no sequence of one batch anywhere in the other: not even shifted streams overlap
                for (int a = 0; a < 16; a++) {
                    for (int b = 0; b < 16; b++) {
                        assertFalse(Arrays.equals(base.sequence(task, a), other.sequence(task, b)),
                                task.name() + ": sequence " + a + " of batch (42, 3) reappears as sequence " + b);
                    }
                }
            }
            // within a batch, too
            for (int a = 0; a < 16; a++) {
                for (int b = a + 1; b < 16; b++) {
                    assertFalse(Arrays.equals(base.sequence(task, a), base.sequence(task, b)),
                            task.name() + ": sequences " + a + " and " + b + " are equal");
                }
            }
        }
    }

    @Test
    void scoredStepsAreANewArrayEachTime() {
        for (LongRangeTask task : TASKS) {
            int[] steps = task.scoredSteps();
            int last = steps[steps.length - 1];
            steps[steps.length - 1] = -1;
            assertEquals(last, task.scoredSteps()[steps.length - 1], task.name());
            assertEquals(task.steps() - 1, last, task.name() + ": the last scored step is the last step");
        }
    }

    @Test
    void solvedCompareTheMeasureWithTheThreshold() {
        CopyTask copy = new CopyTask(5);
        assertTrue(copy.solved(0.99));
        assertFalse(copy.solved(0.989));
        AddingTask adding = new AddingTask(30);
        assertTrue(adding.solved(0.0099));
        assertFalse(adding.solved(0.01));
        assertFalse(adding.solved(adding.baseline()));
        DelayedSignalTask signal = new DelayedSignalTask(30, 4);
        assertTrue(signal.solved(0.049));
        assertFalse(signal.solved(0.05));
        assertTrue(signal.solved(DelayedSignalTask.TARGET_NOISE * DelayedSignalTask.TARGET_NOISE)); // the floor
    }

    @Test
    void fillRejectsABadBatchSize() {
        for (LongRangeTask task : TASKS) {
            Batch b = Batch.of(task, 4, 0f);
            for (int batch : new int[] {0, -2}) {
                assertBad(() -> task.fill(1, 0, batch, b.inputs, b.classTargets, b.realTargets),
                        task.name() + " batch is " + batch, "expected a positive number");
            }
            assertBad(() -> task.fill(1, 0, Integer.MAX_VALUE, b.inputs, b.classTargets, b.realTargets),
                    task.name() + " inputs [B, T, I] = [2147483647, " + task.steps() + ", " + task.inputSize() + "]",
                    "more than one Java array can");
        }
    }

    @Test
    void fillRejectsInputsOfTheWrongSize() {
        for (LongRangeTask task : TASKS) {
            Batch b = Batch.of(task, 4, 0f);
            String shape = "[4, " + task.steps() + ", " + task.inputSize() + "]";
            float[] short1 = new float[b.inputs.length - 1];
            assertBad(() -> task.fill(1, 0, 4, short1, b.classTargets, b.realTargets),
                    task.name() + " inputs [B, T, I] has " + short1.length + " values", "expected " + shape);
            assertBad(() -> task.fill(1, 0, 4, null, b.classTargets, b.realTargets),
                    task.name() + " inputs [B, T, I] is missing (null)", "expected " + shape);
            // the arrays of a batch of 4 for a batch of 3
            assertBad(() -> task.fill(1, 0, 3, b.inputs, b.classTargets, b.realTargets),
                    task.name() + " inputs [B, T, I] has " + b.inputs.length + " values",
                    "expected [3, " + task.steps() + ", " + task.inputSize() + "]");
        }
    }

    @Test
    void fillRejectsTargetsOfTheWrongSizeOrKind() {
        CopyTask copy = new CopyTask(5);
        float[] x = new float[4 * 25 * 10];
        assertBad(() -> copy.fill(1, 0, 4, x, null, null), "copy(delay=5) classTargets [B, T] is missing (null)",
                "expected [4, 25]");
        assertBad(() -> copy.fill(1, 0, 4, x, new int[99], null), "copy(delay=5) classTargets [B, T] has 99 values",
                "expected [4, 25] = 100");
        assertBad(() -> copy.fill(1, 0, 4, x, new int[100], new float[4]), "copy(delay=5) realTargets has 4 values",
                "expected null", "classTargets [B, T]");
        for (LongRangeTask task : List.of(new AddingTask(30), new DelayedSignalTask(30, 4))) {
            float[] inputs = new float[4 * 30 * 2];
            assertBad(() -> task.fill(1, 0, 4, inputs, null, null), task.name() + " realTargets [B] is missing (null)",
                    "expected [4]");
            assertBad(() -> task.fill(1, 0, 4, inputs, null, new float[5]), task.name() + " realTargets [B] has 5 values",
                    "expected [4]");
            assertBad(() -> task.fill(1, 0, 4, inputs, new int[120], new float[4]),
                    task.name() + " classTargets has 120 values", "expected null", "realTargets [B]");
        }
    }

    private static void assertBad(Executable call, String... keywords) {
        TaskAssertions.assertMessage(assertThrows(IllegalArgumentException.class, call), keywords);
    }
}
