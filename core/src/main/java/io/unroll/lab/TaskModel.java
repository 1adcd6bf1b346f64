package io.unroll.lab;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.io.Safetensors;
import io.unroll.layer.Linear;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.SequenceRegressor;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;

/**
 * The model a long-range task's kind of target calls for, with its head, and the batch source
 * that feeds it: a class at every step ({@link LongRangeTask.Target#CLASS_EVERY_STEP}, the copy
 * task) takes a one-hot {@link SequenceModel} over the task's input symbols and
 * {@link TaskBatches}; a real target at the last step (the adding problem, the delayed signal) a
 * {@link SequenceRegressor} of the task's output size and {@link RealTargetBatches}.
 *
 * @param model the model, its parameters declared on the builder it was made with
 * @param head  its linear head, to initialise
 */
public record TaskModel(TrainableModel model, Linear head) {
    /** The metadata entry of a weights file naming the cell ({@link #weightsFile}). */
    public static final String CELL_METADATA = "unroll.cell";
    /** The metadata entry of a weights file naming the task it was trained on. */
    public static final String TASK_METADATA = "unroll.task";

    /** The lab's Adam learning rate for a class at every step (the copy task). */
    public static final double CLASS_LEARNING_RATE = 3e-3;
    /** The lab's Adam learning rate for a real target at the last step: the adding problem's usual rate. */
    public static final double REAL_LEARNING_RATE = 1e-3;

    /** The lab's Adam learning rate for {@code task}'s kind of target: {@link #CLASS_LEARNING_RATE} or {@link #REAL_LEARNING_RATE}. */
    public static double learningRate(LongRangeTask task) {
        return switch (task.target()) {
            case CLASS_EVERY_STEP -> CLASS_LEARNING_RATE;
            case REAL_AT_LAST_STEP -> REAL_LEARNING_RATE;
        };
    }

    /** The model for {@code task} with the recurrent stack {@code config}, its parameters declared on {@code params}. */
    public static TaskModel of(LongRangeTask task, ParamStore.Builder params, RecurrentConfig config) {
        return switch (task.target()) {
            case CLASS_EVERY_STEP -> {
                SequenceModel m = SequenceModel.oneHot(params, task.inputSize(), config);
                yield new TaskModel(m, m.head());
            }
            case REAL_AT_LAST_STEP -> {
                SequenceRegressor m = new SequenceRegressor(params, config, task.outputSize());
                yield new TaskModel(m, m.head());
            }
        };
    }

    /**
     * Initialises the model as the lab does: the stack by {@code scheme} (with σ {@code sigma}, or
     * the scheme's default when null), then the gate biases, and the head as PyTorch's
     * {@code nn.Linear}, all drawn from {@code rng} in that order. The gate biases: chrono ones over
     * {@code chronoSteps} steps ({@link Init#chrono}) when that is above 0, else an LSTM's
     * forget-gate bias {@code forgetBias}.
     */
    public void initialise(InitScheme scheme, Double sigma, double forgetBias, int chronoSteps, Rng rng) {
        Recurrent rnn = model.rnn();
        if (sigma != null) {
            Init.apply(rnn, scheme, sigma, rng);
        } else {
            Init.apply(rnn, scheme, rng);
        }
        if (chronoSteps > 0) {
            Init.chrono(rnn, chronoSteps, rng);
        } else if (rnn.config().cell() == CellType.LSTM) {
            Init.forgetGateBias(rnn, forgetBias);
        }
        head.initUniform(rng);
    }

    /**
     * A task model's weights as a safetensors file PyTorch loads into the module docs/lab.md
     * describes: every parameter of {@code params} under its {@code state_dict} name, its values
     * from {@code values} (the store's layout: {@link ParamStore#values()} or a copy of it), and the
     * metadata {@code format: pt}, {@code unroll.cell} and {@code unroll.task}, from which
     * {@code unroll lab --weights} and {@code unroll flow --weights} rebuild the model.
     */
    public static Safetensors.Writer weightsFile(ParamStore params, float[] values, CellType cell, LongRangeTask task) {
        Safetensors.Writer w = Safetensors.writer();
        for (Param p : params.params()) {
            w.putFloats(p.name(), p.shape(), values, p.offset());
        }
        return w.metadata("format", "pt").metadata(CELL_METADATA, cell.id()).metadata(TASK_METADATA, task.name());
    }

    /** The task's batch source: batch k of {@code seed} for step k, {@code heldOut} held-out sequences. */
    public static TaskSource batches(LongRangeTask task, int batch, long seed, int heldOut) {
        return switch (task.target()) {
            case CLASS_EVERY_STEP -> new TaskBatches(task, batch, seed, heldOut);
            case REAL_AT_LAST_STEP -> new RealTargetBatches(task, batch, seed, heldOut);
        };
    }
}
