package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DelayedSignalTaskTest {

    @Test
    void sizes() {
        DelayedSignalTask task = new DelayedSignalTask(100, 30);
        assertEquals(100, task.steps());
        assertEquals(30, task.delay());
        assertEquals(69, task.latestEventStep());
        assertEquals(2, task.inputSize());
        assertEquals(1, task.outputSize());
        assertArrayEquals(new int[] {99}, task.scoredSteps());
        assertEquals(LongRangeTask.Target.REAL_AT_LAST_STEP, task.target());
        assertEquals("delayed-signal(length=100, delay=30)", task.name());
    }

    /**
     * One event of sign +-1 at a step at least D before the last, every allowed step and both signs
     * drawn; the residual (y - s) / 0.1 must look like N(0, 1): over the n = 1,600 sequences its mean
     * within 5 standard errors (1 / sqrt(n) = 0.025) of 0, its mean square within 5 standard errors
     * (sqrt(2 / n) = 0.035) of 1, and no residual beyond 7. The series of channel 0 likewise.
     */
    @Test
    void oneEventAtLeastDelayStepsBeforeTheEndAndTheTargetFollowsItsSign() {
        double residualSum = 0;
        double residualSumSq = 0;
        double seriesSum = 0;
        double seriesSumSq = 0;
        long seriesCount = 0;
        int sequences = 0;
        for (int[] lengthAndDelay : new int[][] {{2, 1}, {10, 3}, {100, 99}, {100, 10}}) {
            int length = lengthAndDelay[0];
            int delay = lengthAndDelay[1];
            DelayedSignalTask task = new DelayedSignalTask(length, delay);
            int batch = 400;
            float[] x = new float[batch * length * 2];
            float[] y = new float[batch];
            task.fill(17, 3, batch, x, null, y);
            boolean[] stepSeen = new boolean[length - delay];
            int positive = 0;
            for (int b = 0; b < batch; b++) {
                int event = -1;
                for (int t = 0; t < length; t++) {
                    float r = x[(b * length + t) * 2];
                    float e = x[(b * length + t) * 2 + 1];
                    seriesSum += r;
                    seriesSumSq += (double) r * r;
                    seriesCount++;
                    if (e != 0f) {
                        String at = task.name() + ", sequence " + b + ", step " + t;
                        assertEquals(-1, event, at + ": a second event");
                        assertTrue(e == 1f || e == -1f, at + ": event " + e + ", expected +1 or -1");
                        event = t;
                    }
                }
                assertTrue(event >= 0, task.name() + ", sequence " + b + ": no event");
                assertTrue(length - 1 - event >= delay, task.name() + ", sequence " + b + ": event at step " + event
                        + ", only " + (length - 1 - event) + " steps before the last, expected at least " + delay);
                stepSeen[event] = true;
                float sign = x[(b * length + event) * 2 + 1];
                positive += sign > 0 ? 1 : 0;
                double residual = (y[b] - sign) / DelayedSignalTask.TARGET_NOISE;
                assertTrue(Math.abs(residual) < 7, task.name() + ", sequence " + b + ": target " + y[b]
                        + " for sign " + sign + ", a residual of " + residual + " standard deviations");
                residualSum += residual;
                residualSumSq += residual * residual;
                sequences++;
            }
            if (stepSeen.length <= 10) {
                // each step missed by 400 draws with chance at most 0.9^400 = 5e-19
                for (int t = 0; t < stepSeen.length; t++) {
                    assertTrue(stepSeen[t], task.name() + ": no event ever at step " + t + " in " + batch + " sequences");
                }
            } else {
                // the range reaches both ends: 5 of 90 steps missed by 400 draws with chance (85/90)^400 = 1e-10
                assertTrue(anyOf(stepSeen, 0, 5), task.name() + ": no event in the first 5 allowed steps");
                assertTrue(anyOf(stepSeen, stepSeen.length - 5, stepSeen.length),
                        task.name() + ": no event in the last 5 allowed steps, up to " + task.latestEventStep());
            }
            // 400 fair signs: 200 +- 10; 5 standard deviations
            assertEquals(200, positive, 50, task.name() + ": positive events");
        }
        assertEquals(0, residualSum / sequences, 5 / Math.sqrt(sequences), "mean residual");
        assertEquals(1, residualSumSq / sequences, 5 * Math.sqrt(2.0 / sequences), "mean squared residual");
        assertEquals(0, seriesSum / seriesCount, 5 / Math.sqrt(seriesCount), "mean of channel 0");
        assertEquals(1, seriesSumSq / seriesCount, 5 * Math.sqrt(2.0 / seriesCount), "mean square of channel 0");
    }

    private static boolean anyOf(boolean[] seen, int from, int to) {
        for (int t = from; t < to; t++) {
            if (seen[t]) {
                return true;
            }
        }
        return false;
    }

    /**
     * Predicting 0 has the expected squared error E[y^2] = 1.01. Over n = 100,000 sequences (more
     * than for the other tasks, so that the 0.01 of the noise stands out: 16 standard errors) the
     * mean of y^2 has standard error sd(y^2) / sqrt(n), about 0.00063 (sd(y^2) = 0.2); the formula
     * must lie within 5 of them. 0 is the best constant: the mean of y lies within 5 standard errors
     * of it. Channel 0 carries no information about y: the correlation of y with the last value of
     * the series and with the series' sum, each within 5 standard errors (1 / sqrt(n)) of 0.
     */
    @Test
    void baselineIsTheSquaredErrorOfPredictingZeroAndTheSeriesTellsNothing() {
        int length = 20;
        DelayedSignalTask task = new DelayedSignalTask(length, 5);
        int batch = 5000;
        int batches = 20;
        int n = batch * batches;
        float[] x = new float[batch * length * 2];
        float[] y = new float[batch];
        double sumY = 0;
        double sumYSq = 0;
        double sumY4 = 0;
        double sumYLast = 0;
        double sumLastSq = 0;
        double sumYSeries = 0;
        double sumSeriesSq = 0;
        for (int index = 0; index < batches; index++) {
            task.fill(7, index, batch, x, null, y);
            for (int b = 0; b < batch; b++) {
                double target = y[b];
                double last = x[(b * length + length - 1) * 2];
                double series = 0;
                for (int t = 0; t < length; t++) {
                    series += x[(b * length + t) * 2];
                }
                sumY += target;
                sumYSq += target * target;
                sumY4 += target * target * target * target;
                sumYLast += target * last;
                sumLastSq += last * last;
                sumYSeries += target * series;
                sumSeriesSq += series * series;
            }
        }
        double measured = sumYSq / n;
        double errorOfMean = Math.sqrt((sumY4 / n - measured * measured) / n);
        assertTrue(Math.abs(measured - task.baseline()) <= 5 * errorOfMean, "squared error of predicting 0: "
                + measured + " +- " + errorOfMean + " against the formula's " + task.baseline());
        assertEquals(1.01, task.baseline(), 1e-15);
        double meanY = sumY / n;
        assertTrue(Math.abs(meanY) <= 5 * Math.sqrt(measured / n), "mean target " + meanY + ", expected 0");
        // y, the last value and the series' sum all have mean 0: the correlation is the normalised mean product
        double withLast = sumYLast / Math.sqrt(sumYSq * sumLastSq);
        double withSeries = sumYSeries / Math.sqrt(sumYSq * sumSeriesSq);
        assertEquals(0, withLast, 5 / Math.sqrt(n), "correlation of y with the last value of channel 0");
        assertEquals(0, withSeries, 5 / Math.sqrt(n), "correlation of y with the sum of channel 0");
    }

    @Test
    void rejectsLengthsAndDelaysOutOfRange() {
        for (int length : new int[] {1, 0, -3, 10_001, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DelayedSignalTask(length, 1));
            TaskAssertions.assertMessage(e, "delayed-signal length is " + length, "expected an integer in [2, 10000]");
        }
        for (int delay : new int[] {0, -1, 50, 51, Integer.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DelayedSignalTask(50, delay));
            TaskAssertions.assertMessage(e, "delayed-signal delay is " + delay, "expected an integer in [1, 49]",
                    "less than the length 50");
        }
        assertEquals(0, new DelayedSignalTask(10_000, 9_999).latestEventStep());
    }
}
