/**
 * Recurrent cells with PyTorch's equations, gate orders and parameter names (docs/spec.md). A cell
 * is one class: it declares its layer's parameters and does one step forward and the matching
 * step backward on its buffers; {@link io.unroll.cell.CellType} is the registry of the kinds. The
 * time loop that calls the cells lives once, in {@link io.unroll.layer.Recurrent}.
 */
package io.unroll.cell;
