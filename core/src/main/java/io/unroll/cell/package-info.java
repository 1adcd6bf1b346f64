/**
 * Recurrent cells with PyTorch's equations, gate orders and parameter names (SPEC §1). A cell does
 * one step forward and the matching step backward on the buffers of its layer; the time loop
 * that calls them lives once, in {@link io.unroll.layer.Recurrent}.
 */
package io.unroll.cell;
