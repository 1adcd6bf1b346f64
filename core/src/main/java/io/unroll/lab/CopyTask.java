package io.unroll.lab;

import io.unroll.tensor.Rng;
import java.util.Arrays;

/**
 * The copy task, or copying memory problem (after Hochreiter and Schmidhuber 1997, "Long short-term
 * memory", Neural Computation 9(8)), in the form of Arjovsky, Shah and Bengio 2016, "Unitary
 * evolution recurrent neural networks", ICML: read 10 symbols, wait, and write them back after a
 * marker.
 *
 * <p>With delay {@code D}, a sequence has {@code T = D + 20} steps of one-hot inputs over
 * {@code I = 10} channels: symbols {@code 0..7}, {@link #BLANK} (8) and {@link #MARKER} (9).
 * <pre>
 *   step t            input x_t                 target y_t
 *   0 .. 9            a_t, uniform in {0..7}    blank
 *   10 .. D + 8       blank                     blank         (D - 1 steps, none when D = 1)
 *   D + 9             marker                    blank
 *   D + 10 .. D + 19  blank                     a_{t - D - 10}
 * </pre>
 * The ten symbols are independent and uniform. There are {@code C = 9} target classes, the 8
 * symbols and blank; the marker is never a target. The symbols of a sequence are drawn in order with
 * {@code nextInt(8)}.
 *
 * <p><b>Memoryless baseline.</b> Without memory of the first 10 inputs, the best prediction at
 * each step is the distribution of its target given the step: blank with certainty on the first
 * {@code D + 10} steps (loss 0), uniform over the 8 symbols on the last 10 (loss ln 8 each). Seeing
 * the current input changes nothing, as the last 10 inputs are always blank. Averaged over the
 * {@code T} steps:
 * <pre>
 *   baseline = 10 ln 8 / (D + 20)   nats per step
 * </pre>
 *
 * <p><b>Solved</b> when at least {@link #SOLVED_ACCURACY} of the recalled symbols (the argmax of
 * the output at the last 10 steps) are right; chance is 1/8.
 */
public final class CopyTask implements LongRangeTask {
    /** The alphabet to copy from: symbols 0 .. 7. */
    public static final int SYMBOLS = 8;
    /** How many symbols a sequence asks to copy. */
    public static final int COPIED = 10;
    /** The blank input channel and target class. */
    public static final int BLANK = 8;
    /** The input channel that says "write now"; never a target. */
    public static final int MARKER = 9;
    /** The least share of recalled symbols right for the task to count as solved. */
    public static final double SOLVED_ACCURACY = 0.99;

    private static final int INPUT_SIZE = 10;
    private static final int CLASSES = 9;

    private final int delay;
    private final int steps;

    /**
     * @param delay D, in {@code [1, MAX_LENGTH]}: the marker comes at step {@code D + 9}, so the first
     *              symbol must be kept {@code D + 10} steps
     */
    public CopyTask(int delay) {
        this.delay = Tasks.between("copy", "delay", delay, 1, MAX_LENGTH);
        this.steps = delay + 2 * COPIED;
    }

    /** D, as given. */
    public int delay() {
        return delay;
    }

    /** The step of the marker, {@code D + 9}. */
    public int markerStep() {
        return delay + COPIED - 1;
    }

    @Override
    public String name() {
        return "copy(delay=" + delay + ")";
    }

    @Override
    public int inputSize() {
        return INPUT_SIZE;
    }

    @Override
    public int steps() {
        return steps;
    }

    @Override
    public Target target() {
        return Target.CLASS_EVERY_STEP;
    }

    @Override
    public int outputSize() {
        return CLASSES;
    }

    /** The 10 recall steps {@code D + 10 .. D + 19}, whose targets are the symbols in order. */
    @Override
    public int[] scoredSteps() {
        int[] recall = new int[COPIED];
        for (int k = 0; k < COPIED; k++) {
            recall[k] = steps - COPIED + k;
        }
        return recall;
    }

    @Override
    public void fill(long seed, long index, int batch, float[] inputs, int[] classTargets, float[] realTargets) {
        Tasks.checkFill(this, batch, inputs, classTargets, realTargets);
        fillSymbols(seed, index, batch, inputs, classTargets);
    }

    /**
     * The training sequences of a curriculum over the delay: batch (seed, index) as {@link #fill}
     * writes it, then every sequence, with probability 1/2, kept at delay D, else shortened to a
     * delay d uniform in {@code 1..D}: its 10 symbols move to steps {@code D-d .. D-d+9}, behind
     * {@code D-d} blanks. The marker, the recall steps and the targets stay where they are, so
     * every sequence still has T steps; a shorter delay only means less to bridge. The coins and
     * delays are drawn after the symbols from the same seeded stream.
     */
    public void fillMixedDelays(long seed, long index, int batch, float[] inputs, int[] classTargets) {
        Tasks.checkFill(this, batch, inputs, classTargets, null);
        Rng rng = fillSymbols(seed, index, batch, inputs, classTargets);
        for (int b = 0; b < batch; b++) {
            int shortened = rng.nextInt(2) == 0 ? delay : 1 + rng.nextInt(delay);
            int shift = delay - shortened;
            int in = b * steps * INPUT_SIZE; // x[b, 0, 0]
            // the 10 symbol rows move to steps shift .. shift+9 (over blanks; arraycopy allows the overlap),
            // and steps 0 .. shift-1 become blanks
            System.arraycopy(inputs, in, inputs, in + shift * INPUT_SIZE, COPIED * INPUT_SIZE);
            Arrays.fill(inputs, in, in + shift * INPUT_SIZE, 0f);
            for (int t = 0; t < shift; t++) {
                inputs[in + t * INPUT_SIZE + BLANK] = 1f;
            }
        }
    }

    /** Writes the sequences of batch (seed, index) and returns the stream, positioned after its last symbol. */
    private Rng fillSymbols(long seed, long index, int batch, float[] inputs, int[] classTargets) {
        Rng rng = Rng.seeded(seed, index);
        Arrays.fill(inputs, 0f);
        Arrays.fill(classTargets, BLANK);
        int marker = markerStep();
        for (int b = 0; b < batch; b++) {
            int in = b * steps * INPUT_SIZE;  // x[b, 0, 0]
            int out = b * steps;              // y[b, 0]
            for (int k = 0; k < COPIED; k++) {
                int symbol = rng.nextInt(SYMBOLS);
                inputs[in + k * INPUT_SIZE + symbol] = 1f;
                classTargets[out + steps - COPIED + k] = symbol;
            }
            for (int t = COPIED; t < steps; t++) {
                inputs[in + t * INPUT_SIZE + (t == marker ? MARKER : BLANK)] = 1f;
            }
        }
        return rng;
    }

    /** {@code 10 ln 8 / (D + 20)} nats per step. */
    @Override
    public double baseline() {
        return COPIED * Math.log(SYMBOLS) / steps;
    }

    /** {@link #SOLVED_ACCURACY}. */
    @Override
    public double solvedThreshold() {
        return SOLVED_ACCURACY;
    }

    @Override
    public String toString() {
        return name();
    }
}
