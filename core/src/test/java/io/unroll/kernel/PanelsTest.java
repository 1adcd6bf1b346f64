package io.unroll.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The panel layout of {@link Kernels#packPanels} and the products that read it: packing puts
 * every element where the layout says, and a product over packed B gives exactly the bits of
 * the same product over B as stored (the same fused multiply-adds in the same order), for the
 * SIMD kernels split over two threads by rows or by columns and for the scalar ones.
 */
class PanelsTest {
    private static final int W = Kernels.PANEL_COLUMNS;

    @Test
    void packingPlacesEveryElement() {
        int k = 5, n = 2 * W + 7;
        float[] b = new float[k * n], bt = new float[n * k];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                b[p * n + j] = 1000 * p + j;
                bt[j * k + p] = 1000 * p + j;
            }
        }
        float[] packed = new float[k * n + 3], packedT = new float[k * n + 3];
        Kernels.packPanels(packed, 3, b, 0, k, n, false);
        Kernels.packPanels(packedT, 3, bt, 0, k, n, true);
        assertArrayEquals(packed, packedT, "B as stored and B from its transpose pack alike");
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                int j0 = j / W * W, width = Math.min(W, n - j0);
                assertEquals(1000 * p + j, packed[3 + j0 * k + p * width + (j - j0)], 0f, "B[" + p + "," + j + "]");
            }
        }
    }

    @Test
    void productsOverPanelsEqualProductsOverRows() {
        SplittableRandom random = new SplittableRandom(5);
        // one panel, a ragged last panel, many panels; lone rows, tiles and their edges; k across a block
        int[][] shapes = {{1, W, 7}, {3, W + 5, 9}, {6, 3 * W + 17, 40}, {32, 4 * W, 600}, {11, 2 * W + 1, 1}};
        for (int[] shape : shapes) {
            int m = shape[0], n = shape[1], k = shape[2];
            float[] a = random(random, m * k), b = random(random, k * n), c0 = random(random, m * n);
            float[] packed = new float[k * n];
            Kernels.packPanels(packed, 0, b, 0, k, n, false);
            String what = "m=" + m + " n=" + n + " k=" + k;
            for (int parts = 1; parts <= 2; parts++) {
                float[] expected = c0.clone(), actual = c0.clone();
                Parallel.gemm(Parallel.Gemm.NN_ADD, expected, 0, a, 0, b, 0, m, n, k, parts);
                Parallel.gemm(Parallel.Gemm.NN_PANELS_ADD, actual, 0, a, 0, packed, 0, m, n, k, parts);
                assertArrayEquals(expected, actual, "simd, accumulating, " + parts + " part(s), " + what);
                Parallel.gemm(Parallel.Gemm.NN, expected, 0, a, 0, b, 0, m, n, k, parts);
                Parallel.gemm(Parallel.Gemm.NN_PANELS, actual, 0, a, 0, packed, 0, m, n, k, parts);
                assertArrayEquals(expected, actual, "simd, overwriting, " + parts + " part(s), " + what);
            }
            float[] expected = c0.clone(), actual = c0.clone();
            ScalarKernels.gemmNNAdd(expected, 0, a, 0, b, 0, m, n, k);
            ScalarKernels.gemmNNPanelsAdd(actual, 0, a, 0, packed, 0, m, n, k);
            assertArrayEquals(expected, actual, "scalar, " + what);
        }
    }

    private static float[] random(SplittableRandom random, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        return x;
    }
}
