package io.unroll.flow;

import io.unroll.layer.Recurrent;
import io.unroll.tensor.State;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 *   <li>{@link #bound()}: {@code (γ_W·γ_φ)^(T-1-k)} for the chosen layer, where it applies ({@link JacobianBound});</li>
 *   <li>{@link #activity()}: every layer's tanh saturation, dead ReLU units and gate ({@link LayerActivity});</li>
 *   <li>from these, every layer's memory horizon ({@link #horizons()}) and the verdict in words
 *   ({@link #verdict()}).</li>
 * </ul>
 * Every run uses a copy of the stack's weights: the stack, its gradients and its workspace are left
 * as they were.
 *
 * <p>The Jacobian norms take nearly all of a probe's time (they run S copies of the sequence and a
 * Lanczos run per step); {@link #withoutJacobians} measures everything else, for a view that
 * wants the rest at once and the Jacobians after. Its {@link #jacobians()} is null.
 */
public record FlowProbe(StepGradients gradients, JacobianNorms jacobians, List<WeightSpectrum> spectra, JacobianBound bound,
                        List<LayerActivity> activity) {
    public FlowProbe {
        if (gradients == null || spectra == null || bound == null || activity == null) {
            throw new IllegalArgumentException("a flow probe needs its gradients, spectra, bound and activity");
        }
        if (activity.size() != gradients.layers() || spectra.size() != gradients.layers()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "a flow probe of %d layers has %d spectra and %d"
                    + " activities, expected one of each per layer", gradients.layers(), spectra.size(), activity.size()));
        }
        spectra = List.copyOf(spectra);
        activity = List.copyOf(activity);
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
        return measure(stack, input, initial, layer, JacobianNorms.of(stack, input, initial, layer));
    }

    /** {@link #of(Recurrent, float[], State)} but the Jacobian norms: every other figure, the same, in a fraction of the time. */
    public static FlowProbe withoutJacobians(Recurrent stack, float[] input, State initial) {
        return measure(stack, input, initial, stack.config().layers() - 1, null);
    }

    /**
     * This probe with the top layer's Jacobian norms added, measured on the stack and sequence it
     * was made from: what {@link #of(Recurrent, float[], State)} gives, for the Jacobians' time alone.
     *
     * @throws IllegalArgumentException if the stack's cell, hidden size or layers or the sequence's length are not
     *                                  this probe's (the weights themselves are not compared)
     */
    public FlowProbe withJacobians(Recurrent stack, float[] input, State initial) {
        int layers = stack.config().layers();
        int steps = input.length / stack.config().inputSize();
        int hidden = spectra.get(0).singularValues().length;
        if (stack.config().cell() != gradients.cell() || stack.config().hiddenSize() != hidden || layers != gradients.layers()
                || steps != gradients.steps()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "this probe is of a %s of %d units in %s over %d"
                    + " steps, the stack given is a %s of %d units in %s and the sequence %d steps: add the Jacobians of the"
                    + " stack and sequence it was made from", gradients.cell().id(), hidden, layerCount(gradients.layers()),
                    gradients.steps(), stack.config().cell().id(), stack.config().hiddenSize(), layerCount(layers), steps));
        }
        return new FlowProbe(gradients, JacobianNorms.of(stack, input, initial, layers - 1), spectra, bound, activity);
    }

    private static String layerCount(int layers) {
        return layers + (layers == 1 ? " layer" : " layers");
    }

    private static FlowProbe measure(Recurrent stack, float[] input, State initial, int layer, JacobianNorms jacobians) {
        StepGradients.Probed probed = StepGradients.probe(stack, input, initial);
        List<WeightSpectrum> spectra = WeightSpectrum.of(stack);
        return new FlowProbe(probed.gradients(), jacobians, spectra, JacobianBound.of(spectra.get(layer), probed.gradients().steps()),
                LayerActivity.scan(probed.copy()));
    }

    /**
     * Layer k's probe curve over its whole state, {@code ‖dL/ds_t‖ = √(‖dL/dh_t‖² + ‖dL/dc_t‖²)}
     * (just {@code ‖dL/dh_t‖} without a cell state): the curve the telemetry's horizon reads, here
     * from a loss at the last step only.
     */
    public double[] stateNorms(int layer) {
        double[] s = gradients.dh(layer);
        double[] dc = gradients.dc() == null ? null : gradients.dc(layer);
        for (int t = 0; dc != null && t < s.length; t++) {
            s[t] = Math.hypot(s[t], dc[t]);
        }
        return s;
    }

    /**
     * Every layer's memory horizon, read from {@link #stateNorms}; an entry is null where the curve
     * has no finite, non-zero gradient at the last step or is shorter than 2 steps.
     */
    public MemoryHorizon[] horizons() {
        MemoryHorizon[] horizons = new MemoryHorizon[gradients.layers()];
        for (int k = 0; k < horizons.length; k++) {
            double[] dh = stateNorms(k);
            boolean measurable = dh.length >= 2;
            for (double v : dh) {
                measurable &= Double.isFinite(v);
            }
            horizons[k] = measurable && dh[dh.length - 1] > 0 ? MemoryHorizon.of(dh) : null;
        }
        return horizons;
    }

    /**
     * The verdict on this evidence ({@link Health}): vanishing from the horizons, exploding from a
     * gradient that grows on its way back, saturated tanh, dead ReLU units.
     */
    public Health.Verdict verdict() {
        int layers = activity.size();
        double[] growth = new double[layers];
        double[] saturation = new double[layers];
        double[] dead = new double[layers];
        for (int k = 0; k < layers; k++) {
            growth[k] = Health.growth(stateNorms(k));
            saturation[k] = activity.get(k).tanhSaturation();
            dead[k] = activity.get(k).deadUnits();
        }
        return Health.judge(Health.Evidence.ofModel(gradients.cell(), horizons(), growth, saturation, dead));
    }

    /**
     * Every figure as one JSON-ready document (docs/flow.md names the entries): {@code description}'s
     * entries first, then the top layer's gradient norms, the ratio of step 0 to the last step, the
     * horizons, the growth, the Jacobian norms (left out when not measured) and their bound, the
     * singular values and spectra, the activity and the verdict. Records and arrays are left as they are, for a JSON writer to expand.
     */
    public Map<String, Object> document(Map<String, Object> description) {
        int top = gradients.layers() - 1;
        Map<String, Object> doc = new LinkedHashMap<>(description);
        double[] dh = gradients.dh(top);
        doc.put("gradientNorms", dh);
        if (gradients.dc(top) != null) {
            doc.put("cellGradientNorms", gradients.dc(top));
        }
        doc.put("gradientNormsByLayer", gradients.dh());
        doc.put("ratio", dh[0] / dh[dh.length - 1]);
        MemoryHorizon[] horizons = horizons();
        doc.put("horizon", horizons[horizons.length - 1]);
        doc.put("horizons", horizons);
        doc.put("growth", Health.growth(stateNorms(top)));
        if (jacobians != null) {
            doc.put("jacobianLayer", jacobians.layer());
            doc.put("jacobianNorms", jacobians.spectral());
            doc.put("jacobianFrobeniusNorms", jacobians.frobenius());
            doc.put("jacobianIterations", jacobians.iterations());
            doc.put("jacobianConverged", jacobians.converged());
            doc.put("jacobianDirection", jacobians.direction());
        }
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("applicable", bound.applicable());
        b.put("gammaW", bound.gammaW());
        b.put("gammaPhi", bound.gammaPhi());
        b.put("values", bound.values());
        b.put("reason", bound.reason());
        doc.put("bound", b);
        doc.put("singularValues", spectra.get(spectra.size() - 1).singularValues());
        doc.put("spectra", spectra);
        doc.put("activity", activity);
        doc.put("verdict", verdict());
        return doc;
    }
}
