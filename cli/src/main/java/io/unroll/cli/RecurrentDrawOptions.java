package io.unroll.cli;

import io.unroll.cell.CellType;
import io.unroll.flow.GradientDecay;
import io.unroll.init.InitScheme;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of the commands that draw a fresh recurrent weight the way the gradient-decay
 * experiment does ({@code unroll decay}, {@code unroll flow}): the cell, its activation, the
 * scheme of {@code W_hh} and its gain. Mixed in with {@code @Mixin RecurrentDrawOptions draw;}.
 */
public final class RecurrentDrawOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;
    @Option(names = "--cell", defaultValue = "rnn", completionCandidates = CellNames.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String cell;
    @Option(names = "--activation", defaultValue = "tanh",
            description = "tanh or relu, for a cell family with a choice (rnn, indrnn) (default: ${DEFAULT-VALUE}).")
    String activation;
    @Option(names = "--init", defaultValue = "gaussian",
            description = "W_hh init: gaussian, orthogonal, identity, pytorch, xavier (default: ${DEFAULT-VALUE}).")
    String init;
    @Option(names = "--scale", description = "Multiplier of the W_hh init, in (0, " + (int) GradientDecay.MAX_SCALE
            + "] (default: 0.9 for gaussian, 1 otherwise).")
    Double scale;

    /** The cell named by {@code --cell} and {@code --activation}. */
    CellType cellType() {
        return CellType.parse(cell, activation);
    }

    InitScheme scheme() {
        return InitScheme.parse(init);
    }

    /** Whether {@code --scale} was given. */
    boolean hasScale() {
        return scale != null;
    }

    /**
     * The gain of {@code W_hh}: {@code --scale}, or the scheme's default.
     *
     * @throws ParameterException if {@code --scale} is outside (0, {@value GradientDecay#MAX_SCALE}] (NaN included:
     *                            it must not fall back to the default, which the library takes NaN to mean)
     */
    double gain() {
        if (scale == null) {
            return GradientDecay.defaultScale(scheme());
        }
        try {
            return GradientDecay.checkScale(scale);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
    }
}
