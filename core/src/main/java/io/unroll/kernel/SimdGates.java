package io.unroll.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD gate math of the cells: the vanilla RNN's activation, the LSTM's and the GRU's
 * pointwise steps, forward and backward, on batch rows laid out as in {@link ScalarKernels}.
 * Every method computes what its {@link ScalarKernels} namesake documents, with the same aliasing
 * rules; the activations are those of {@link SimdActivations}.
 *
 * <p>These loops keep to what JDK 17's C2 compiles without boxing: no lane masks, constants made
 * once as vectors, no {@code neg()} and no scalar operands, and methods small enough to stay
 * under C2's live-node cutoff in a JVM that has run other kernels
 * (docs/engine.md#jdk-17-and-the-vector-api).
 */
final class SimdGates {
    private SimdGates() {}

    private static final VectorSpecies<Float> F = SimdKernels.F;
    private static final int L = SimdKernels.L;
    /** 2^100: twice applied it lifts the smallest denormal above 1 (relu's step, see rnnActivateBackward). */
    private static final float RELU_SCALE = 0x1p100f;
    /** Per thread, {@code tanh(c)} of one batch row for {@link #lstmBackward}; grown as needed. */
    private static final ThreadLocal<float[]> LSTM_TANH_ROW = ThreadLocal.withInitial(() -> new float[0]);

    // ---------------------------------------------------------------- vanilla RNN

    /** Forward activation in place: {@code h = tanh(pre)} or {@code relu(pre) = max(pre, 0)}. */
    static void rnnActivate(float[] pre, int off, int len, boolean relu) {
        if (!relu) {
            SimdActivations.tanh(pre, off, pre, off, len);
            return;
        }
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, pre, off + i).max(0f).intoArray(pre, off + i);
        }
        for (; i < len; i++) {
            pre[off + i] = Math.max(pre[off + i], 0f);
        }
    }

    /**
     * {@code dPre = dh · (1 - h²)} (tanh) or {@code dPre = h > 0 ? dh : 0} (relu); dPre may be
     * the same range as h or dh.
     */
    static void rnnActivateBackward(float[] dPre, int dPreOff, float[] h, int hOff,
                                           float[] dh, int dhOff, int len, boolean relu) {
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector hv = FloatVector.fromArray(F, h, hOff + i);
            FloatVector g = FloatVector.fromArray(F, dh, dhOff + i);
            // relu: min(max(h, 0)·2^200, 1) is 1 for every positive float (denormals included)
            // and 0 otherwise: the step function h > 0 without a lane mask
            FloatVector d = relu ? g.mul(hv.max(0f).mul(RELU_SCALE).mul(RELU_SCALE).min(1f)) : g.mul(hv.fma(zero.sub(hv), one));
            d.intoArray(dPre, dPreOff + i);
        }
        for (; i < len; i++) {
            float hv = h[hOff + i];
            float g = dh[dhOff + i];
            dPre[dPreOff + i] = relu ? g * Math.min(Math.max(hv, 0f) * RELU_SCALE * RELU_SCALE, 1f) : g * Math.fma(hv, -hv, 1f);
        }
    }

    // ---------------------------------------------------------------- IndRNN

    /** IndRNN step in place; see {@link ScalarKernels#indRnnForward}. */
    static void indRnnForward(float[] pre, int off, float[] hPrev, int hPrevOff, float[] u, int uOff,
                              int batch, int hidden, boolean relu) {
        int bound = F.loopBound(hidden);
        for (int b = 0; b < batch; b++) {
            int row = b * hidden;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector uv = FloatVector.fromArray(F, u, uOff + j);
                FloatVector hv = FloatVector.fromArray(F, hPrev, hPrevOff + row + j);
                uv.fma(hv, FloatVector.fromArray(F, pre, off + row + j)).intoArray(pre, off + row + j);
            }
            for (; j < hidden; j++) {
                pre[off + row + j] = Math.fma(u[uOff + j], hPrev[hPrevOff + row + j], pre[off + row + j]);
            }
            // φ on the row while it is in the cache
            rnnActivate(pre, off + row, hidden, relu);
        }
    }

    /** IndRNN step backward; see {@link ScalarKernels#indRnnBackward}. dhPrev must not overlap the others. */
    static void indRnnBackward(float[] dPre, int dPreOff, float[] h, int hOff, float[] dh, int dhOff,
                               float[] u, int uOff, float[] dhPrev, int dhPrevOff, int batch, int hidden, boolean relu) {
        int bound = F.loopBound(hidden);
        for (int b = 0; b < batch; b++) {
            int row = b * hidden;
            rnnActivateBackward(dPre, dPreOff + row, h, hOff + row, dh, dhOff + row, hidden, relu);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(F, dPre, dPreOff + row + j).mul(FloatVector.fromArray(F, u, uOff + j))
                        .intoArray(dhPrev, dhPrevOff + row + j);
            }
            for (; j < hidden; j++) {
                dhPrev[dhPrevOff + row + j] = dPre[dPreOff + row + j] * u[uOff + j];
            }
        }
    }

    /** One step of the IndRNN's recurrent-weight gradient; see {@link ScalarKernels#indRnnRecurrentGradient}. */
    static void indRnnRecurrentGradient(float[] du, int duOff, float[] dPre, int dPreOff, float[] hPrev, int hPrevOff,
                                        int batch, int hidden) {
        int bound = F.loopBound(hidden);
        for (int b = 0; b < batch; b++) {
            int row = b * hidden;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector d = FloatVector.fromArray(F, dPre, dPreOff + row + j);
                d.fma(FloatVector.fromArray(F, hPrev, hPrevOff + row + j), FloatVector.fromArray(F, du, duOff + j))
                        .intoArray(du, duOff + j);
            }
            for (; j < hidden; j++) {
                du[duOff + j] = Math.fma(dPre[dPreOff + row + j], hPrev[hPrevOff + row + j], du[duOff + j]);
            }
        }
    }

    // ---------------------------------------------------------------- LSTM

    /**
     * LSTM pointwise step; see {@link ScalarKernels#lstmForward}. {@code c} may be the same range
     * as {@code cPrev} (an in-place state update); no other buffers may overlap.
     */
    static void lstmForward(float[] gates, int gOff, float[] cPrev, int cPrevOff,
                                   float[] c, int cOff, float[] h, int hOff, int batch, int hidden) {
        int hv = F.loopBound(hidden);
        for (int b = 0; b < batch; b++) {
            int gi = gOff + b * 4 * hidden, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
            int s = b * hidden;
            int cp = cPrevOff + s, cr = cOff + s, hr = hOff + s;
            SimdActivations.sigmoid(gates, gi, gates, gi, 2 * hidden);
            SimdActivations.tanh(gates, gg, gates, gg, hidden);
            SimdActivations.sigmoid(gates, go, gates, go, hidden);
            // c = f·cPrev + i·g
            int j = 0;
            for (; j < hv; j += L) {
                FloatVector i = FloatVector.fromArray(F, gates, gi + j);
                FloatVector g = FloatVector.fromArray(F, gates, gg + j);
                FloatVector f = FloatVector.fromArray(F, gates, gf + j);
                f.fma(FloatVector.fromArray(F, cPrev, cp + j), i.mul(g)).intoArray(c, cr + j);
            }
            for (; j < hidden; j++) {
                c[cr + j] = Math.fma(gates[gf + j], cPrev[cp + j], gates[gi + j] * gates[gg + j]);
            }
            // h = o·tanh(c)
            SimdActivations.tanh(h, hr, c, cr, hidden);
            j = 0;
            for (; j < hv; j += L) {
                FloatVector.fromArray(F, h, hr + j).mul(FloatVector.fromArray(F, gates, go + j)).intoArray(h, hr + j);
            }
            for (; j < hidden; j++) {
                h[hr + j] *= gates[go + j];
            }
        }
    }

    /**
     * LSTM pointwise backward; see {@link ScalarKernels#lstmBackward}. {@code dGates} may be the
     * same range as {@code gates}; no other buffers may overlap.
     *
     * <p>Row by row: {@code tanh(c)} into a per-thread scratch row, then the gradients in
     * {@link #lstmBackwardRow}, a method of its own. As one loop the two made a compiled method so
     * large that JDK 17's C2, in a JVM that had run other kernels first, stopped inlining the last
     * vector operations (its live-node cutoff) and boxed their vectors
     * (docs/engine.md#jdk-17-and-the-vector-api).
     */
    static void lstmBackward(float[] dGates, int dgOff, float[] gates, int gOff,
                                    float[] cPrev, int cPrevOff, float[] c, int cOff,
                                    float[] dh, int dhOff, float[] dc, int dcOff, int batch, int hidden) {
        float[] tanhC = LSTM_TANH_ROW.get();
        if (tanhC.length < hidden) {
            tanhC = new float[hidden];
            LSTM_TANH_ROW.set(tanhC);
        }
        for (int b = 0; b < batch; b++) {
            int s = b * hidden;
            SimdActivations.tanh(tanhC, 0, c, cOff + s, hidden);
            lstmBackwardRow(dGates, dgOff + b * 4 * hidden, gates, gOff + b * 4 * hidden, cPrev, cPrevOff + s,
                    tanhC, dh, dhOff + s, dc, dcOff + s, hidden);
        }
    }

    /** One batch row of {@link #lstmBackward}, given {@code tanhC [H] = tanh(c)}; offsets point at the row. */
    private static void lstmBackwardRow(float[] dGates, int dgRow, float[] gates, int gRow, float[] cPrev, int cPrevRow,
                                        float[] tanhC, float[] dh, int dhRow, float[] dc, int dcRow, int hidden) {
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        int hv = F.loopBound(hidden);
        int j = 0;
        for (; j < hv; j += L) {
            int gi = j, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
            FloatVector i = FloatVector.fromArray(F, gates, gRow + gi);
            FloatVector f = FloatVector.fromArray(F, gates, gRow + gf);
            FloatVector g = FloatVector.fromArray(F, gates, gRow + gg);
            FloatVector o = FloatVector.fromArray(F, gates, gRow + go);
            FloatVector t = FloatVector.fromArray(F, tanhC, j);
            FloatVector dhv = FloatVector.fromArray(F, dh, dhRow + j);
            // h = o·tanh(c): through o, and through tanh(c) into the cell, joining the carried dc
            FloatVector dO = dhv.mul(t);
            FloatVector dcTotal = dhv.mul(o).fma(t.fma(zero.sub(t), one), FloatVector.fromArray(F, dc, dcRow + j));
            // c = f·cPrev + i·g
            FloatVector dI = dcTotal.mul(g);
            FloatVector dF = dcTotal.mul(FloatVector.fromArray(F, cPrev, cPrevRow + j));
            FloatVector dG = dcTotal.mul(i);
            dcTotal.mul(f).intoArray(dc, dcRow + j);
            // σ' = σ(1-σ), tanh' = 1 - tanh²
            dI.mul(i.mul(one.sub(i))).intoArray(dGates, dgRow + gi);
            dF.mul(f.mul(one.sub(f))).intoArray(dGates, dgRow + gf);
            dG.mul(g.fma(zero.sub(g), one)).intoArray(dGates, dgRow + gg);
            dO.mul(o.mul(one.sub(o))).intoArray(dGates, dgRow + go);
        }
        for (; j < hidden; j++) {
            int gi = j, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
            float i = gates[gRow + gi], f = gates[gRow + gf], g = gates[gRow + gg], o = gates[gRow + go];
            float t = tanhC[j];
            float dhv = dh[dhRow + j];
            float dO = dhv * t;
            float dcTotal = Math.fma(dhv * o, Math.fma(t, -t, 1f), dc[dcRow + j]);
            float dI = dcTotal * g;
            float dF = dcTotal * cPrev[cPrevRow + j];
            float dG = dcTotal * i;
            dc[dcRow + j] = dcTotal * f;
            dGates[dgRow + gi] = dI * (i * (1f - i));
            dGates[dgRow + gf] = dF * (f * (1f - f));
            dGates[dgRow + gg] = dG * Math.fma(g, -g, 1f);
            dGates[dgRow + go] = dO * (o * (1f - o));
        }
    }

    // ---------------------------------------------------------------- GRU

    /**
     * GRU pointwise step; see {@link ScalarKernels#gruForward}. {@code h} may be the same range as
     * {@code hPrev} (an in-place state update); no other buffers may overlap.
     */
    static void gruForward(float[] gates, int gOff, float[] hProj, int hpOff, float[] hnCache, int hnOff,
                                  float[] hPrev, int hPrevOff, float[] h, int hOff, int batch, int hidden) {
        int hv = F.loopBound(hidden);
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int b = 0; b < batch; b++) {
            int row = b * 3 * hidden;
            int gr = gOff + row, gz = gr + hidden, gn = gz + hidden;
            int pr = hpOff + row, pn = pr + 2 * hidden;
            int s = b * hidden;
            // r, z = σ(x_r,z + h_r,z): the two blocks are adjacent in both buffers
            SimdRows.add(gates, gr, hProj, pr, 2 * hidden);
            SimdActivations.sigmoid(gates, gr, gates, gr, 2 * hidden);
            // n = tanh(x_n + r·h_n), keeping h_n for backward
            int j = 0;
            for (; j < hv; j += L) {
                FloatVector hn = FloatVector.fromArray(F, hProj, pn + j);
                hn.intoArray(hnCache, hnOff + s + j);
                FloatVector.fromArray(F, gates, gr + j).fma(hn, FloatVector.fromArray(F, gates, gn + j))
                        .intoArray(gates, gn + j);
            }
            for (; j < hidden; j++) {
                float hn = hProj[pn + j];
                hnCache[hnOff + s + j] = hn;
                gates[gn + j] = Math.fma(gates[gr + j], hn, gates[gn + j]);
            }
            SimdActivations.tanh(gates, gn, gates, gn, hidden);
            // h = (1 - z)·n + z·hPrev
            j = 0;
            for (; j < hv; j += L) {
                FloatVector z = FloatVector.fromArray(F, gates, gz + j);
                FloatVector n = FloatVector.fromArray(F, gates, gn + j);
                z.fma(FloatVector.fromArray(F, hPrev, hPrevOff + s + j), one.sub(z).mul(n)).intoArray(h, hOff + s + j);
            }
            for (; j < hidden; j++) {
                float z = gates[gz + j];
                h[hOff + s + j] = Math.fma(z, hPrev[hPrevOff + s + j], (1f - z) * gates[gn + j]);
            }
        }
    }

    /**
     * GRU pointwise backward; see {@link ScalarKernels#gruBackward}. {@code dPreIh} may be the
     * same range as {@code gates}; no other buffers may overlap.
     */
    static void gruBackward(float[] dPreIh, int dIhOff, float[] dPreHh, int dHhOff,
                                   float[] gates, int gOff, float[] hnCache, int hnOff,
                                   float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                                   float[] dhPrev, int dhPrevOff, int batch, int hidden) {
        int hv = F.loopBound(hidden);
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        for (int b = 0; b < batch; b++) {
            int row = b * 3 * hidden;
            int s = b * hidden;
            int j = 0;
            for (; j < hv; j += L) {
                int gr = row + j, gz = gr + hidden, gn = gz + hidden;
                FloatVector r = FloatVector.fromArray(F, gates, gOff + gr);
                FloatVector z = FloatVector.fromArray(F, gates, gOff + gz);
                FloatVector n = FloatVector.fromArray(F, gates, gOff + gn);
                FloatVector dhv = FloatVector.fromArray(F, dh, dhOff + s + j);
                // h = (1 - z)·n + z·hPrev
                FloatVector dN = dhv.mul(one.sub(z));
                FloatVector dZ = dhv.mul(FloatVector.fromArray(F, hPrev, hPrevOff + s + j).sub(n));
                dhv.mul(z).intoArray(dhPrev, dhPrevOff + s + j);
                // n = tanh(x_n + r·h_n)
                FloatVector dNPre = dN.mul(n.fma(zero.sub(n), one));
                FloatVector dR = dNPre.mul(FloatVector.fromArray(F, hnCache, hnOff + s + j));
                // r, z = σ(.)
                FloatVector dRPre = dR.mul(r.mul(one.sub(r)));
                FloatVector dZPre = dZ.mul(z.mul(one.sub(z)));
                dRPre.intoArray(dPreIh, dIhOff + gr);
                dZPre.intoArray(dPreIh, dIhOff + gz);
                dNPre.intoArray(dPreIh, dIhOff + gn);
                dRPre.intoArray(dPreHh, dHhOff + gr);
                dZPre.intoArray(dPreHh, dHhOff + gz);
                dNPre.mul(r).intoArray(dPreHh, dHhOff + gn);
            }
            for (; j < hidden; j++) {
                int gr = row + j, gz = gr + hidden, gn = gz + hidden;
                float r = gates[gOff + gr], z = gates[gOff + gz], n = gates[gOff + gn];
                float dhv = dh[dhOff + s + j];
                float dN = dhv * (1f - z);
                float dZ = dhv * (hPrev[hPrevOff + s + j] - n);
                dhPrev[dhPrevOff + s + j] = dhv * z;
                float dNPre = dN * Math.fma(n, -n, 1f);
                float dR = dNPre * hnCache[hnOff + s + j];
                float dRPre = dR * (r * (1f - r));
                float dZPre = dZ * (z * (1f - z));
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
