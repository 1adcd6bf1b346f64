package io.unroll.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --model} option of the commands that use a trained character model ({@code sample},
 * {@code score}, {@code stream}), mixed in with {@code @Mixin ModelOption model;}.
 */
public final class ModelOption {
    @Option(names = "--model", required = true, paramLabel = "CHECKPOINT",
            description = "A checkpoint written by 'unroll train' (a directory means its latest.safetensors).")
    Path path;

    /** The checkpoint as a model with its vocabulary; errors name the file and the option. */
    CharModels.CharModel load() {
        return CharModels.load(path);
    }
}
