package io.unroll.cli;

import io.unroll.lab.AddingTask;
import io.unroll.lab.CopyTask;
import io.unroll.lab.DelayedSignalTask;
import io.unroll.lab.LongRangeTask;
import io.unroll.lab.TaskModel;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unroll lab}: long-range tasks that show which networks remember (docs/lab.md). Each task
 * trains a model on freshly drawn sequences and measures it on held-out ones against the task's
 * memoryless baseline, with the gradient flow watched as {@code unroll train} watches it. The
 * tasks share their options ({@link LabOptions}) and their run ({@link LabSession}); each command
 * only reads its task's own settings.
 */
@Command(name = "lab", mixinStandardHelpOptions = true,
        subcommands = {LabCommand.Copy.class, LabCommand.Adding.class, LabCommand.Signal.class, LabCommand.Chars.class,
            LabGrid.class},
        description = {"Long-range tasks that show which networks remember: a model trained on",
            "freshly drawn sequences, measured on held-out ones against the loss of the",
            "best predictor without memory. The tasks, their baselines and the recipes:",
            "docs/lab.md."})
public final class LabCommand implements Callable<Integer> {
    /** The most steps of a copy run unless --steps is given. */
    static final long COPY_STEPS = 3000;
    /** The most steps of a run with a real target unless --steps is given: the IRNN solves the adding problem at T = 200 in 7,600. */
    static final long REAL_STEPS = 10000;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "name a task (copy, adding, signal or chars) or grid");
    }

    /** {@code unroll lab copy}: recall 10 symbols after a delay. */
    @Command(name = "copy", mixinStandardHelpOptions = true, description = {
        "The copy task: 10 symbols of 8, then --delay blanks, a marker, and the model",
        "must output the 10 symbols in order. Loss: cross-entropy per step over the",
        "whole sequence (nats), against the memoryless baseline 10 ln 8 / (delay + 20);",
        "solved when 99%% of the recalled symbols are right."})
    static final class Copy implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Mixin
        LabOptions lab;
        @Spec
        CommandSpec spec;
        @Option(names = "--delay", defaultValue = "20", description = "Blanks between the symbols and the marker (default: ${DEFAULT-VALUE}).")
        int delay;
        @Option(names = "--curriculum", paramLabel = "<kind>", defaultValue = "none",
                description = "none, or mixed: half of the training sequences at a delay uniform in 1..--delay, the"
                        + " rest and every held-out one at --delay (default: ${DEFAULT-VALUE}).")
        String curriculum;

        @Override
        public Integer call() throws IOException {
            if (delay < 1 || delay > LongRangeTask.MAX_LENGTH - 20) {
                throw LabOptions.usage(spec, "--delay is " + delay + ", expected 1 to " + (LongRangeTask.MAX_LENGTH - 20));
            }
            if (!curriculum.equals("none") && !curriculum.equals("mixed")) {
                throw LabOptions.usage(spec, "--curriculum is '" + curriculum + "', expected none or mixed");
            }
            LabOptions.Settings settings = lab.check(spec, TaskModel.CLASS_LEARNING_RATE, COPY_STEPS);
            return LabSession.run(spec, common, settings, LabSession.classes(new CopyTask(delay), curriculum.equals("mixed")));
        }
    }

    /** {@code unroll lab adding}: add the two marked numbers of a long sequence. */
    @Command(name = "adding", mixinStandardHelpOptions = true, description = {
        "The adding problem: --length steps of two channels, a value uniform in [0, 1)",
        "and a marker that is 1 at one step of each half; the model must output the sum",
        "of the two marked values after the last step. Loss: mean squared error,",
        "against the memoryless baseline 1/6 (always predicting 1); solved below 0.01."})
    static final class Adding implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Mixin
        LabOptions lab;
        @Spec
        CommandSpec spec;
        @Option(names = "--length", defaultValue = "100", description = "Steps of every sequence, T (default: ${DEFAULT-VALUE}).")
        int length;

        @Override
        public Integer call() throws IOException {
            if (length < 2 || length > LongRangeTask.MAX_LENGTH) {
                throw LabOptions.usage(spec, "--length is " + length + ", expected 2 to " + LongRangeTask.MAX_LENGTH);
            }
            LabOptions.Settings settings = lab.check(spec, TaskModel.REAL_LEARNING_RATE, REAL_STEPS);
            return LabSession.run(spec, common, settings, adding(length));
        }
    }

    /** {@code unroll lab signal}: keep the sign of an event across a noisy series. */
    @Command(name = "signal", mixinStandardHelpOptions = true, description = {
        "The delayed signal: --length steps of gaussian noise and an event channel that",
        "is +1 or -1 at one step at least --delay steps before the end; the model must",
        "output the event's sign (plus noise of sigma 0.1) after the last step. Loss:",
        "mean squared error, against the memoryless baseline 1.01 (always predicting 0);",
        "solved below 0.05."})
    static final class Signal implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Mixin
        LabOptions lab;
        @Spec
        CommandSpec spec;
        @Option(names = "--length", defaultValue = "100", description = "Steps of every sequence, T (default: ${DEFAULT-VALUE}).")
        int length;
        @Option(names = "--delay", defaultValue = "50",
                description = "The fewest steps between the event and the last step, below --length (default: ${DEFAULT-VALUE}).")
        int delay;

        @Override
        public Integer call() throws IOException {
            if (length < 2 || length > LongRangeTask.MAX_LENGTH) {
                throw LabOptions.usage(spec, "--length is " + length + ", expected 2 to " + LongRangeTask.MAX_LENGTH);
            }
            if (delay < 1 || delay >= length) {
                throw LabOptions.usage(spec, "--delay is " + delay + ", expected 1 to " + (length - 1)
                        + " (below --length " + length + ": the event comes before the last step)");
            }
            LabOptions.Settings settings = lab.check(spec, TaskModel.REAL_LEARNING_RATE, REAL_STEPS);
            return LabSession.run(spec, common, settings, signal(length, delay));
        }
    }

    /**
     * {@code unroll lab chars}: character language modelling, the task {@code unroll train} trains,
     * with its options and output; both report the unigram model as the memoryless baseline.
     */
    @Command(name = "chars", description = {
        "Character language modelling: a model of --text trained to predict each next",
        "character, measured in bits per character on the held-out end of the text",
        "against the unigram model (character frequencies alone), the best predictor",
        "without memory. The same run as 'unroll train' with the same options."})
    static final class Chars extends TrainCommand {
    }

    /** The copy task with {@code delay} blanks, as a lab run trains it. */
    static LabSession.LabTask copy(int delay) {
        return LabSession.classes(new CopyTask(delay), false);
    }

    /** The adding problem of {@code length} steps, as a lab run trains it. */
    static LabSession.LabTask adding(int length) {
        return LabSession.realValue(new AddingTask(length), "adding",
                String.format(Locale.ROOT, "Adding problem, length %d", length), "predicting 1", Map.of());
    }

    /** The delayed signal, as a lab run trains it. */
    static LabSession.LabTask signal(int length, int delay) {
        return LabSession.realValue(new DelayedSignalTask(length, delay), "signal",
                String.format(Locale.ROOT, "Delayed signal, length %d, delay %d", length, delay), "predicting 0",
                Map.of("delay", delay));
    }
}
