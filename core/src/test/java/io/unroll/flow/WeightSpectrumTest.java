package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;
import java.util.Arrays;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The spectrum of {@code W_hh} against EJML's own SVD of the same matrix (the factors rebuild the
 * matrix with the values returned), against facts that need no decomposition (Σσ² = ‖W‖_F², the
 * trace and determinant of each block from its eigenvalues, σ_max² the largest eigenvalue of
 * WᵀW by a symmetric eigensolver), and the ordering. NumPy's values for the same matrices are
 * compared in {@link FlowVsPyTorchTest}.
 */
class WeightSpectrumTest {
    private static final double TOL = 1e-12;

    private static Recurrent stack(CellType type, int hidden, int layers, long seed) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(type, 3, hidden, layers));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(seed));
        return rnn;
    }

    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_TANH", "LSTM", "GRU"})
    void singularValuesAreEjmlsAndRebuildTheMatrix(CellType type) {
        int h = 7;
        Recurrent rnn = stack(type, h, 2, 21);
        List<WeightSpectrum> all = WeightSpectrum.of(rnn);
        assertEquals(2, all.size());
        for (int layer = 0; layer < 2; layer++) {
            WeightSpectrum s = all.get(layer);
            assertEquals(layer, s.layer());
            DMatrixRMaj w = matrix(rnn.weightHh(layer));
            double[] sv = s.singularValues();
            assertEquals(h, sv.length);
            assertDescending(sv);
            // EJML with the factors: U Σ Vᵀ with the returned σ in EJML's order is W again
            SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(w.numRows, w.numCols, true, true, true);
            assertTrue(svd.decompose(w.copy()));
            double[] ejml = svd.getSingularValues().clone();
            double[] sorted = ejml.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < h; i++) {
                assertEquals(sorted[h - 1 - i], sv[i], TOL * sv[0]);
            }
            DMatrixRMaj rebuilt = new DMatrixRMaj(w.numRows, w.numCols);
            DMatrixRMaj us = svd.getU(null, false);
            for (int r = 0; r < us.numRows; r++) {
                for (int c = 0; c < us.numCols; c++) {
                    us.set(r, c, us.get(r, c) * ejml[c]);
                }
            }
            CommonOps_DDRM.multTransB(us, svd.getV(null, false), rebuilt);
            for (int i = 0; i < w.data.length; i++) {
                assertEquals(w.data[i], rebuilt.data[i], 1e-12);
            }
            // without a decomposition: Σσ² = ‖W‖_F²; σ_max² = the largest eigenvalue of WᵀW
            double squares = 0;
            for (double v : w.data) {
                squares += v * v;
            }
            double sum = 0;
            for (double v : sv) {
                sum += v * v;
            }
            assertEquals(squares, sum, TOL * squares);
            DMatrixRMaj gram = new DMatrixRMaj(h, h);
            CommonOps_DDRM.multTransA(w, w, gram);
            EigenDecomposition_F64<DMatrixRMaj> sym = DecompositionFactory_DDRM.eig(h, false, true);
            assertTrue(sym.decompose(gram));
            double top = 0;
            for (int i = 0; i < h; i++) {
                top = Math.max(top, sym.getEigenvalue(i).real);
            }
            assertEquals(Math.sqrt(top), s.largestSingularValue(), TOL * top);
        }
    }

    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_RELU", "LSTM", "GRU"})
    void everyBlockHasItsEigenvaluesAndSingularValues(CellType type) {
        int h = 6;
        Recurrent rnn = stack(type, h, 1, 22);
        WeightSpectrum s = WeightSpectrum.of(rnn, 0);
        String expectedGates = type == CellType.LSTM ? "ifgo" : type == CellType.GRU ? "rzn" : "h";
        assertEquals(expectedGates.length(), s.blocks().size());
        double[] radius = Weights.spectralRadius(rnn.weightHh(0), type.gates());
        for (int g = 0; g < s.blocks().size(); g++) {
            WeightSpectrum.Block b = s.blocks().get(g);
            assertEquals(String.valueOf(expectedGates.charAt(g)), b.gate());
            DMatrixRMaj a = block(rnn.weightHh(0), g, h);
            // trace = Σλ, det = Πλ (complex product)
            double trace = 0;
            for (int i = 0; i < h; i++) {
                trace += a.get(i, i);
            }
            double re = 1;
            double im = 0;
            double sumRe = 0;
            double sumIm = 0;
            for (int i = 0; i < h; i++) {
                double r = b.eigenvalueReal()[i];
                double m = b.eigenvalueImag()[i];
                sumRe += r;
                sumIm += m;
                double nr = re * r - im * m;
                im = re * m + im * r;
                re = nr;
                assertEquals(Math.hypot(r, m), b.eigenvalueModulus()[i], TOL);
            }
            assertEquals(trace, sumRe, TOL);
            assertEquals(0, sumIm, TOL);
            assertEquals(CommonOps_DDRM.det(a), re, TOL);
            assertEquals(0, im, TOL);
            assertDescending(b.eigenvalueModulus());
            assertDescending(b.singularValues());
            assertEquals(b.eigenvalueModulus()[0], b.spectralRadius(), 0.0);
            assertEquals(radius[g], b.spectralRadius(), TOL);
            // |λ_max| ≤ σ_max: the spectral radius never exceeds the spectral norm
            assertTrue(b.spectralRadius() <= b.singularValues()[0] * (1 + TOL));
        }
    }

    /** The cheap radii are the full spectrum's, block by block, for every cell. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void theSpectralRadiiAloneAreThoseOfTheFullSpectrum(CellType type) {
        Recurrent rnn = stack(type, 7, 2, 5);
        for (int k = 0; k < 2; k++) {
            List<WeightSpectrum.Block> blocks = WeightSpectrum.of(rnn, k).blocks();
            double[] radii = WeightSpectrum.spectralRadii(rnn, k);
            assertEquals(blocks.size(), radii.length);
            for (int g = 0; g < radii.length; g++) {
                assertEquals(blocks.get(g).spectralRadius(), radii[g], TOL, type + " layer " + k + " block " + g);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> WeightSpectrum.spectralRadii(rnn, 2));
    }

    @Test
    void theIndRnnsWeightIsTheDiagonalOfU() {
        Recurrent rnn = stack(CellType.INDRNN_TANH, 5, 1, 23);
        Param u = rnn.weightHh(0);
        u.set(new int[] {5}, new float[] {0.5f, -1.25f, 0.75f, 1f, -0.25f});
        WeightSpectrum s = WeightSpectrum.of(rnn, 0);
        assertArrayEquals(new double[] {1.25, 1, 0.75, 0.5, 0.25}, s.singularValues(), 0.0);
        assertEquals(1, s.blocks().size());
        WeightSpectrum.Block b = s.blocks().get(0);
        assertEquals("u", b.gate());
        assertArrayEquals(new double[] {-1.25, 1, 0.75, 0.5, -0.25}, b.eigenvalueReal(), 0.0);
        assertArrayEquals(new double[5], b.eigenvalueImag(), 0.0);
        assertEquals(1.25, b.spectralRadius(), 0.0);
        assertEquals(1.25, s.largestSingularValue(), 0.0);
    }

    @Test
    void aNonFiniteWeightOrAMissingLayerIsNamed() {
        Recurrent rnn = stack(CellType.GRU, 4, 2, 24);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightSpectrum.of(rnn, 2));
        assertEquals("layer is 2, expected 0 to 1 (the stack has 2 layers)", e.getMessage());
        rnn.weightHh(1).data()[rnn.weightHh(1).offset() + 5] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> WeightSpectrum.of(rnn, 1));
        assertEquals("weight_hh_l1 has the value NaN at index 5, expected finite weights for a spectrum", e.getMessage());
    }

    @Test
    void valuesCannotBeChangedFromOutside() {
        WeightSpectrum s = WeightSpectrum.of(stack(CellType.LSTM, 3, 1, 25), 0);
        double first = s.singularValues()[0];
        s.singularValues()[0] = -1;
        s.blocks().get(0).eigenvalueReal()[0] = 99;
        assertEquals(first, s.singularValues()[0], 0.0);
        assertTrue(s.blocks().get(0).eigenvalueReal()[0] != 99);
        assertThrows(UnsupportedOperationException.class, () -> s.blocks().clear());
    }

    private static void assertDescending(double[] a) {
        for (int i = 1; i < a.length; i++) {
            assertTrue(a[i - 1] >= a[i], Arrays.toString(a));
        }
    }

    private static DMatrixRMaj matrix(Param p) {
        float[] v = p.copyValues();
        DMatrixRMaj m = new DMatrixRMaj(p.rows(), p.columns());
        for (int i = 0; i < v.length; i++) {
            m.data[i] = v[i];
        }
        return m;
    }

    private static DMatrixRMaj block(Param p, int g, int h) {
        DMatrixRMaj all = matrix(p);
        DMatrixRMaj b = new DMatrixRMaj(h, h);
        System.arraycopy(all.data, g * h * h, b.data, 0, h * h);
        return b;
    }
}
