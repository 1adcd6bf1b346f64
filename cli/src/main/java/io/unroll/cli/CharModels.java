package io.unroll.cli;

import io.unroll.data.CharVocabulary;
import io.unroll.io.Checkpoint;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.train.CheckpointDirectory;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Loading the character model of {@code unroll sample}, {@code score} and {@code stream}: a
 * checkpoint written by {@code unroll train} (or any safetensors file of the same module with an
 * {@code unroll.vocabulary} entry). A directory stands for its {@code latest.safetensors}. Every
 * failure is a one-line {@link IllegalArgumentException} that names the file.
 */
final class CharModels {
    /** The checkpoint {@code unroll train} keeps current in its output directory. */
    static final String LATEST = CheckpointDirectory.LATEST;

    private CharModels() {
    }

    /** A loaded model with its vocabulary (never null) and the file it came from. */
    record CharModel(Path file, Checkpoint.Loaded checkpoint) {
        SequenceModel model() {
            return checkpoint.model();
        }

        CharVocabulary vocabulary() {
            return checkpoint.vocabulary();
        }

        /** {@code lstm, 1 x 256, embedding 64, 65 characters, step 993}. */
        String describe() {
            RecurrentConfig c = model().rnn().config();
            String step = checkpoint.training() == null ? "" : ", step " + checkpoint.training().step();
            return String.format(Locale.ROOT, "%s, %d x %d, embedding %d, %d characters%s", c.cell().id(), c.layers(),
                    c.hiddenSize(), c.inputSize(), vocabulary().size(), step);
        }
    }

    /** Loads {@code file} given as {@code --model}; a directory means its {@value #LATEST}. */
    static CharModel load(Path file) {
        return load(file, "--model");
    }

    /** Loads {@code file} given as {@code option}; a directory means its {@value #LATEST}. */
    static CharModel load(Path file, String option) {
        Path path = file;
        if (Files.isDirectory(path)) {
            path = file.resolve(LATEST);
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(option + " " + file + " is a directory without a " + LATEST
                        + "; pass a checkpoint file written by 'unroll train'");
            }
        }
        Checkpoint.Loaded loaded;
        try {
            loaded = Checkpoint.load(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(option + " " + path + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(option + " " + path + " cannot be read: permission denied");
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + path + " is not an Unroll checkpoint: " + reason(e, path));
        }
        if (loaded.vocabulary() == null) {
            throw new IllegalArgumentException(option + " " + path + " holds a model but no character vocabulary"
                    + " (no unroll.vocabulary metadata); use a checkpoint written by 'unroll train'");
        }
        return new CharModel(path, loaded);
    }

    /** Why loading failed, without the file name the reader's messages start with. */
    private static String reason(Exception e, Path path) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : Main.oneLine(e.getMessage());
        String prefix = path + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
}
