package io.unroll.kernel;

/**
 * The plain-loop twin of the SIMD kernels: readable, obviously correct, and the specification
 * every vectorised kernel is tested against. Each method documents its exact arithmetic; see
 * {@link Kernels} for the shapes. Its sections are split into classes on the SIMD side
 * ({@link SimdKernels}): GEMM, rows and vectors, activations, and the gate math of the cells.
 *
 * <p>Gate math follows PyTorch's {@code nn.RNN}, {@code nn.LSTM} and {@code nn.GRU}. Within a row
 * of a gate buffer the gates are laid out in PyTorch's order, each {@code H} wide: RNN {@code [h]},
 * LSTM {@code [i | f | g | o]}, GRU {@code [r | z | n]}.
 */
public final class ScalarKernels {
    private ScalarKernels() {}

    // ---------------------------------------------------------------- GEMM

    /**
     * Tiles of {@link #transpose}: 8 rows of the source by 32 columns, written column by column
     * so the destination fills contiguously. Eight rows are at most eight lines of one L1 set
     * when the source's rows are a multiple of 4 KB apart (a weight with 1024 columns), where
     * 32 x 32 tiles thrashed (docs/engine.md#products).
     */
    private static final int TRANSPOSE_ROWS = 8;
    private static final int TRANSPOSE_COLUMNS = 32;

    /** {@code dst[j, i] = src[i, j]} for {@code src [rows, cols]}, tile by tile. */
    public static void transpose(float[] dst, int dstOff, float[] src, int srcOff, int rows, int cols) {
        transpose(dst, dstOff, rows, src, srcOff, rows, cols);
    }

    /** {@code dst[dstOff + j·ldd + i] = src[srcOff + i·cols + j]} for {@code src [rows, cols]}. */
    private static void transpose(float[] dst, int dstOff, int ldd, float[] src, int srcOff, int rows, int cols) {
        for (int i0 = 0; i0 < rows; i0 += TRANSPOSE_ROWS) {
            int i1 = Math.min(rows, i0 + TRANSPOSE_ROWS);
            for (int j0 = 0; j0 < cols; j0 += TRANSPOSE_COLUMNS) {
                int j1 = Math.min(cols, j0 + TRANSPOSE_COLUMNS);
                for (int j = j0; j < j1; j++) {
                    for (int i = i0; i < i1; i++) {
                        dst[dstOff + j * ldd + i] = src[srcOff + i * cols + j];
                    }
                }
            }
        }
    }

    /** B {@code [k, n]} (or {@code srcᵀ} for {@code src [n, k]}) into the panel layout of {@link Kernels#packPanels}. */
    public static void packPanels(float[] dst, int dstOff, float[] src, int srcOff, int k, int n, boolean transposed) {
        if (!transposed) {
            packPanels(dst, dstOff, src, srcOff, n, k, n);
            return;
        }
        int w = Kernels.PANEL_COLUMNS;
        for (int j0 = 0; j0 < n; j0 += w) {
            int width = Math.min(w, n - j0);
            // rows j0 .. j0 + width of src [n, k], transposed into the panel [k, width]
            transpose(dst, dstOff + j0 * k, width, src, srcOff + j0 * k, width, k);
        }
    }

    /** {@code [k, n]} with rows {@code ldSrc} apart into the panel layout of {@link Kernels#packPanels}. */
    static void packPanels(float[] dst, int dstOff, float[] src, int srcOff, int ldSrc, int k, int n) {
        int w = Kernels.PANEL_COLUMNS;
        for (int j0 = 0; j0 < n; j0 += w) {
            int width = Math.min(w, n - j0);
            copyRows(dst, dstOff + j0 * k, width, src, srcOff + j0, ldSrc, k, width);
        }
    }

