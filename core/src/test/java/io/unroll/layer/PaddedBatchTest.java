package io.unroll.layer;

import static io.unroll.layer.LayerCases.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import io.unroll.train.Init;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Padding never touches the result (docs/spec.md#padded-batches): a padded sequence in a batch
 * gives exactly the outputs, final state and gradients it gives alone. For random lengths, every
 * cell kind, 1 and 2 layers, a non-zero initial state and a loss on outputs and final state: the
 * batch against each sequence run by itself, with parameter gradients of the batch equal to the
 * sum of the sequences' own (to float rounding: {@code 1e-5·|x| + 1e-6}).
 */
class PaddedBatchTest {
    static Stream<Arguments> cases() {
        return LayerCases.everyCellOneAndTwoLayers(1);
    }

    @ParameterizedTest(name = "{0} layers={1}")
    @MethodSource("cases")
    void paddedSequencesGiveWhatTheyGiveAlone(CellType cell, int layers, long seed) {
        int batch = 5, steps = 9, in = 3, hidden = 7;
        Rng rng = Rng.seeded(seed);
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, in, hidden, layers));
        ParamStore store = pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, rng);
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            lengths[b] = 1 + rng.nextInt(steps);
        }
        lengths[0] = steps;
        lengths[1] = 1;
        boolean lstm = cell.hasCellState();
        int states = layers * batch * hidden;
        float[] x = gaussian(rng, batch * steps * in);
        float[] dOut = gaussian(rng, batch * steps * hidden);
        State h0 = new State(layers, batch, hidden, gaussian(rng, states), lstm ? gaussian(rng, states) : null);
        State dFinal = new State(layers, batch, hidden, gaussian(rng, states), lstm ? gaussian(rng, states) : null);

        Recurrent.Output out = rnn.forward(x, batch, steps, h0, lengths);
        float[] output = out.output().clone();
        State finalState = out.finalState().copy();
        Recurrent.Gradients g = rnn.backward(dOut, dFinal);
        float[] dInput = g.dInput().clone();
        State dInitial = g.dInitialState().copy();
        float[] batchGrads = store.grads().clone();

        float[] summedGrads = new float[store.size()];
        for (int b = 0; b < batch; b++) {
            int n = lengths[b];
            store.zeroGrads();
            Recurrent alone = rnn.sharingParameters();
            Recurrent.Output o = alone.forward(slice(x, b, steps, n, in), 1, n, rows(h0, b), null);
            String who = cell.id() + " sequence " + b + " (length " + n + ")";
            for (int t = 0; t < steps; t++) {
                for (int j = 0; j < hidden; j++) {
                    float expected = t < n ? o.output()[t * hidden + j] : 0f;
                    close(who + " output t=" + t, expected, output[(b * steps + t) * hidden + j]);
                }
            }
            closeRows(who + " final h", o.finalState().h(), finalState.h(), b, batch, hidden, layers);
            if (lstm) {
                closeRows(who + " final c", o.finalState().c(), finalState.c(), b, batch, hidden, layers);
            }
            Recurrent.Gradients ga = alone.backward(slice(dOut, b, steps, n, hidden), rows(dFinal, b));
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < in; i++) {
                    float expected = t < n ? ga.dInput()[t * in + i] : 0f;
                    close(who + " dInput t=" + t, expected, dInput[(b * steps + t) * in + i]);
                }
            }
            closeRows(who + " dh0", ga.dInitialState().h(), dInitial.h(), b, batch, hidden, layers);
            if (lstm) {
                closeRows(who + " dc0", ga.dInitialState().c(), dInitial.c(), b, batch, hidden, layers);
            }
            for (int i = 0; i < summedGrads.length; i++) {
                summedGrads[i] += store.grads()[i];
            }
        }
        for (Param p : store.params()) {
            for (int i = p.offset(); i < p.offset() + p.size(); i++) {
                close("gradient of " + p.name(), summedGrads[i], batchGrads[i]);
            }
        }
    }

    @ParameterizedTest(name = "{0} layers={1}")
    @MethodSource("cases")
    void lengthsOfZeroOrBeyondThePaddingAreRejected(CellType cell, int layers, long seed) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, 2, 3, layers));
        pb.build();
        float[] x = new float[2 * 4 * 2];
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> rnn.forward(x, 2, 4, null, new int[] {4, 0}));
        assertTrue(zero.getMessage().contains("length of sequence 1 is 0, expected 1 to 4"), zero.getMessage());
        IllegalArgumentException longer = assertThrows(IllegalArgumentException.class, () -> rnn.forward(x, 2, 4, null, new int[] {5, 2}));
        assertTrue(longer.getMessage().contains("length of sequence 0 is 5"), longer.getMessage());
        assertThrows(IllegalArgumentException.class, () -> rnn.forward(x, 2, 4, null, new int[] {4}));
    }

    private static void close(String what, float expected, float actual) {
        if (!(Math.abs(actual - expected) <= 1e-5 * Math.abs(expected) + 1e-6)) {
            throw new AssertionError(what + ": " + actual + ", expected " + expected);
        }
    }

    private static void closeRows(String what, float[] alone, float[] batched, int b, int batch, int hidden, int layers) {
        for (int k = 0; k < layers; k++) {
            for (int j = 0; j < hidden; j++) {
                close(what + " layer " + k, alone[k * hidden + j], batched[(k * batch + b) * hidden + j]);
            }
        }
    }

    /** Sequence b's first n steps of a {@code [B, T, W]} array, as {@code [1, n, W]}. */
    private static float[] slice(float[] a, int b, int steps, int n, int width) {
        return Arrays.copyOfRange(a, b * steps * width, (b * steps + n) * width);
    }

    /** Row b of every layer of a state, as a batch of one. */
    private static State rows(State s, int b) {
        int l = s.layers(), h = s.hidden(), batch = s.batch();
        float[] hh = new float[l * h];
        float[] cc = s.c() == null ? null : new float[l * h];
        for (int k = 0; k < l; k++) {
            System.arraycopy(s.h(), (k * batch + b) * h, hh, k * h, h);
            if (cc != null) {
                System.arraycopy(s.c(), (k * batch + b) * h, cc, k * h, h);
            }
        }
        return new State(l, 1, h, hh, cc);
    }
}
