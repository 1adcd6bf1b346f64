/**
 * Gradient-flow diagnostics (docs/spec.md#gradient-flow): observers on the time loop that measure
 * how much gradient reaches every timestep, {@code ‖dL/dh_t‖}, and the gradient-decay experiment
 * built on them. For the vanilla RNN that gradient is carried back by the Jacobians
 * {@code diag(φ'(z_j)) W_hh}, so {@code ‖dh_t/dh_k‖ ≤ (γ_W·γ_φ)^(t-k)} with γ_W the largest singular
 * value of {@code W_hh} and γ_φ the largest |φ'|.
 */
package io.unroll.flow;