    /** {@code rows} rows of {@code width} floats, {@code ldSrc} apart in src, into dst {@code ldDst} apart. */
    static void copyRows(float[] dst, int dstOff, int ldDst, float[] src, int srcOff, int ldSrc, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, srcOff + r * ldSrc, dst, dstOff + r * ldDst, width);
        }
    }

    /** {@code C[m,n] += A[m,k] · B[k,n]}, B in the panel layout: {@code B[p,j]} at {@code j0·k + p·width + (j - j0)}. */
    public static void gemmNNPanelsAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        int w = Kernels.PANEL_COLUMNS;
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = a[aOff + i * k + p];
                for (int j = 0; j < n; j++) {
                    int j0 = j / w * w;
                    int width = Math.min(w, n - j0);
                    c[cOff + i * n + j] += aip * b[bOff + j0 * k + p * width + (j - j0)];
                }
            }
        }
    }

    /** {@code C[m,n] = A[m,k] · B[k,n]}. */
    public static void gemmNN(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        java.util.Arrays.fill(c, cOff, cOff + m * n, 0f);
        gemmNNAdd(c, cOff, a, aOff, b, bOff, m, n, k);
    }

    /** {@code C[m,n] += A[m,k] · B[k,n]}. */
    public static void gemmNNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = a[aOff + i * k + p];
                for (int j = 0; j < n; j++) {
                    c[cOff + i * n + j] += aip * b[bOff + p * n + j];
                }
            }
        }
    }

    /** {@code C[m,n] += A[k,m]ᵀ · B[k,n]}: the weight-gradient product, summing over rows {@code k}. */
    public static void gemmTNAdd(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int m, int n, int k) {
        for (int p = 0; p < k; p++) {
            for (int i = 0; i < m; i++) {
                float api = a[aOff + p * m + i];
                for (int j = 0; j < n; j++) {
                    c[cOff + i * n + j] += api * b[bOff + p * n + j];
                }
            }
        }
    }

    // ---------------------------------------------------------------- rows and vectors

    /** {@code C[i, j] += bias[j]} for every row {@code i < m}. */
    public static void addRowVector(float[] c, int cOff, float[] bias, int biasOff, int m, int n) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c[cOff + i * n + j] += bias[biasOff + j];
            }
        }
    }

    /** {@code dst[j] += Σ_i A[i, j]}: bias gradients. */
    public static void addColumnSums(float[] dst, int dstOff, float[] a, int aOff, int m, int n) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                dst[dstOff + j] += a[aOff + i * n + j];
            }
        }
    }

    /** {@code Σ x[i]²}, accumulated in double. */
    public static double sumOfSquares(float[] x, int off, int len) {
        double sum = 0;
        for (int i = 0; i < len; i++) {
            double v = x[off + i];
            sum += v * v;
        }
        return sum;
    }

    /**
     * Row-wise softmax of {@code src [rows, cols]} into {@code dst}, and
     * {@code logSumExp[r] = log Σ_j e^{src[r,j]}}, shifted by the row maximum, in double:
     * {@code dst[r,j] = e^{src[r,j] - logSumExp[r]}}.
     */
    public static void softmaxRows(float[] dst, int dOff, float[] src, int sOff, int rows, int cols, double[] logSumExp) {
        for (int r = 0; r < rows; r++) {
            int in = sOff + r * cols, out = dOff + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, src[in + j]);
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(src[in + j] - max);
            }
            double lse = Math.log(sum) + max;
            for (int j = 0; j < cols; j++) {
                dst[out + j] = (float) Math.exp(src[in + j] - lse);
            }
            logSumExp[r] = lse;
        }
    }

    /** Whether every {@code x[i]} is finite. */
    public static boolean allFinite(float[] x, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (!Float.isFinite(x[off + i])) {
                return false;
            }
        }
        return true;
    }

    /** {@code x[i] *= s}. */
    public static void scale(float[] x, int off, int len, float s) {
        for (int i = 0; i < len; i++) {
            x[off + i] *= s;
        }
    }

    /** {@code y[i] += x[i]}. */
    public static void add(float[] y, int yOff, float[] x, int xOff, int len) {
        sum(y, yOff, y, yOff, x, xOff, len);
    }

    /** {@code dst[i] = a[i] + b[i]}. */
    public static void sum(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int len) {
        for (int i = 0; i < len; i++) {
            dst[dOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    // ---------------------------------------------------------------- activations

    /** Logistic sigmoid {@code 1 / (1 + e^-x)}, written to stay finite for any finite x. */
    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** {@code tanh(x)}. */
    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    // ---------------------------------------------------------------- vanilla RNN

    /** Forward activation in place: {@code h = tanh(pre)} or {@code relu(pre) = max(pre, 0)}. */
    public static void rnnActivate(float[] pre, int off, int len, boolean relu) {
        for (int i = 0; i < len; i++) {
            float z = pre[off + i];
            pre[off + i] = relu ? Math.max(z, 0f) : tanh(z);
        }
    }

    /**
     * Backward through the activation, from the output {@code h}:
     * {@code dPre = dh · (1 - h²)} (tanh) or {@code dPre = h > 0 ? dh : 0} (relu).
     */
    public static void rnnActivateBackward(float[] dPre, int dPreOff, float[] h, int hOff,
                                           float[] dh, int dhOff, int len, boolean relu) {
        for (int i = 0; i < len; i++) {
            float hv = h[hOff + i];
            float g = dh[dhOff + i];
            dPre[dPreOff + i] = relu ? (hv > 0f ? g : 0f) : g * (1f - hv * hv);
        }
    }

    // ---------------------------------------------------------------- IndRNN

    /**
     * IndRNN step in place for {@code batch} rows of {@code hidden} units, the input projection
     * already in {@code pre}: {@code pre[b, j] = φ(pre[b, j] + u[j]·hPrev[b, j])}, φ = tanh or relu.
     */
    public static void indRnnForward(float[] pre, int off, float[] hPrev, int hPrevOff, float[] u, int uOff,
                                     int batch, int hidden, boolean relu) {
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < hidden; j++) {
                int i = b * hidden + j;
                pre[off + i] += u[uOff + j] * hPrev[hPrevOff + i];
            }
        }
        rnnActivate(pre, off, batch * hidden, relu);
    }

    /**
     * IndRNN step backward from the output h: {@code dPre = dh·φ'} (as {@link #rnnActivateBackward}),
     * then {@code dhPrev[b, j] = dPre[b, j]·u[j]}, the gradient carried to h_{t-1}.
     */
    public static void indRnnBackward(float[] dPre, int dPreOff, float[] h, int hOff, float[] dh, int dhOff,
                                      float[] u, int uOff, float[] dhPrev, int dhPrevOff, int batch, int hidden, boolean relu) {
        rnnActivateBackward(dPre, dPreOff, h, hOff, dh, dhOff, batch * hidden, relu);
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < hidden; j++) {
                int i = b * hidden + j;
                dhPrev[dhPrevOff + i] = dPre[dPreOff + i] * u[uOff + j];
            }
        }
    }

    /** The IndRNN's recurrent-weight gradient of one step: {@code du[j] += Σ_b dPre[b, j]·hPrev[b, j]}. */
    public static void indRnnRecurrentGradient(float[] du, int duOff, float[] dPre, int dPreOff, float[] hPrev, int hPrevOff,
                                               int batch, int hidden) {
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < hidden; j++) {
                int i = b * hidden + j;
                du[duOff + j] += dPre[dPreOff + i] * hPrev[hPrevOff + i];
            }
        }
    }

    // ---------------------------------------------------------------- LSTM

    /**
     * LSTM pointwise step for {@code batch} rows. {@code gates} holds the pre-activations
     * {@code [B, 4H]} in the order i, f, g, o and is overwritten by the activations
     * {@code i = σ, f = σ, g = tanh, o = σ}; then {@code c = f·cPrev + i·g}, {@code h = o·tanh(c)}.
     * {@code cPrev}, {@code c}, {@code h} are {@code [B, H]}.
     */
    public static void lstmForward(float[] gates, int gOff, float[] cPrev, int cPrevOff,
                                   float[] c, int cOff, float[] h, int hOff, int batch, int hidden) {
        for (int b = 0; b < batch; b++) {
            int row = gOff + b * 4 * hidden;
            for (int j = 0; j < hidden; j++) {
                int gi = row + j, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
                float i = sigmoid(gates[gi]);
                float f = sigmoid(gates[gf]);
                float g = tanh(gates[gg]);
                float o = sigmoid(gates[go]);
                gates[gi] = i;
                gates[gf] = f;
                gates[gg] = g;
                gates[go] = o;
                int s = b * hidden + j;
                float cv = f * cPrev[cPrevOff + s] + i * g;
                c[cOff + s] = cv;
                h[hOff + s] = o * tanh(cv);
            }
        }
    }

    /**
     * LSTM pointwise backward for {@code batch} rows. Reads the activations {@code gates [B, 4H]},
     * {@code cPrev}, {@code c}, the total {@code dh} and the carried {@code dc} (all {@code [B, H]});
     * writes {@code dGates [B, 4H]} (gradient of the gate pre-activations) and overwrites
     * {@code dc} with {@code dcPrev = dcTotal · f}. {@code dc} may be all zeros at the last step.
     */
    public static void lstmBackward(float[] dGates, int dgOff, float[] gates, int gOff,
                                    float[] cPrev, int cPrevOff, float[] c, int cOff,
                                    float[] dh, int dhOff, float[] dc, int dcOff, int batch, int hidden) {
        for (int b = 0; b < batch; b++) {
            int row = b * 4 * hidden;
            for (int j = 0; j < hidden; j++) {
                int gi = row + j, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
                int s = b * hidden + j;
                float i = gates[gOff + gi], f = gates[gOff + gf], g = gates[gOff + gg], o = gates[gOff + go];
                float tanhC = tanh(c[cOff + s]);
                float dhv = dh[dhOff + s];
                // h = o·tanh(c): through o, and through tanh(c) into the cell, joining the carried dc
                float dO = dhv * tanhC;
                float dcTotal = dc[dcOff + s] + dhv * o * (1f - tanhC * tanhC);
                // c = f·cPrev + i·g
                float dI = dcTotal * g;
                float dF = dcTotal * cPrev[cPrevOff + s];
                float dG = dcTotal * i;
                dc[dcOff + s] = dcTotal * f;
                // through the gate non-linearities: σ' = σ(1-σ), tanh' = 1 - tanh²
                dGates[dgOff + gi] = dI * i * (1f - i);
                dGates[dgOff + gf] = dF * f * (1f - f);
                dGates[dgOff + gg] = dG * (1f - g * g);
                dGates[dgOff + go] = dO * o * (1f - o);
            }
        }
    }

    // ---------------------------------------------------------------- GRU

    /**
     * GRU pointwise step for {@code batch} rows. {@code gates [B, 3H]} holds the input projection
     * {@code W_i· x + b_i·} in the order r, z, n and is overwritten by the activations r, z, n;
     * {@code hProj [B, 3H]} holds {@code W_h· h_{t-1} + b_h·}. Computes
     * {@code r = σ(x_r + h_r)}, {@code z = σ(x_z + h_z)}, {@code n = tanh(x_n + r·h_n)},
     * {@code h = (1 - z)·n + z·hPrev}, and keeps {@code h_n} in {@code hnCache [B, H]} for backward.
     */
    public static void gruForward(float[] gates, int gOff, float[] hProj, int hpOff, float[] hnCache, int hnOff,
                                  float[] hPrev, int hPrevOff, float[] h, int hOff, int batch, int hidden) {
        for (int b = 0; b < batch; b++) {
            int row = b * 3 * hidden;
            for (int j = 0; j < hidden; j++) {
                int gr = row + j, gz = gr + hidden, gn = gz + hidden;
                int s = b * hidden + j;
                float r = sigmoid(gates[gOff + gr] + hProj[hpOff + gr]);
                float z = sigmoid(gates[gOff + gz] + hProj[hpOff + gz]);
                float hn = hProj[hpOff + gn];
                float n = tanh(gates[gOff + gn] + r * hn);
                gates[gOff + gr] = r;
                gates[gOff + gz] = z;
                gates[gOff + gn] = n;
                hnCache[hnOff + s] = hn;
                h[hOff + s] = (1f - z) * n + z * hPrev[hPrevOff + s];
            }
        }
    }

    /**
     * GRU pointwise backward for {@code batch} rows. Reads the activations {@code gates [B, 3H]},
     * {@code hnCache}, {@code hPrev} and the total {@code dh} ({@code [B, H]}). Writes the gradient
     * of the input projection {@code dPreIh [B, 3H]}, of the hidden projection {@code dPreHh [B, 3H]}
     * (they differ only in the n block, where the hidden side is gated by r), and overwrites
     * {@code dhPrev [B, H]} with the direct path {@code z·dh}; the caller adds {@code dPreHh · W_hh}.
     */
    public static void gruBackward(float[] dPreIh, int dIhOff, float[] dPreHh, int dHhOff,
                                   float[] gates, int gOff, float[] hnCache, int hnOff,
                                   float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                                   float[] dhPrev, int dhPrevOff, int batch, int hidden) {
        for (int b = 0; b < batch; b++) {
            int row = b * 3 * hidden;
            for (int j = 0; j < hidden; j++) {
                int gr = row + j, gz = gr + hidden, gn = gz + hidden;
                int s = b * hidden + j;
                float r = gates[gOff + gr], z = gates[gOff + gz], n = gates[gOff + gn];
                float dhv = dh[dhOff + s];
                // h = (1 - z)·n + z·hPrev
                float dN = dhv * (1f - z);
                float dZ = dhv * (hPrev[hPrevOff + s] - n);
                dhPrev[dhPrevOff + s] = dhv * z;
                // n = tanh(x_n + r·h_n)
                float dNPre = dN * (1f - n * n);
                float dR = dNPre * hnCache[hnOff + s];
                // r, z = σ(.)
                float dRPre = dR * r * (1f - r);
                float dZPre = dZ * z * (1f - z);
                dPreIh[dIhOff + gr] = dRPre;
                dPreIh[dIhOff + gz] = dZPre;
                dPreIh[dIhOff + gn] = dNPre;
                dPreHh[dHhOff + gr] = dRPre;
                dPreHh[dHhOff + gz] = dZPre;
                dPreHh[dHhOff + gn] = dNPre * r;
            }
        }
    }
}
