package io.unroll.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One case per kernel worked out by hand, run against both implementations. Small matrices check
 * the arithmetic; closed-form patterns (all units alike, {@code Σ p = k(k-1)/2}) at
 * {@code 2·lanes + 3} wide take the SIMD kernels through their vector bodies and tails too.
 */
class KernelHandComputedTest {
    private static final int WIDE = 2 * SimdKernels.L + 3;
    private static final float EPS = 1e-6f;

    @Test
    void transpose() {
        // [[1,2,3],[4,5,6]] at offset 1 -> [[1,4],[2,5],[3,6]] at offset 2, the rest untouched
        float[] dst = {9, 9, 9, 9, 9, 9, 9, 9, 9};
        Kernels.transpose(dst, 2, new float[] {0, 1, 2, 3, 4, 5, 6}, 1, 2, 3);
        assertArrayEquals(new float[] {9, 9, 1, 4, 2, 5, 3, 6, 9}, dst);

        // across several tiles and their ragged edges: src[i, j] = 1000·i + j
        int rows = 70, cols = 45;
        float[] src = new float[rows * cols], t = new float[rows * cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) src[i * cols + j] = 1000 * i + j;
        Kernels.transpose(t, 0, src, 0, rows, cols);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) {
            assertEquals(1000 * i + j, t[j * rows + i], 0f, "T[" + j + "," + i + "]");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void gemmNN(Impl impl) {
        // A = [[1,2],[3,4]], B = [[5,6,7],[8,9,10]]: C = A·B
        float[] c = {-1, -1, -1, -1, -1, -1};
        call(impl, "gemmNN", c, 0, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8, 9, 10}, 0, 2, 3, 2);
        assertArrayEquals(new float[] {21, 24, 27, 47, 54, 61}, c);
        call(impl, "gemmNNAdd", c, 0, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8, 9, 10}, 0, 2, 3, 2);
        assertArrayEquals(new float[] {42, 48, 54, 94, 108, 122}, c);

