/**
 * Training: optimizers ({@link io.unroll.train.Sgd}, {@link io.unroll.train.Adam} and AdamW),
 * gradient clipping ({@link io.unroll.train.Clipping}) and initialisers
 * ({@link io.unroll.train.Init}). Each works on a whole {@link io.unroll.tensor.ParamStore} in
 * single loops.
 */
package io.unroll.train;
