package io.unroll.flow;

import io.unroll.layer.Recurrent;
import io.unroll.tensor.State;
import java.util.List;

/**
 * Everything the gradient-flow diagnostics measure about one stack on one sequence, in one value
 * for a command line to print or write as JSON (docs/flow.md):
 * <ul>
 *   <li>{@link #gradients()}: the lesson's probe, {@code ‖dL/dh_t‖} (and {@code ‖dL/dc_t‖}) for every
 *   layer and step when a unit gradient {@code 1/√H} is put on every unit of the top layer's last
 *   hidden state ({@link StepGradients});</li>
 *   <li>{@link #jacobians()}: {@code ‖∂s_{T-1}/∂s_k‖₂} and {@code ‖.‖_F} for every step k of the
 *   chosen layer ({@link JacobianNorms});</li>
 *   <li>{@link #spectra()}: the singular values and eigenvalues of every layer's {@code W_hh}
 *   ({@link WeightSpectrum});</li>
 *   <li>{@link #bound()}: {@code (γ_W·γ_φ)^(T-1-k)} for the chosen layer, where it applies ({@link JacobianBound}).</li>
 * </ul>
 * Every run uses a copy of the stack's weights: the stack, its gradients and its workspace are left
 * as they were.
 */
public record FlowProbe(StepGradients gradients, JacobianNorms jacobians, List<WeightSpectrum> spectra, JacobianBound bound) {
    public FlowProbe {
        if (gradients == null || jacobians == null || spectra == null || bound == null) {
            throw new IllegalArgumentException("a flow probe needs its gradients, Jacobians, spectra and bound");
        }
        spectra = List.copyOf(spectra);
    }

    /** {@link #of(Recurrent, float[], State, int)} with the Jacobians of the top layer. */
    public static FlowProbe of(Recurrent stack, float[] input, State initial) {
        return of(stack, input, initial, stack.config().layers() - 1);
    }

    /**
     * Runs every diagnostic on one sequence.
     *
     * @param input   one sequence {@code [1, T, I]}, finite
     * @param initial the state before step 0, {@code [L, 1, H]} (with c for an LSTM), or null for zeros
     * @param layer   the layer whose Jacobians and bound are measured, in {@code [0, L)}
     * @throws IllegalArgumentException naming what is wrong with the input, the state, the layer or the weights
     */
    public static FlowProbe of(Recurrent stack, float[] input, State initial, int layer) {
        JacobianNorms jacobians = JacobianNorms.of(stack, input, initial, layer);
        StepGradients gradients = StepGradients.of(stack, input, initial);
        List<WeightSpectrum> spectra = WeightSpectrum.of(stack);
        return new FlowProbe(gradients, jacobians, spectra, JacobianBound.of(spectra.get(layer), jacobians.steps()));
    }
}
