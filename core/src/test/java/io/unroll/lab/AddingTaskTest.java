package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AddingTaskTest {

    @Test
    void sizes() {
        AddingTask task = new AddingTask(101);
        assertEquals(101, task.steps());
        assertEquals(2, task.inputSize());
        assertEquals(1, task.outputSize());
        assertEquals(50, task.secondHalfStart());
        assertArrayEquals(new int[] {100}, task.scoredSteps());
        assertEquals(LongRangeTask.Target.REAL_AT_LAST_STEP, task.target());
        assertEquals("adding(length=101)", task.name());
    }

    @Test
    void twoMarkersOneInEachHalfAndTheTargetIsTheirSum() {
        for (int length : new int[] {2, 3, 4, 7, 100, 101}) {
            AddingTask task = new AddingTask(length);
            int batch = 400;
            float[] x = new float[batch * length * 2];
            float[] y = new float[batch];
            task.fill(11, 5, batch, x, null, y);
            int half = length / 2;
            boolean[] firstSeen = new boolean[half];
            boolean[] secondSeen = new boolean[length - half];
            for (int b = 0; b < batch; b++) {
                int first = -1;
                int second = -1;
                for (int t = 0; t < length; t++) {
                    String at = "length " + length + ", sequence " + b + ", step " + t;
                    float v = x[(b * length + t) * 2];
                    float m = x[(b * length + t) * 2 + 1];
                    assertTrue(v >= 0f && v < 1f, at + ": value " + v + ", expected [0, 1)");
                    assertTrue(m == 0f || m == 1f, at + ": marker " + m + ", expected 0 or 1");
                    if (m == 1f) {
                        if (t < half) {
                            assertEquals(-1, first, at + ": a second marker in the first half [0, " + half + ")");
                            first = t;
                        } else {
                            assertEquals(-1, second, at + ": a second marker in the second half [" + half + ", "
                                    + length + ")");
                            second = t;
                        }
                    }
                }
                assertTrue(first >= 0 && second >= 0, "length " + length + ", sequence " + b
                        + ": markers at " + first + " and " + second + ", expected one in each half");
                firstSeen[first] = true;
                secondSeen[second - half] = true;
                float sum = x[(b * length + first) * 2] + x[(b * length + second) * 2];
                assertEquals(sum, y[b], 0f, "length " + length + ", sequence " + b);
            }
            if (length <= 7) {
                for (int t = 0; t < length; t++) {
                    assertTrue(t < half ? firstSeen[t] : secondSeen[t - half],
                            "length " + length + ": no marker ever at step " + t + " in 400 sequences");
                }
            }
        }
    }

    /**
     * Always predicting 1 has the expected squared error Var(v1 + v2) = 1/6. Measured on 20,000
     * sequences, the mean of e = (y - 1)^2 has standard error sd(e) / sqrt(n), about 0.0014 (sd(e)
     * = sqrt(1/15 - 1/36) = 0.197 for the triangular y); the formula must lie within 5 of them, and
     * 1/6 is also the best constant: the sample mean of y lies within 5 standard errors (about
     * 0.0029 each) of 1. An error of 0.007 in the formula fails.
     */
    @Test
    void baselineIsTheSquaredErrorOfPredictingOneOnTwentyThousandSequences() {
        AddingTask task = new AddingTask(50);
        int batch = 1000;
        int batches = 20;
        int n = batch * batches;
        float[] x = new float[batch * 50 * 2];
        float[] y = new float[batch];
        double sumY = 0;
        double sumYSq = 0;
        double sumE = 0;
        double sumESq = 0;
        for (int index = 0; index < batches; index++) {
            task.fill(99, index, batch, x, null, y);
            for (float target : y) {
                double e = (target - 1.0) * (target - 1.0);
                sumY += target;
                sumYSq += (double) target * target;
                sumE += e;
                sumESq += e * e;
            }
        }
        double measured = sumE / n;
        double errorOfMean = Math.sqrt((sumESq / n - measured * measured) / n);
        assertTrue(Math.abs(measured - task.baseline()) <= 5 * errorOfMean, "squared error of predicting 1: "
                + measured + " +- " + errorOfMean + " against the formula's " + task.baseline());
        assertEquals(1.0 / 6, task.baseline(), 1e-15);
        double meanY = sumY / n;
        double errorOfMeanY = Math.sqrt((sumYSq / n - meanY * meanY) / n);
        assertTrue(Math.abs(meanY - 1) <= 5 * errorOfMeanY, "mean target " + meanY + " +- " + errorOfMeanY
                + ", expected 1, the best constant");
    }

    @Test
    void rejectsLengthsOutsideTwoToTheMaximum() {
        for (int length : new int[] {1, 0, -5, Integer.MIN_VALUE, 10_001, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AddingTask(length));
            TaskAssertions.assertMessage(e, "adding length is " + length, "expected an integer in [2, 10000]");
        }
        assertEquals(10_000, new AddingTask(10_000).steps());
    }
}
