package io.unroll.flow;

import io.unroll.cell.CellType;
import io.unroll.cell.GruGate;
import io.unroll.cell.LstmGate;
import io.unroll.layer.Recurrent;
import io.unroll.tensor.Param;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The spectrum of one layer's recurrent weight {@code W_hh}, the matrix every backward step
 * multiplies by: the singular values of the whole {@code [G·H, H]} matrix (all gate blocks stacked,
 * as PyTorch stores it), and for each gate block {@code [H, H]} its singular values, its eigenvalues
 * as complex numbers and their moduli, and its spectral radius (largest |eigenvalue|). Singular
 * values descend; eigenvalues are ordered by modulus, then real part, then imaginary part,
 * descending. Computed in double precision with EJML's SVD and eigendecomposition, the independent
 * decompositions side by side on the common fork-join pool.
 *
 * <p>Blocks are named by gate: {@code i f g o} (LSTM), {@code r z n} (GRU), {@code h} (the vanilla
 * RNN's one block). The IndRNN's recurrent weight is a vector u, the diagonal matrix
 * {@code diag(u)}: its singular values are the |u_j| and its eigenvalues the u_j, one block {@code u}.
 *
 * <p>{@link #largestSingularValue()} is γ_W of the bound {@code ‖∂h_t/∂h_k‖₂ ≤ (γ_W·γ_φ)^(t-k)}
 * ({@link JacobianBound}). A record of arrays; they are copied in and out, so a value never changes.
 *
 * @param cell           the layer's cell
 * @param layer          the layer, 0 the first
 * @param singularValues of the whole {@code W_hh}, H values, descending
 * @param blocks         one spectrum per gate block, in PyTorch's row order
 */
public record WeightSpectrum(CellType cell, int layer, double[] singularValues, List<Block> blocks) {
    public WeightSpectrum {
        if (cell == null || singularValues == null || singularValues.length == 0 || blocks == null || blocks.isEmpty()) {
            throw new IllegalArgumentException("a weight spectrum needs the cell, the singular values and at least one block");
        }
        singularValues = singularValues.clone();
        blocks = List.copyOf(blocks);
    }

    /**
     * The spectrum of one square gate block {@code [H, H]}.
     *
     * @param gate              the gate's letter ({@code i f g o}, {@code r z n}, {@code h}, or {@code u})
     * @param singularValues    H values, descending
     * @param eigenvalueReal    real parts of the H eigenvalues, in the order of the class comment
     * @param eigenvalueImag    imaginary parts, in the same order (complex ones come in conjugate pairs)
     * @param eigenvalueModulus {@code |λ|}, in the same order: descending
     * @param spectralRadius    the largest {@code |λ|}
     */
    public record Block(String gate, double[] singularValues, double[] eigenvalueReal, double[] eigenvalueImag,
                        double[] eigenvalueModulus, double spectralRadius) {
        public Block {
            if (gate == null || singularValues == null || eigenvalueReal == null || eigenvalueImag == null
                    || eigenvalueModulus == null) {
                throw new IllegalArgumentException("a block spectrum needs its gate, singular values and eigenvalues");
            }
            int n = eigenvalueReal.length;
            if (eigenvalueImag.length != n || eigenvalueModulus.length != n) {
                throw new IllegalArgumentException("block " + gate + " has " + n + " real parts, " + eigenvalueImag.length
                        + " imaginary parts and " + eigenvalueModulus.length + " moduli, expected the same number");
            }
            singularValues = singularValues.clone();
            eigenvalueReal = eigenvalueReal.clone();
            eigenvalueImag = eigenvalueImag.clone();
            eigenvalueModulus = eigenvalueModulus.clone();
        }

        @Override
        public double[] singularValues() {
            return singularValues.clone();
        }

        @Override
        public double[] eigenvalueReal() {
            return eigenvalueReal.clone();
        }

        @Override
        public double[] eigenvalueImag() {
            return eigenvalueImag.clone();
        }

        @Override
        public double[] eigenvalueModulus() {
            return eigenvalueModulus.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Block b && gate.equals(b.gate) && spectralRadius == b.spectralRadius
                    && Arrays.equals(singularValues, b.singularValues) && Arrays.equals(eigenvalueReal, b.eigenvalueReal)
                    && Arrays.equals(eigenvalueImag, b.eigenvalueImag) && Arrays.equals(eigenvalueModulus, b.eigenvalueModulus);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(new int[] {gate.hashCode(), Double.hashCode(spectralRadius), Arrays.hashCode(singularValues),
                Arrays.hashCode(eigenvalueReal), Arrays.hashCode(eigenvalueImag)});
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: σ_max %.4g, spectral radius %.4g", gate, singularValues[0], spectralRadius);
        }
    }

    /** The spectrum of every layer of {@code stack}, in layer order. */
    public static List<WeightSpectrum> of(Recurrent stack) {
        List<WeightSpectrum> all = new ArrayList<>();
        for (int k = 0; k < stack.config().layers(); k++) {
            all.add(of(stack, k));
        }
        return List.copyOf(all);
    }

    /**
     * The spectrum of layer {@code layer}'s {@code weight_hh}.
     *
     * @throws IllegalArgumentException for a layer outside the stack or a weight with a non-finite value
     */
    public static WeightSpectrum of(Recurrent stack, int layer) {
        float[] w = finiteWeights(stack, layer);
        CellType type = stack.config().cell();
        int h = stack.config().hiddenSize();
        if (stack.weightHh(layer).shape().length == 1) {
            return diagonal(type, layer, w);
        }
        String[] gates = gateNames(type);
        int count = gates.length;
        DMatrixRMaj whole = new DMatrixRMaj(count * h, h);
        for (int i = 0; i < w.length; i++) {
            whole.data[i] = w[i];
        }
        DMatrixRMaj[] blocks = new DMatrixRMaj[count];
        for (int g = 0; g < count; g++) {
            blocks[g] = new DMatrixRMaj(h, h);
            System.arraycopy(whole.data, g * h * h, blocks[g].data, 0, h * h);
        }
        // The decompositions are independent, and a general eigendecomposition costs several SVDs:
        // they run side by side on the common pool, the eigendecompositions first. One block is the whole matrix.
        double[][][] eigenvalues = new double[count][][];   // [block][H]{re, im}
        double[][] blockSingular = new double[count][];      // [block][H]
        double[][] wholeSingular = new double[1][];
        IntStream.range(0, count == 1 ? 2 : 2 * count + 1).parallel().forEach(task -> {
            if (task < count) {
                eigenvalues[task] = eigenvalues(gates[task], blocks[task]);
            } else if (task < 2 * count) {
                blockSingular[task - count] = singularValues(blocks[task - count]);
            } else {
                wholeSingular[0] = singularValues(whole);
            }
        });
        List<Block> spectra = new ArrayList<>();
        for (int g = 0; g < count; g++) {
            spectra.add(blockOf(gates[g], blockSingular[g], eigenvalues[g]));
        }
        return new WeightSpectrum(type, layer, count == 1 ? blockSingular[0] : wholeSingular[0], spectra);
    }

    /**
     * Only the spectral radius (largest |eigenvalue|) of each gate block of layer {@code layer}'s
     * {@code weight_hh}, in PyTorch's row order: the eigenvalues without the singular values, a
     * fraction of {@link #of(Recurrent, int)}'s cost, for watching it during training.
     *
     * @throws IllegalArgumentException for a layer outside the stack or a weight with a non-finite value
     */
    public static double[] spectralRadii(Recurrent stack, int layer) {
        float[] w = finiteWeights(stack, layer);
        if (stack.weightHh(layer).shape().length == 1) {
            double largest = 0;
            for (float u : w) {
                largest = Math.max(largest, Math.abs(u));
            }
            return new double[] {largest};
        }
        int h = stack.config().hiddenSize();
        double[] radii = new double[w.length / (h * h)];
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(h, false);
        DMatrixRMaj block = new DMatrixRMaj(h, h);
        for (int g = 0; g < radii.length; g++) {
            for (int i = 0; i < h * h; i++) {
                block.data[i] = w[g * h * h + i];
            }
            if (!eig.decompose(block)) {
                throw new IllegalStateException("EJML's eigendecomposition did not converge for gate block " + g + " of "
                        + stack.weightHh(layer).name());
            }
            for (int i = 0; i < h; i++) {
                radii[g] = Math.max(radii[g], eig.getEigenvalue(i).getMagnitude());
            }
        }
        return radii;
    }

    /** Layer {@code layer}'s {@code weight_hh} values, all finite. */
    private static float[] finiteWeights(Recurrent stack, int layer) {
        int layers = stack.config().layers();
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer is " + layer + ", expected 0 to " + (layers - 1) + " (the stack has "
                    + layers + " layer" + (layers == 1 ? "" : "s") + ")");
        }
        Param p = stack.weightHh(layer);
        float[] w = p.copyValues();
        for (int i = 0; i < w.length; i++) {
            if (!Float.isFinite(w[i])) {
                throw new IllegalArgumentException(p.name() + " has the value " + w[i] + " at index " + i
                        + ", expected finite weights for a spectrum");
            }
        }
        return w;
    }

    /** γ_W: the largest singular value of the whole {@code W_hh} (for the IndRNN, {@code max |u_j|}). */
    public double largestSingularValue() {
        return singularValues[0];
    }

    @Override
    public double[] singularValues() {
        return singularValues.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightSpectrum s && cell == s.cell && layer == s.layer
                && Arrays.equals(singularValues, s.singularValues) && blocks.equals(s.blocks);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {cell.hashCode(), layer, Arrays.hashCode(singularValues), blocks.hashCode()});
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s layer %d: γ_W %.4g, %s", cell.id(), layer, largestSingularValue(), blocks);
    }

    /** The gate letters of a cell with a recurrent matrix, in PyTorch's row order. */
    private static String[] gateNames(CellType type) {
        Enum<?>[] gates = type == CellType.LSTM ? LstmGate.values() : type == CellType.GRU ? GruGate.values() : null;
        if (gates == null) {
            return new String[] {"h"};
        }
        String[] names = new String[gates.length];
        for (int g = 0; g < gates.length; g++) {
            names[g] = gates[g].name().toLowerCase(Locale.ROOT);
        }
        return names;
    }

    /** {@code diag(u)}: singular values |u_j| descending, eigenvalues u_j. */
    private static WeightSpectrum diagonal(CellType type, int layer, float[] u) {
        int h = u.length;
        double[] sv = new double[h];
        double[][] eig = new double[h][];
        for (int j = 0; j < h; j++) {
            sv[j] = Math.abs(u[j]);
            eig[j] = new double[] {u[j], 0};
        }
        sortDescending(sv);
        return new WeightSpectrum(type, layer, sv, List.of(blockOf("u", sv, eig)));
    }

    /** The eigenvalues of the gate block {@code a} as {re, im} pairs, in EJML's order. */
    private static double[][] eigenvalues(String gate, DMatrixRMaj a) {
        int h = a.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(h, false);
        if (!eig.decompose(a.copy())) {
            throw new IllegalStateException("EJML's eigendecomposition did not converge for gate block " + gate);
        }
        double[][] values = new double[h][];
        for (int i = 0; i < h; i++) {
            Complex_F64 ev = eig.getEigenvalue(i);
            values[i] = new double[] {ev.real, ev.imaginary};
        }
        return values;
    }

    /** A block from its singular values and its eigenvalues as {re, im} pairs, which it orders. */
    private static Block blockOf(String gate, double[] singularValues, double[][] eigenvalues) {
        Arrays.sort(eigenvalues, Comparator.<double[]>comparingDouble(e -> Math.hypot(e[0], e[1]))
                .thenComparingDouble(e -> e[0]).thenComparingDouble(e -> e[1]).reversed());
        int n = eigenvalues.length;
        double[] re = new double[n];
        double[] im = new double[n];
        double[] mod = new double[n];
        for (int i = 0; i < n; i++) {
            re[i] = eigenvalues[i][0];
            im[i] = eigenvalues[i][1];
            mod[i] = Math.hypot(re[i], im[i]);
        }
        return new Block(gate, singularValues, re, im, mod, n == 0 ? 0 : mod[0]);
    }

    /** The singular values of {@code a}, descending. */
    private static double[] singularValues(DMatrixRMaj a) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(a.numRows, a.numCols, false, false, true);
        if (!svd.decompose(a.copy())) {
            throw new IllegalStateException("EJML's SVD did not converge for a " + a.numRows + "x" + a.numCols + " matrix");
        }
        double[] sv = Arrays.copyOf(svd.getSingularValues(), svd.numberOfSingularValues());
        sortDescending(sv);
        return sv;
    }

    private static void sortDescending(double[] a) {
        Arrays.sort(a);
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
