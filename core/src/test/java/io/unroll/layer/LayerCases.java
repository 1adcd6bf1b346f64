package io.unroll.layer;

import io.unroll.cell.CellType;
import io.unroll.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Shared cases and data of the layer tests. */
final class LayerCases {
    private LayerCases() {}

    /** Every cell kind with 1 and 2 layers, as (cell, layers, seed), the seeds counting up from {@code firstSeed}. */
    static Stream<Arguments> everyCellOneAndTwoLayers(long firstSeed) {
        List<Arguments> out = new ArrayList<>();
        long seed = firstSeed;
        for (CellType cell : CellType.values()) {
            for (int layers = 1; layers <= 2; layers++) {
                out.add(Arguments.of(cell, layers, seed++));
            }
        }
        return out.stream();
    }

    /** {@code n} standard normal draws. */
    static float[] gaussian(Rng rng, int n) {
        float[] a = new float[n];
        rng.fillGaussian(a, 0, n, 1.0);
        return a;
    }
}
