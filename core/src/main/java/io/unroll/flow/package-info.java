/**
 * Gradient-flow diagnostics (docs/spec.md#gradient-flow, docs/flow.md): observers on the time loop
 * that measure how much gradient reaches every timestep, {@code ‖dL/dh_t‖} ({@link
 * io.unroll.flow.GradientNorms}), the lesson's probe on any stack ({@link io.unroll.flow.StepGradients})
 * and the gradient-decay experiment built on it ({@link io.unroll.flow.GradientDecay}); the Jacobian
 * products {@code ∂s_{T-1}/∂s_k} of one layer along a real trajectory ({@link io.unroll.flow.JacobianNorms}),
 * the spectrum of every {@code W_hh} ({@link io.unroll.flow.WeightSpectrum}) and the bound
 * {@code ‖∂h_t/∂h_k‖ ≤ (γ_W·γ_φ)^(t-k)}, γ_W the largest singular value of {@code W_hh} and γ_φ the
 * largest |φ'|, where it holds ({@link io.unroll.flow.JacobianBound}); {@link io.unroll.flow.FlowProbe}
 * runs them all on one sequence.
 *
 * <p>During ordinary training, {@link io.unroll.flow.FlowTelemetry} samples these norms with the
 * memory horizon ({@link io.unroll.flow.MemoryHorizon}), saturation, dead units, gates, clipping
 * and per-parameter norms, and {@link io.unroll.flow.Health} turns them into a verdict in words
 * (docs/telemetry.md).
 */
package io.unroll.flow;
