/**
 * Shapes, validation, parameters and state: {@link io.unroll.tensor.Check} (the one validation
 * helper), {@link io.unroll.tensor.ParamStore} (all parameters in one array with named
 * {@link io.unroll.tensor.Param} views), {@link io.unroll.tensor.State} (h and c as values), the
 * seeded {@link io.unroll.tensor.Rng} and {@link io.unroll.tensor.Memory} (sizes weighed against the
 * heap before they are allocated).
 */
package io.unroll.tensor;