        // A[i,p] = 1, B[p,j] = j: C[i,j] = k·j, n wide enough for every part of the kernel
        int m = 5, n = 5 * SimdKernels.L + 3, k = 3;
        float[] a = new float[m * k], b = new float[k * n];
        Arrays.fill(a, 1f);
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) b[p * n + j] = j;
        float[] wide = new float[m * n];
        call(impl, "gemmNN", wide, 0, a, 0, b, 0, m, n, k);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            assertEquals(k * j, wide[i * n + j], 0f, "C[" + i + "," + j + "]");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void gemmTNAdd(Impl impl) {
        // A = [[1,2],[3,4]] is [k=2, m=2], so Aᵀ = [[1,3],[2,4]]; B = [[5,6,7],[8,9,10]]
        float[] c = {1, 1, 1, 1, 1, 1};
        call(impl, "gemmTNAdd", c, 0, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8, 9, 10}, 0, 2, 3, 2);
        assertArrayEquals(new float[] {30, 34, 38, 43, 49, 55}, c);
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void rowsAndVectors(Impl impl) {
        float[] c = {1, 2, 3, 4};
        call(impl, "addRowVector", c, 0, new float[] {10, 20}, 0, 2, 2);
        assertArrayEquals(new float[] {11, 22, 13, 24}, c);

        float[] dst = {1, 1};
        call(impl, "addColumnSums", dst, 0, new float[] {1, 2, 3, 4}, 0, 2, 2);
        assertArrayEquals(new float[] {5, 7}, dst);

        // 1² + ... + n² = n(n+1)(2n+1)/6
        float[] x = new float[WIDE];
        for (int i = 0; i < WIDE; i++) x[i] = i + 1;
        assertEquals(WIDE * (WIDE + 1) * (2 * WIDE + 1) / 6.0, (double) call(impl, "sumOfSquares", x, 0, WIDE), 0);

        call(impl, "scale", x, 0, WIDE, 0.5f);
        assertEquals(0.5f, x[0]);
        assertEquals(WIDE / 2f, x[WIDE - 1]);
        call(impl, "add", x, 0, x, 0, WIDE);
        assertEquals(1f, x[0]);
        assertEquals(WIDE, x[WIDE - 1]);
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void rnnActivations(Impl impl) {
        float[] pre = repeat(WIDE, 0f, 0.5f, -1f, 2f);
        float[] tanh = pre.clone();
        call(impl, "rnnActivate", tanh, 0, tanh.length, false);
        assertAll(tanh, 0f, 0.46211716f, -0.7615942f, 0.9640276f);
        float[] relu = pre.clone();
        call(impl, "rnnActivate", relu, 0, relu.length, true);
        assertAll(relu, 0f, 0.5f, 0f, 2f);

        // tanh: dPre = dh·(1 - h²); relu: dh where h > 0
        float[] h = repeat(WIDE, 0.5f, 0f, -0.5f, 0.3f);
        float[] dh = repeat(WIDE, 2f, 2f, 2f, 2f);
        float[] dPre = new float[h.length];
        call(impl, "rnnActivateBackward", dPre, 0, h, 0, dh, 0, h.length, false);
        assertAll(dPre, 1.5f, 2f, 1.5f, 1.82f);
        call(impl, "rnnActivateBackward", dPre, 0, h, 0, dh, 0, h.length, true);
        assertAll(dPre, 2f, 0f, 0f, 2f);
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void lstm(Impl impl) {
        int hidden = WIDE;
        // all pre-activations 0: i = f = o = 1/2, g = 0; c = ½·2 + ½·0 = 1; h = ½·tanh(1)
        float[] gates = new float[4 * hidden];
        float[] cPrev = filled(hidden, 2f), c = new float[hidden], h = new float[hidden];
        call(impl, "lstmForward", gates, 0, cPrev, 0, c, 0, h, 0, 1, hidden);
        for (int j = 0; j < hidden; j++) {
            assertEquals(0.5f, gates[j], EPS);
            assertEquals(0.5f, gates[hidden + j], EPS);
            assertEquals(0f, gates[2 * hidden + j], EPS);
            assertEquals(0.5f, gates[3 * hidden + j], EPS);
            assertEquals(1f, c[j], EPS);
            assertEquals(0.38079708f, h[j], EPS);
        }
        // saturated gates: i = 1, f = 0, g = 1, o = 1: c = 1, h = tanh(1)
        float[] saturated = new float[4 * hidden];
        Arrays.fill(saturated, 0, hidden, 100f);
        Arrays.fill(saturated, hidden, 2 * hidden, -100f);
        Arrays.fill(saturated, 2 * hidden, 4 * hidden, 100f);
        call(impl, "lstmForward", saturated, 0, cPrev, 0, c, 0, h, 0, 1, hidden);
        assertAll(c, 1f);
        assertAll(h, 0.7615942f);

        // backward at i = f = g = o = ½, c = 0, cPrev = 2, dh = 1, dc = 1:
        // dO = 0; dcTotal = 1 + 1·½·(1 - 0) = 1.5; dI = 1.5·½·¼; dF = 1.5·2·¼; dG = 1.5·½·¾; dcPrev = 0.75
        float[] acts = filled(4 * hidden, 0.5f);
        float[] dGates = new float[4 * hidden];
        float[] dc = filled(hidden, 1f);
        call(impl, "lstmBackward", dGates, 0, acts, 0, cPrev, 0, new float[hidden], 0,
                filled(hidden, 1f), 0, dc, 0, 1, hidden);
        for (int j = 0; j < hidden; j++) {
            assertEquals(0.1875f, dGates[j], EPS);
            assertEquals(0.75f, dGates[hidden + j], EPS);
            assertEquals(0.5625f, dGates[2 * hidden + j], EPS);
            assertEquals(0f, dGates[3 * hidden + j], EPS);
            assertEquals(0.75f, dc[j], EPS);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void gru(Impl impl) {
        int hidden = WIDE;
        // x-side 0, h-side 0 except h_n = 2: r = z = ½, n = tanh(0 + ½·2) = tanh 1, h = ½·tanh 1 + ½·0.8
        float[] gates = new float[3 * hidden];
        float[] hProj = new float[3 * hidden];
        Arrays.fill(hProj, 2 * hidden, 3 * hidden, 2f);
        float[] hn = new float[hidden], h = new float[hidden];
        call(impl, "gruForward", gates, 0, hProj, 0, hn, 0, filled(hidden, 0.8f), 0, h, 0, 1, hidden);
        for (int j = 0; j < hidden; j++) {
            assertEquals(0.5f, gates[j], EPS);
            assertEquals(0.5f, gates[hidden + j], EPS);
            assertEquals(0.7615942f, gates[2 * hidden + j], EPS);
            assertEquals(2f, hn[j]);
            assertEquals(0.7807971f, h[j], EPS);
        }

        // backward at r = z = ½, n = 0, h_n = 2, hPrev = 0.8, dh = 1:
        // dN = ½, dZ = 0.8, dhPrev = ½, dNPre = ½, dR = 1, dRPre = ¼, dZPre = 0.2, hidden-side n: ¼
        float[] acts = new float[3 * hidden];
        Arrays.fill(acts, 0, 2 * hidden, 0.5f);
        float[] dIh = new float[3 * hidden], dHh = new float[3 * hidden], dhPrev = new float[hidden];
        call(impl, "gruBackward", dIh, 0, dHh, 0, acts, 0, filled(hidden, 2f), 0, filled(hidden, 0.8f), 0,
                filled(hidden, 1f), 0, dhPrev, 0, 1, hidden);
        for (int j = 0; j < hidden; j++) {
            assertEquals(0.25f, dIh[j], EPS);
            assertEquals(0.2f, dIh[hidden + j], EPS);
            assertEquals(0.5f, dIh[2 * hidden + j], EPS);
            assertEquals(0.25f, dHh[j], EPS);
            assertEquals(0.2f, dHh[hidden + j], EPS);
            assertEquals(0.25f, dHh[2 * hidden + j], EPS);
            assertEquals(0.5f, dhPrev[j], EPS);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The kernels of one implementation, by the classes that hold them. */
    enum Impl {
        SIMD(SimdGemm.class, SimdRows.class, SimdGates.class),
        SCALAR(ScalarKernels.class);

        private final Class<?>[] classes;

        Impl(Class<?>... classes) {
            this.classes = classes;
        }
    }

    /** Calls the static method {@code name} of {@code impl}, chosen by its argument count. */
    private static Object call(Impl impl, String name, Object... args) {
        Method found = null;
        for (Class<?> type : impl.classes) {
            for (Method method : type.getDeclaredMethods()) {
                int modifiers = method.getModifiers();
                if (method.getName().equals(name) && method.getParameterCount() == args.length
                        && Modifier.isStatic(modifiers) && !Modifier.isPrivate(modifiers)) {
                    if (found != null) {
                        throw new AssertionError(impl + " has two methods " + name + " with " + args.length
                                + " arguments: in " + found.getDeclaringClass().getSimpleName()
                                + " and " + type.getSimpleName());
                    }
                    found = method;
                }
            }
        }
        if (found == null) {
            throw new AssertionError(impl + " has no static " + name + " with " + args.length + " arguments");
        }
        try {
            return found.invoke(null, args);
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        } catch (InvocationTargetException e) {
            throw new AssertionError(impl + " " + name + " threw", e.getCause());
        }
    }

    private static float[] filled(int len, float value) {
        float[] x = new float[len];
        Arrays.fill(x, value);
        return x;
    }

    /** {@code count} repetitions of the pattern. */
    private static float[] repeat(int count, float... pattern) {
        float[] x = new float[count * pattern.length];
        for (int i = 0; i < x.length; i++) x[i] = pattern[i % pattern.length];
        return x;
    }

    /** Every element equals the pattern element at its position (within EPS). */
    private static void assertAll(float[] actual, float... pattern) {
        for (int i = 0; i < actual.length; i++) {
            assertEquals(pattern[i % pattern.length], actual[i], EPS, "element " + i);
        }
    }
}
