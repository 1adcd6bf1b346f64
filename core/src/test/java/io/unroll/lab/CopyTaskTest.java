package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CopyTaskTest {

    @Test
    void sizesFollowTheDelay() {
        CopyTask task = new CopyTask(100);
        assertEquals(120, task.steps());
        assertEquals(10, task.inputSize());
        assertEquals(9, task.outputSize());
        assertEquals(109, task.markerStep());
        assertEquals(LongRangeTask.Target.CLASS_EVERY_STEP, task.target());
        assertArrayEquals(new int[] {110, 111, 112, 113, 114, 115, 116, 117, 118, 119}, task.scoredSteps());
        assertEquals("copy(delay=100)", task.name());
        assertEquals(10_020, new CopyTask(LongRangeTask.MAX_LENGTH).steps());
    }

    @Test
    void sequencesAreSymbolsBlanksAMarkerAndTheSymbolsAsTargets() {
        for (int delay : new int[] {1, 2, 10, 57}) {
            CopyTask task = new CopyTask(delay);
            int batch = 50;
            int steps = delay + 20;
            float[] x = new float[batch * steps * 10];
            int[] y = new int[batch * steps];
            task.fill(3, 0, batch, x, y, null);
            int[] symbolCounts = new int[8];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    int channel = hotChannel(x, b, t, steps, "delay " + delay);
                    String at = "delay " + delay + ", sequence " + b + ", step " + t;
                    if (t < 10) {
                        assertTrue(channel < 8, at + ": input channel " + channel + ", expected a symbol 0..7");
                        symbolCounts[channel]++;
                        assertEquals(channel, y[b * steps + delay + 10 + t], at + ": recalled at step " + (delay + 10 + t));
                    } else if (t == delay + 9) {
                        assertEquals(CopyTask.MARKER, channel, at + ": the marker");
                    } else {
                        assertEquals(CopyTask.BLANK, channel, at + ": blank");
                    }
                    if (t < delay + 10) {
                        assertEquals(CopyTask.BLANK, y[b * steps + t], at + ": the target is blank before the recall");
                    }
                }
            }
            for (int s = 0; s < 8; s++) {
                assertTrue(symbolCounts[s] > 0, "delay " + delay + ": symbol " + s + " never drawn in 500");
            }
        }
    }

    /**
     * The curriculum's sequences: the same symbols and targets as the task's, the marker and the
     * recall where they were, the 10 symbols as one block after {@code D - d} blanks; a shift of 0
     * (the full delay) for 1/2 + 1/(2D) of the sequences and each other shift for 1/(2D), within 5
     * standard errors on 20,000 sequences.
     */
    @Test
    void mixedDelaysMoveTheSymbolsLaterAndKeepTheRest() {
        int delay = 7;
        int steps = delay + 20;
        int batch = 20_000;
        CopyTask task = new CopyTask(delay);
        float[] plain = new float[batch * steps * 10];
        int[] plainTargets = new int[batch * steps];
        task.fill(5, 2, batch, plain, plainTargets, null);
        float[] x = new float[plain.length];
        int[] y = new int[plainTargets.length];
        task.fillMixedDelays(5, 2, batch, x, y);
        assertArrayEquals(plainTargets, y, "the targets do not move");
        int[] shifts = new int[delay];
        for (int b = 0; b < batch; b++) {
            int shift = 0;
            while (hotChannel(x, b, shift, steps, "mixed") == CopyTask.BLANK) {
                shift++;
            }
            assertTrue(shift < delay, "sequence " + b + ": the symbols start at step " + shift + ", expected before " + delay);
            shifts[shift]++;
            for (int t = 0; t < steps; t++) {
                int channel = hotChannel(x, b, t, steps, "mixed");
                String at = "sequence " + b + " shifted by " + shift + ", step " + t;
                if (t >= shift && t < shift + 10) {
                    assertEquals(hotChannel(plain, b, t - shift, steps, "plain"), channel, at + ": the symbol read at step " + (t - shift));
                } else {
                    assertEquals(t == delay + 9 ? CopyTask.MARKER : CopyTask.BLANK, channel, at);
                }
            }
        }
        for (int s = 0; s < delay; s++) {
            double p = (s == 0 ? 0.5 : 0) + 0.5 / delay;
            double error = Math.sqrt(p * (1 - p) / batch);
            assertEquals(p, shifts[s] / (double) batch, 5 * error, "the share of sequences shifted by " + s);
        }
        float[] again = new float[x.length];
        task.fillMixedDelays(5, 2, batch, again, new int[y.length]);
        assertArrayEquals(x, again, "the same seed and index give the same batch");
    }

    /** The one channel holding 1 at step t of sequence b; every other value of the step must be 0. */
    private static int hotChannel(float[] x, int b, int t, int steps, String context) {
        int hot = -1;
        for (int i = 0; i < 10; i++) {
            float v = x[(b * steps + t) * 10 + i];
            assertTrue(v == 0f || v == 1f, context + ": input " + v + " at sequence " + b + ", step " + t);
            if (v == 1f) {
                assertEquals(-1, hot, context + ": two hot channels at sequence " + b + ", step " + t);
                hot = i;
            }
        }
        assertTrue(hot >= 0, context + ": no hot channel at sequence " + b + ", step " + t);
        return hot;
    }

    /**
     * The best memoryless predictor on a sample is the distribution of the target at each step as
     * the sample has it; its loss on the sample is the mean over steps of that distribution's
     * entropy. At a blank step the entropy must be 0 exactly. At a recall step, if the symbols are
     * uniform and independent, G = 2N (ln 8 - H_t) is the likelihood-ratio statistic of the uniform
     * distribution and follows a chi-square law with 7 degrees of freedom; over the 10 recall steps,
     * 70, with mean 70 and standard deviation sqrt(140) = 11.8. So the measured loss lies below the
     * formula by G / (2 N T) with G within 5 standard deviations of 70: a formula off by as little as
     * 0.001 nats per recall step (G off by 400) fails.
     */
    @Test
    void baselineIsTheLossOfTheBestMemorylessPredictorOnTwentyThousandSequences() {
        int delay = 10;
        CopyTask task = new CopyTask(delay);
        int steps = task.steps();
        int batch = 1000;
        int batches = 20;
        int n = batch * batches;
        long[][] counts = new long[steps][9];
        double statedLoss = 0; // blank certain before the recall, 1/8 per symbol during it
        float[] x = new float[batch * steps * 10];
        int[] y = new int[batch * steps];
        for (int index = 0; index < batches; index++) {
            task.fill(2024, index, batch, x, y, null);
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    int target = y[b * steps + t];
                    counts[t][target]++;
                    double q = t < delay + 10 ? (target == CopyTask.BLANK ? 1 : 0) : (target < 8 ? 1.0 / 8 : 0);
                    statedLoss -= Math.log(q);
                }
            }
        }
        double entropySum = 0;
        for (int t = 0; t < steps; t++) {
            double h = 0;
            for (long c : counts[t]) {
                if (c > 0) {
                    h -= (double) c / n * Math.log((double) c / n);
                }
            }
            if (t < delay + 10) {
                assertEquals(n, counts[t][CopyTask.BLANK], "step " + t + " has a target that is not blank");
            } else {
                assertEquals(0, counts[t][CopyTask.BLANK], "recall step " + t + " has a blank target");
            }
            entropySum += h;
        }
        double measured = entropySum / steps;
        double g = 2.0 * n * (task.baseline() - measured) * steps;
        double sd = Math.sqrt(140);
        assertTrue(Math.abs(g - 70) <= 5 * sd, "measured " + measured + " nats per step against the baseline's "
                + task.baseline() + ": G = " + g + ", expected 70 +- " + 5 * sd);
        double formula = 10 * Math.log(8) / (delay + 20);
        assertEquals(formula, task.baseline(), 1e-15);
        // finite only if no target falls outside the stated predictor's support; 1e-9 for the rounding of 600,000 sums
        assertEquals(formula, statedLoss / ((double) n * steps), 1e-9, "loss of the stated memoryless predictor");
    }

    @Test
    void rejectsDelaysOutsideOneToTheMaximum() {
        for (int delay : new int[] {0, -1, Integer.MIN_VALUE, 10_001, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CopyTask(delay));
            TaskAssertions.assertMessage(e, "copy delay is " + delay, "expected an integer in [1, 10000]");
        }
    }
}
