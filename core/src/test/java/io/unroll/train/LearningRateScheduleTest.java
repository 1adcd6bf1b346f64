package io.unroll.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.lab.AddingTask;
import io.unroll.lab.RealTargetBatches;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceRegressor;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import org.junit.jupiter.api.Test;

/** Learning-rate schedules: PyTorch's cosine annealing, the optimizers' scaled rate, and a run applying both. */
class LearningRateScheduleTest {
    /** torch.optim.lr_scheduler.CosineAnnealingLR(SGD(lr=1), T_max=7): the rate of steps 0..6 (PyTorch 1.13). */
    private static final double[] PYTORCH_COSINE_7 = {1.0, 0.9504844339512095, 0.8117449009293668, 0.6112604669781572,
        0.38873953302184283, 0.18825509907063326, 0.04951556604879048};

    @Test
    void cosineIsPyTorchsCosineAnnealingToZero() {
        LearningRateSchedule cosine = LearningRateSchedule.cosine(7);
        for (int k = 0; k < 7; k++) {
            assertEquals(PYTORCH_COSINE_7[k], cosine.factor(k), 1e-15, "step " + k);
        }
        assertEquals(0, cosine.factor(7), 0.0);
        assertEquals(0, cosine.factor(1000), 0.0, "zero after its span");
        assertEquals(1, LearningRateSchedule.constant().factor(123), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0));
        assertEquals("a cosine schedule spans 0 steps, expected at least 1", e.getMessage());
    }

    @Test
    void aScaledRateUpdatesAsAnOptimizerMadeWithThatRate() {
        for (boolean adam : new boolean[] {true, false}) {
            Optimizer scaled = adam ? Adam.adam(0.01) : new Sgd(0.01);
            scaled.scaleLearningRate(0.25);
            Optimizer plain = adam ? Adam.adam(0.0025) : new Sgd(0.0025);
            assertArrayEquals(threeSteps(plain), threeSteps(scaled), adam ? "adam" : "sgd");
        }
        assertThrows(IllegalArgumentException.class, () -> Adam.adam(0.01).scaleLearningRate(-1));
    }

    private static float[] threeSteps(Optimizer optimizer) {
        ParamStore.Builder pb = ParamStore.builder();
        pb.add("w", 5);
        ParamStore params = pb.build();
        for (int k = 0; k < 3; k++) {
            for (int i = 0; i < 5; i++) {
                params.grads()[i] = (float) Math.sin(i + 3 * k) + 0.5f * params.values()[i];
            }
            optimizer.step(params);
        }
        return params.values().clone();
    }

    @Test
    void aRunScalesEachStepsRateByTheScheduleAtThatStep() {
        // cosine over 2 steps: factors 1, 0.5, then 0 from step 2 on, so a third step changes nothing
        float[] afterTwo = train(LearningRateSchedule.cosine(2), 2);
        assertArrayEquals(afterTwo, train(LearningRateSchedule.cosine(2), 3));
        assertFalse(java.util.Arrays.equals(afterTwo, train(LearningRateSchedule.constant(), 3)), "a constant rate keeps moving");
        assertArrayEquals(train(null, 3), train(LearningRateSchedule.constant(), 3), "no schedule is the constant one");
    }

    private static float[] train(LearningRateSchedule schedule, int steps) {
        AddingTask task = new AddingTask(6);
        ParamStore.Builder pb = ParamStore.builder();
        SequenceRegressor model = new SequenceRegressor(pb, RecurrentConfig.of(CellType.GRU, 2, 4, 1), 1);
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(5);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        io.unroll.init.Weights.uniform(model.head().weight(), 0.5, rng);
        TrainingRun run = TrainingRun.builder().model(model, params).optimizer(Adam.adam(0.05)).rng(rng)
                .data(new RealTargetBatches(task, 3, 1, 3)).learningRateSchedule(schedule).build();
        for (int k = 0; k < steps; k++) {
            run.trainStep();
        }
        return params.values().clone();
    }
}
