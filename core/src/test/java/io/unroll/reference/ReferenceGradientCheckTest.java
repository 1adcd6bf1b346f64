package io.unroll.reference;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unroll.cell.CellType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Central finite differences (eps 1e-6) against the double reference's hand-written backward, for
 * every input, initial state and parameter value: {@code |analytic - numeric| <= 1e-6·max(|analytic|,
 * |numeric|) + 1e-8}. The absolute term is the rounding floor of a difference quotient of an O(1)
 * loss in double precision (≈1e-16 / 1e-6 per evaluation, summed over ~100 terms).
 */
class ReferenceGradientCheckTest {
    private static final double EPS = 1e-6;
    private static final double REL = 1e-6;
    private static final double ABS = 1e-8;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long seed = 11;
        for (CellType type : CellType.values()) {
            for (int layers = 1; layers <= 2; layers++) {
                out.add(Arguments.of(new GradientCase(type, layers, 2, 5, 3, 4, true, true, seed++)));
            }
            out.add(Arguments.of(new GradientCase(type, 1, 3, 4, 2, 3, false, false, seed++)));
        }
        out.add(Arguments.of(new GradientCase(CellType.RNN_TANH, 1, 2, 4, 3, 4, true, false, seed)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void analyticGradientsMatchFiniteDifferences(GradientCase c) {
        ReferenceRecurrent.Grads g = c.gradients();
        Checker check = new Checker(c);
        check.all("input", c.input, g.dInput());
        check.all("h0", c.h0, g.dh0());
        if (c.c0 != null) {
            check.all("c0", c.c0, g.dc0());
        }
        for (int k = 0; k < c.ref.layers; k++) {
            check.all("weight_ih_l" + k, c.ref.wIh[k], g.dWIh()[k]);
            check.all("weight_hh_l" + k, c.ref.wHh[k], g.dWHh()[k]);
            if (c.ref.biasIh) {
                check.all("bias_ih_l" + k, c.ref.bIh[k], g.dBIh()[k]);
            }
            if (c.ref.biasHh) {
                check.all("bias_hh_l" + k, c.ref.bHh[k], g.dBHh()[k]);
            }
        }
        assertTrue(check.checked >= 40, "checked only " + check.checked + " values");
    }

    private static final class Checker {
        final GradientCase c;
        int checked;

        Checker(GradientCase c) {
            this.c = c;
        }

        /** Perturbs every value of {@code values} in place (restoring it) and compares. */
        void all(String name, double[] values, double[] analytic) {
            for (int i = 0; i < values.length; i++) {
                double keep = values[i];
                values[i] = keep + EPS;
                double plus = c.loss();
                values[i] = keep - EPS;
                double minus = c.loss();
                values[i] = keep;
                double numeric = (plus - minus) / (2 * EPS);
                double err = Math.abs(analytic[i] - numeric);
                double allowed = REL * Math.max(Math.abs(analytic[i]), Math.abs(numeric)) + ABS;
                if (!(err <= allowed)) {
                    fail(c + ": d" + name + "[" + i + "] analytic " + analytic[i]
                            + " vs numeric " + numeric + " (error " + err + ", allowed " + allowed + ")");
                }
                checked++;
            }
        }
    }
}
