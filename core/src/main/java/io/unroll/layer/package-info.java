/**
 * Layers: {@link io.unroll.layer.Recurrent} (stacks of RNN/LSTM/GRU layers and the one time loop
 * of forward and backpropagation through time), {@link io.unroll.layer.Embedding} and
 * {@link io.unroll.layer.Linear}; and the two models a training run trains
 * ({@link io.unroll.layer.TrainableModel}): {@link io.unroll.layer.SequenceModel} (tokens in, a
 * class at every step) and {@link io.unroll.layer.SequenceRegressor} (vectors in, a real value at
 * the last step). Layers keep their workspaces, never their state: a
 * {@link io.unroll.tensor.State} goes in and comes out.
 */
package io.unroll.layer;
