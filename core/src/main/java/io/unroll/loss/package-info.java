/**
 * Losses with masks: {@link io.unroll.loss.SoftmaxCrossEntropy} (mean over counted positions)
 * and {@link io.unroll.loss.MeanSquaredError}. Each computes its value and the gradient with
 * respect to its input in one call.
 */
package io.unroll.loss;
