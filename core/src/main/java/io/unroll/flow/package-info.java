/**
 * Gradient-flow diagnostics (docs/spec.md#gradient-flow): observers on the time loop that measure
 * how much gradient reaches every timestep, {@code ‖dL/dh_t‖}, and the gradient-decay experiment
 * built on them. For the vanilla RNN that gradient is carried back by the Jacobians
 * {@code diag(φ'(z_j)) W_hh}, so {@code ‖dh_t/dh_k‖ ≤ (γ_W·γ_φ)^(t-k)} with γ_W the largest singular
 * value of {@code W_hh} and γ_φ the largest |φ'|.
 *
 * <p>During ordinary training, {@link io.unroll.flow.FlowTelemetry} samples these norms with the
 * memory horizon ({@link io.unroll.flow.MemoryHorizon}), saturation, dead units, gates, clipping
 * and per-parameter norms, and {@link io.unroll.flow.Health} turns them into a verdict in words
 * (docs/telemetry.md).
 */
package io.unroll.flow;
