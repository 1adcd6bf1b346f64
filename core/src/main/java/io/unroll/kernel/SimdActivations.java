package io.unroll.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD activations, as vector loops over arrays and as scalar twins for the tails.
 *
 * <p>{@code sigmoid(x) = 1 / (1 + e^-x)} with {@code e^y = 2^n · p(r)} (Cody-Waite reduction,
 * Cephes' degree-6 polynomial, argument clamped so neither overflows); {@code tanh} is
 * {@code x·P(x²)/Q(x²)} (Eigen's [13/6] rational) on x clamped to ±7.932197, where the rational
 * reaches exactly 1. Against double precision on every float: sigmoid within 1.4e-7 absolute and
 * 1.5e-7 relative wherever its result is a normal float (below {@code x = -87.3} it stays at about
 * 4.5e-39 instead of decaying through the denormals to 0); tanh within 3.0e-7 absolute and
 * relative (about 5 ulp). Extreme inputs saturate, sigmoid to 1 or that tiny value and tanh to
 * exactly ±1, never to NaN; NaN stays NaN.
 *
 * <p>Built only from exact IEEE operations, they give the same bits interpreted and compiled,
 * unlike the library intrinsics behind {@link VectorOperators#EXP}; the scalar forms repeat the
 * vector formulas operation for operation, so a value gets the same bits in a vector body and in
 * a tail. No lane masks or blends: JDK 17's C2 loses the vector types around them in large
 * compiled methods and boxes every vector (docs/engine.md#jdk-17-and-the-vector-api).
 */
final class SimdActivations {
    private SimdActivations() {}

    private static final VectorSpecies<Float> F = SimdKernels.F;
    /** Ints of the same width, for building 2^n from its exponent bits. */
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int L = SimdKernels.L;

    // e^y, y clamped to [EXP_LO, EXP_HI] so 2^n is a normal float and the product stays finite
    // (the row softmax of SimdRows inlines the same steps).
    static final float EXP_LO = -87.3f;
    static final float EXP_HI = 88.3f;
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2^23: adding it rounds to an integer held in the low mantissa bits. */
    static final float ROUNDER = 12582912f;
    static final float NEG_LN2_HI = -0.693359375f;
    static final float NEG_LN2_LO = 2.12194440e-4f;
    static final float EXP_C6 = 1.9875691500e-4f;
    static final float EXP_C5 = 1.3981999507e-3f;
    static final float EXP_C4 = 8.3334519073e-3f;
    static final float EXP_C3 = 4.1665795894e-2f;
    static final float EXP_C2 = 1.6666665459e-1f;
    static final float EXP_C1 = 5.0000001201e-1f;
    // tanh x ≈ x·P(x²)/Q(x²) on x clamped to ±TANH_CLAMP (coefficients from Eigen's fast tanh).
    // TANH_CLAMP is the smallest float at which the rational reaches exactly 1, so |tanh| <= 1.
    private static final float TANH_CLAMP = 7.932197f;
    private static final float TANH_P13 = -2.76076847742355e-16f;
    private static final float TANH_P11 = 2.00018790482477e-13f;
    private static final float TANH_P9 = -8.60467152213735e-11f;
    private static final float TANH_P7 = 5.12229709037114e-08f;
    private static final float TANH_P5 = 1.48572235717979e-05f;
    private static final float TANH_P3 = 6.37261928875436e-04f;
    private static final float TANH_P1 = 4.89352455891786e-03f;
    private static final float TANH_Q6 = 1.19825839466702e-06f;
    private static final float TANH_Q4 = 1.18534705686654e-04f;
    private static final float TANH_Q2 = 2.26843463243900e-03f;
    private static final float TANH_Q0 = 4.89352518554385e-03f;

    /** {@code dst[i] = sigmoid(src[i])}; dst and src must be the same range or not overlap. */
    static void sigmoid(float[] dst, int dOff, float[] src, int sOff, int len) {
        // every constant a vector made once: scalar operands and neg() each add a broadcast or a
        // special case to the compiled method, and JDK 17's C2 gives up on large ones (SimdKernels)
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        FloatVector lo = FloatVector.broadcast(F, EXP_LO), hi = FloatVector.broadcast(F, EXP_HI);
        FloatVector log2e = FloatVector.broadcast(F, LOG2E), rounder = FloatVector.broadcast(F, ROUNDER);
        FloatVector ln2Hi = FloatVector.broadcast(F, NEG_LN2_HI), ln2Lo = FloatVector.broadcast(F, NEG_LN2_LO);
        FloatVector c6 = FloatVector.broadcast(F, EXP_C6), c5 = FloatVector.broadcast(F, EXP_C5);
        FloatVector c4 = FloatVector.broadcast(F, EXP_C4), c3 = FloatVector.broadcast(F, EXP_C3);
        FloatVector c2 = FloatVector.broadcast(F, EXP_C2), c1 = FloatVector.broadcast(F, EXP_C1);
        IntVector bias = IntVector.broadcast(I, 127);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector y = zero.sub(FloatVector.fromArray(F, src, sOff + i)).max(lo).min(hi);
            // e^y = 2^n · e^r, n = round(y·log2 e), r = y - n·ln 2 in two parts
            FloatVector t = y.fma(log2e, rounder);
            FloatVector n = t.sub(rounder);
            FloatVector r = n.fma(ln2Hi, y);
            r = n.fma(ln2Lo, r);
            FloatVector p = r.fma(c6, c5);
            p = p.fma(r, c4);
            p = p.fma(r, c3);
            p = p.fma(r, c2);
            p = p.fma(r, c1);
            p = p.fma(r.mul(r), r).add(one);
            FloatVector twoToN = ((IntVector) t.reinterpretAsInts()).add(bias).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            one.div(p.mul(twoToN).add(one)).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] = sigmoid(src[sOff + i]);
        }
    }

    /** {@code dst[i] = tanh(src[i])}; dst and src must be the same range or not overlap. */
    static void tanh(float[] dst, int dOff, float[] src, int sOff, int len) {
        FloatVector lo = FloatVector.broadcast(F, -TANH_CLAMP), hi = FloatVector.broadcast(F, TANH_CLAMP);
        FloatVector p13 = FloatVector.broadcast(F, TANH_P13), p11 = FloatVector.broadcast(F, TANH_P11);
        FloatVector p9 = FloatVector.broadcast(F, TANH_P9), p7 = FloatVector.broadcast(F, TANH_P7);
        FloatVector p5 = FloatVector.broadcast(F, TANH_P5), p3 = FloatVector.broadcast(F, TANH_P3);
        FloatVector p1 = FloatVector.broadcast(F, TANH_P1);
        FloatVector q6 = FloatVector.broadcast(F, TANH_Q6), q4 = FloatVector.broadcast(F, TANH_Q4);
        FloatVector q2 = FloatVector.broadcast(F, TANH_Q2), q0 = FloatVector.broadcast(F, TANH_Q0);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(F, src, sOff + i).max(lo).min(hi);
            FloatVector x2 = x.mul(x);
            FloatVector np = x2.fma(p13, p11);
            np = np.fma(x2, p9);
            np = np.fma(x2, p7);
            np = np.fma(x2, p5);
            np = np.fma(x2, p3);
            np = np.fma(x2, p1);
            FloatVector dq = x2.fma(q6, q4);
            dq = dq.fma(x2, q2);
            dq = dq.fma(x2, q0);
            np.div(dq).mul(x).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] = tanh(src[sOff + i]);
        }
    }

    /** The scalar form of the vector sigmoid above, operation for operation. */
    static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    /** The scalar form of the vector tanh above, operation for operation. */
    static float tanh(float x) {
        float xc = Math.min(Math.max(x, -TANH_CLAMP), TANH_CLAMP);
        float x2 = xc * xc;
        float np = Math.fma(x2, TANH_P13, TANH_P11);
        np = Math.fma(np, x2, TANH_P9);
        np = Math.fma(np, x2, TANH_P7);
        np = Math.fma(np, x2, TANH_P5);
        np = Math.fma(np, x2, TANH_P3);
        np = Math.fma(np, x2, TANH_P1);
        float dq = Math.fma(x2, TANH_Q6, TANH_Q4);
        dq = Math.fma(dq, x2, TANH_Q2);
        dq = Math.fma(dq, x2, TANH_Q0);
        return np / dq * xc;
    }

    /** {@code e^y} for y clamped to {@code [EXP_LO, EXP_HI]}, as in the vector loops. */
    static float exp(float y) {
        y = Math.min(Math.max(y, EXP_LO), EXP_HI);
        float t = Math.fma(y, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, NEG_LN2_HI, y);
        r = Math.fma(n, NEG_LN2_LO, r);
        float p = Math.fma(r, EXP_C6, EXP_C5);
        p = Math.fma(p, r, EXP_C4);
        p = Math.fma(p, r, EXP_C3);
        p = Math.fma(p, r, EXP_C2);
        p = Math.fma(p, r, EXP_C1);
        p = Math.fma(p, r * r, r) + 1f;
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) + 127) << 23);
    }
}
