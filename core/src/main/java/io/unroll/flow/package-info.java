/**
 * Gradient-flow diagnostics (SPEC §3): observers on the time loop that measure how much gradient
 * reaches every timestep, and the gradient-decay experiment built on them.
 */
package io.unroll.flow;
