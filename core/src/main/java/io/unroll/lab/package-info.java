/**
 * Long-range benchmark data: seeded generators of the tasks that only a network with memory can
 * solve, and the loss of the best predictor without memory, against which a trained model is read.
 * {@link io.unroll.lab.LongRangeTask} is the contract; {@link io.unroll.lab.CopyTask} (recall 10
 * symbols after a delay), {@link io.unroll.lab.AddingTask} (add two marked numbers) and
 * {@link io.unroll.lab.DelayedSignalTask} (a value at the end set by an event far in the past)
 * implement it; {@link io.unroll.lab.UnigramBaseline} is the memoryless baseline of character
 * language modelling. {@link io.unroll.lab.TaskBatches} (a class at every step, for a token model)
 * and {@link io.unroll.lab.RealTargetBatches} (a real target at the last step, for a
 * {@link io.unroll.layer.SequenceRegressor}) turn a task into a training run's data and measure a
 * model on held-out sequences; the models and the training loop live in {@code layer} and
 * {@code train}.
 */
package io.unroll.lab;
