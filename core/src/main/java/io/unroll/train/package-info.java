/**
 * Training: optimizers ({@link io.unroll.train.Sgd}, {@link io.unroll.train.Adam} and AdamW),
 * gradient clipping ({@link io.unroll.train.Clipping}), initialisers ({@link io.unroll.train.Init})
 * and truncated BPTT ({@link io.unroll.train.TruncatedBptt}), each working on a whole
 * {@link io.unroll.tensor.ParamStore} in single loops; and the training run that puts them
 * together ({@link io.unroll.train.TrainingRun}: a task's {@link io.unroll.train.BatchSource},
 * validation, checkpoints, stopping, resuming), with the character language model as its first task
 * ({@link io.unroll.train.CharTrainer} on {@link io.unroll.train.TextStreams}).
 */
package io.unroll.train;
