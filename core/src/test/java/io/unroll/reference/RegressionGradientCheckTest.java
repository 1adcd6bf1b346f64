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
 * The loss at the last step ({@link RegressionCase}: the head on the top layer's output at step
 * T - 1, mean squared error) against central finite differences (eps 1e-6) of the double
 * reference, for every input, initial state, stack parameter and head parameter of every cell
 * family: {@code |analytic - numeric| <= 1e-6·max(|analytic|, |numeric|) + 1e-8}, as
 * {@link ReferenceGradientCheckTest} checks the stack alone.
 */
class RegressionGradientCheckTest {
    private static final double EPS = 1e-6;
    private static final double REL = 1e-6;
    private static final double ABS = 1e-8;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long seed = 71;
        for (CellType type : CellType.values()) {
            out.add(Arguments.of(new RegressionCase(type, 1, 3, 5, 2, 4, 1, false, seed++)));
            out.add(Arguments.of(new RegressionCase(type, 2, 2, 4, 3, 3, 2, false, seed++)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theLastStepLossMatchesFiniteDifferences(RegressionCase c) {
        RegressionCase.Grads g = c.gradients();
        int[] checked = {0};
        check(c, "input", c.input, g.rnn().dInput(), checked);
        check(c, "h0", c.h0, g.rnn().dh0(), checked);
        if (c.c0 != null) {
            check(c, "c0", c.c0, g.rnn().dc0(), checked);
        }
        for (int k = 0; k < c.ref.layers; k++) {
            check(c, "rnn.weight_ih_l" + k, c.ref.wIh[k], g.rnn().dWIh()[k], checked);
            check(c, "rnn.weight_hh_l" + k, c.ref.wHh[k], g.rnn().dWHh()[k], checked);
            check(c, "rnn.bias_ih_l" + k, c.ref.bIh[k], g.rnn().dBIh()[k], checked);
            check(c, "rnn.bias_hh_l" + k, c.ref.bHh[k], g.rnn().dBHh()[k], checked);
        }
        check(c, "head.weight", c.headWeight, g.dHeadWeight(), checked);
        check(c, "head.bias", c.headBias, g.dHeadBias(), checked);
        assertTrue(checked[0] >= 40, "checked only " + checked[0] + " values");
        // the gradient reaches the first step through the recurrence alone
        double first = 0;
        int width = c.ref.inputSize;
        for (int b = 0; b < c.batch; b++) {
            for (int i = 0; i < width; i++) {
                first += Math.abs(g.rnn().dInput()[b * c.steps * width + i]);
            }
        }
        assertTrue(first > 0, "no gradient reached the inputs of step 0");
    }

    /** Perturbs every value of {@code values} in place (restoring it) and compares. */
    private static void check(RegressionCase c, String name, double[] values, double[] analytic, int[] checked) {
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
                fail(c + ": d" + name + "[" + i + "] analytic " + analytic[i] + " vs numeric " + numeric + " (error " + err
                        + ", allowed " + allowed + ")");
            }
            checked[0]++;
        }
    }
}
