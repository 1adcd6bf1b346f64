package io.unroll.init;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Named initialisations of a recurrent stack (docs/spec.md#initialisers), applied by {@code io.unroll.train.Init.apply}:
 * <ul>
 *   <li>{@code pytorch}: every weight and bias {@code U(-1/√H, 1/√H)}, PyTorch's default;</li>
 *   <li>{@code gaussian}: weights {@code N(0, σ²)} (σ = 0.01 unless given), biases 0;</li>
 *   <li>{@code xavier}: weights Glorot-uniform per gate block, biases 0;</li>
 *   <li>{@code orthogonal}: {@code W_hh} blocks orthogonal (all singular values 1, Saxe et al. 2013),
 *   {@code W_ih} Glorot-uniform, biases 0;</li>
 *   <li>{@code identity}: {@code W_hh} blocks the identity plus {@code N(0, σ²)} noise (IRNN, Le et al.
 *   2015; σ = 0.001 unless given), {@code W_ih ~ N(0, 0.001²)}, biases 0.</li>
 * </ul>
 */
public enum InitScheme {
    PYTORCH, GAUSSIAN, XAVIER, ORTHOGONAL, IDENTITY;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static InitScheme parse(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (InitScheme s : values()) {
            if (s.id().equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown init '" + name + "', expected one of "
                + Arrays.stream(values()).map(InitScheme::id).collect(Collectors.joining(", ")));
    }
}
