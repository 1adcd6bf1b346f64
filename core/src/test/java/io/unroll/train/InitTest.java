package io.unroll.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.cell.GruGate;
import io.unroll.cell.LstmGate;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import org.junit.jupiter.api.Test;

class InitTest {
    private static Recurrent stack(CellType cell, int input, int hidden, int layers) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "rnn.", RecurrentConfig.of(cell, input, hidden, layers));
        pb.build();
        return rnn;
    }

    /** {@code Σ_r w[r, i] w[r, j]} of one block. */
    private static double gram(Param p, int block, int rows, int i, int j) {
        int cols = p.columns();
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int base = p.offset() + (block * rows + r) * cols;
            s += (double) p.data()[base + i] * p.data()[base + j];
        }
        return s;
    }

    @Test
    void orthogonalBlocksHaveOrthonormalColumnsAndSpectralRadiusOne() {
        Recurrent rnn = stack(CellType.GRU, 5, 8, 1);
        Init.apply(rnn, InitScheme.ORTHOGONAL, Rng.seeded(3));
        Param w = rnn.weightHh(0);
        for (int blk = 0; blk < 3; blk++) {
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 8; j++) {
                    assertEquals(i == j ? 1.0 : 0.0, gram(w, blk, 8, i, j), 1e-5, "block " + blk + " (" + i + ", " + j + ")");
                }
            }
        }
        for (double r : Weights.spectralRadius(w, 3)) {
            assertEquals(1.0, r, 1e-5);
        }
        assertEquals(0f, rnn.biasIh(0).copyValues()[0]);
    }

    @Test
    void orthogonalOfAWideMatrixHasOrthonormalRows() {
        ParamStore.Builder pb = ParamStore.builder();
        Param wide = pb.add("w", 3, 7);
        pb.build();
        Weights.orthogonal(wide, 1, 2.0, Rng.seeded(1));
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double dot = 0;
                for (int c = 0; c < 7; c++) {
                    dot += (double) wide.data()[i * 7 + c] * wide.data()[j * 7 + c];
                }
                assertEquals(i == j ? 4.0 : 0.0, dot, 1e-5);
            }
        }
    }

    @Test
    void identityIsTheIdentityPlusSmallNoise() {
        Recurrent rnn = stack(CellType.RNN_RELU, 2, 6, 1);
        Init.apply(rnn, InitScheme.IDENTITY, 0.001, Rng.seeded(5));
        float[] w = rnn.weightHh(0).copyValues();
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(i == j ? 1.0 : 0.0, w[i * 6 + j], 0.01);
            }
        }
    }

    @Test
    void pytorchDefaultStaysWithinOneOverRootH() {
        Recurrent rnn = stack(CellType.LSTM, 3, 16, 2);
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(9));
        float max = 0;
        for (int k = 0; k < 2; k++) {
            for (Param p : new Param[] {rnn.weightIh(k), rnn.weightHh(k), rnn.biasIh(k), rnn.biasHh(k)}) {
                for (float v : p.copyValues()) {
                    assertTrue(Math.abs(v) <= 0.25f, p + " holds " + v);
                    max = Math.max(max, Math.abs(v));
                }
            }
        }
        assertTrue(max > 0.24f, "the whole range is used: " + max);
    }

    @Test
    void scalingToASpectralRadiusHitsIt() {
        Recurrent rnn = stack(CellType.RNN_TANH, 2, 12, 1);
        Init.apply(rnn, InitScheme.GAUSSIAN, 0.3, Rng.seeded(2));
        Weights.scaleToSpectralRadius(rnn.weightHh(0), 1, 0.95);
        assertEquals(0.95, Weights.spectralRadius(rnn.weightHh(0), 1)[0], 1e-5);
    }

    @Test
    void forgetGateBiasSetsTheEffectiveBiasOfTheForgetBlockOnly() {
        Recurrent rnn = stack(CellType.LSTM, 2, 4, 1);
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(4));
        Init.forgetGateBias(rnn, 1.0);
        float[] bIh = rnn.biasIh(0).copyValues();
        float[] bHh = rnn.biasHh(0).copyValues();
        int f = LstmGate.F.offset(4);
        for (int j = 0; j < 4; j++) {
            assertEquals(1f, bIh[f + j] + bHh[f + j]);
        }
        assertTrue(bIh[0] != 1f, "the input gate is untouched");
        assertThrows(IllegalArgumentException.class, () -> Init.forgetGateBias(stack(CellType.GRU, 2, 4, 1), 1.0));
    }

    @Test
    void theSameSeedGivesTheSameWeights() {
        Recurrent a = stack(CellType.GRU, 3, 5, 2);
        Recurrent b = stack(CellType.GRU, 3, 5, 2);
        Init.apply(a, InitScheme.XAVIER, Rng.seeded(77));
        Init.apply(b, InitScheme.XAVIER, Rng.seeded(77));
        assertArrayEquals(a.weightHh(1).copyValues(), b.weightHh(1).copyValues());
        float bound = (float) Math.sqrt(6.0 / (5 + 5));
        for (float v : a.weightHh(1).copyValues()) {
            assertTrue(Math.abs(v) <= bound);
        }
    }

    @Test
    void chronoGivesAnLstmForgetTimesSpreadUpToTheLongestAndTheInputGateTheOppositeBias() {
        Recurrent rnn = stack(CellType.LSTM, 3, 200, 2);
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(5));
        float[][] before = {rnn.biasIh(0).copyValues(), rnn.biasIh(1).copyValues()};
        Init.chrono(rnn, 70, Rng.seeded(6));
        int h = 200;
        int f = LstmGate.F.offset(h);
        int i = LstmGate.I.offset(h);
        for (int k = 0; k < 2; k++) {
            float[] bIh = rnn.biasIh(k).copyValues();
            float[] bHh = rnn.biasHh(k).copyValues();
            double meanTime = 0;
            double shortest = Double.MAX_VALUE;
            double longest = 0;
            for (int j = 0; j < h; j++) {
                assertEquals(0f, bHh[f + j]);
                assertEquals(0f, bHh[i + j]);
                assertEquals(-bIh[f + j], bIh[i + j]);
                // a forget gate σ(b) keeps the cell for 1 / (1 - σ(b)) = 1 + e^b steps
                double time = 1 / (1 - 1 / (1 + Math.exp(-bIh[f + j])));
                meanTime += time / h;
                shortest = Math.min(shortest, time);
                longest = Math.max(longest, time);
            }
            assertTrue(shortest >= 2 - 1e-4 && longest <= 70 + 1e-3, shortest + " to " + longest);
            assertTrue(shortest < 5 && longest > 65, "the times span 2 to 70: " + shortest + " to " + longest);
            // uniform in [2, 70]: mean 36, standard error 19.6 / sqrt(200) = 1.4
            assertEquals(36, meanTime, 5);
            for (int j = LstmGate.G.offset(h); j < 4 * h; j++) {
                assertEquals(before[k][j], bIh[j], "the g and o blocks are untouched");
            }
        }
        Recurrent one = stack(CellType.LSTM, 3, 200, 2);
        Recurrent two = stack(CellType.LSTM, 3, 200, 2);
        Init.chrono(one, 70, Rng.seeded(6));
        Init.chrono(two, 70, Rng.seeded(6));
        assertArrayEquals(one.biasIh(1).copyValues(), two.biasIh(1).copyValues(), "the same seed draws the same biases");
    }

    @Test
    void chronoSetsOnlyTheGruUpdateGateAndRefusesOtherCellsAndShortTimes() {
        Recurrent rnn = stack(CellType.GRU, 3, 64, 1);
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(7));
        float[] before = rnn.biasIh(0).copyValues();
        Init.chrono(rnn, 100, Rng.seeded(8));
        float[] bIh = rnn.biasIh(0).copyValues();
        float[] bHh = rnn.biasHh(0).copyValues();
        int z = GruGate.Z.offset(64);
        for (int j = 0; j < 64; j++) {
            assertEquals(0f, bHh[z + j]);
            assertTrue(bIh[z + j] >= 0 && bIh[z + j] <= Math.log(99) + 1e-6, "ln U(1, 99): " + bIh[z + j]);
            assertEquals(before[GruGate.R.offset(64) + j], bIh[GruGate.R.offset(64) + j]);
            assertEquals(before[GruGate.N.offset(64) + j], bIh[GruGate.N.offset(64) + j]);
        }
        IllegalArgumentException rnnCell = assertThrows(IllegalArgumentException.class,
                () -> Init.chrono(stack(CellType.RNN_TANH, 3, 4, 1), 70, Rng.seeded(1)));
        assertTrue(rnnCell.getMessage().contains("rnn_tanh"), rnnCell.getMessage());
        IllegalArgumentException shortTime = assertThrows(IllegalArgumentException.class,
                () -> Init.chrono(stack(CellType.GRU, 3, 4, 1), 2, Rng.seeded(1)));
        assertTrue(shortTime.getMessage().contains("at least 3"), shortTime.getMessage());
    }
}
