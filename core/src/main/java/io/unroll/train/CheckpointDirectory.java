package io.unroll.train;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The directory a {@link TrainingRun} keeps its checkpoints in: one per validation, named with its
 * step and validation loss in nats ({@code step-000400-val-1.8123.safetensors}, or
 * {@code step-000400.safetensors} without held-out data), and {@value #LATEST}, always the newest
 * state. A new run refuses a directory that already holds checkpoints unless it is allowed to
 * write over them, so an earlier run is never overwritten by mistake.
 *
 * <p>Checkpoints are written atomically: to a hidden temporary file beside the target,
 * {@code .<name>.<hex>.tmp}, renamed over it when complete. A process killed mid-save leaves that
 * temporary file behind; {@link #prepare} removes such leftovers of this directory's checkpoints
 * when the next run starts (see {@link #STALE_TEMPORARY}).
 */
public final class CheckpointDirectory {
    /** The checkpoint every save of a run replaces: the point to resume from. */
    public static final String LATEST = "latest.safetensors";

    /**
     * The name of a temporary file the safetensors writer leaves when it is killed while saving one
     * of a run's checkpoints: a dot, the checkpoint's name ({@value #LATEST} or a validation
     * checkpoint's, {@link #validationFileName}), a dot, a random 64-bit number in lower-case hex
     * without leading zeros, {@code .tmp}. Nothing else in the directory matches it.
     */
    public static final Pattern STALE_TEMPORARY =
            Pattern.compile("\\.(latest|step-[0-9]{6,}(-val-[0-9]+\\.[0-9]{4})?)\\.safetensors\\.[0-9a-f]{1,16}\\.tmp");

    private CheckpointDirectory() {}

    /** The file name of the checkpoint saved with the validation at {@code step}. */
    public static String validationFileName(long step, double validationLoss) {
        return Double.isNaN(validationLoss)
                ? String.format(Locale.ROOT, "step-%06d.safetensors", step)
                : String.format(Locale.ROOT, "step-%06d-val-%.4f.safetensors", step, validationLoss);
    }

    /** The names of the checkpoints ({@code *.safetensors}) in {@code dir}, sorted; empty if it does not exist. */
    public static List<String> checkpointsIn(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path f : files) {
                names.add(f.getFileName().toString());
            }
        }
        names.sort(null);
        return names;
    }

    /**
     * Checks, without creating anything, that {@code dir} can take a run's checkpoints: it is not a
     * file, it could be created if it does not exist (the nearest directory above it that exists is
     * a writable directory), and it holds no checkpoints unless {@code mayHoldCheckpoints} (a
     * resumed run, or a new one allowed to write over an old one).
     *
     * @throws OccupiedException        if it holds checkpoints and may not
     * @throws IllegalArgumentException if it is a file or cannot be created
     */
    public static void check(Path dir, boolean mayHoldCheckpoints) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is a file, expected a directory for the checkpoints");
        }
        if (!Files.exists(dir)) {
            Path existing = dir.toAbsolutePath().getParent();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing != null && !Files.isDirectory(existing)) {
                throw new IllegalArgumentException(dir + " cannot be created: " + existing + " is a file, not a directory");
            }
            if (existing != null && !Files.isWritable(existing)) {
                throw new IllegalArgumentException(dir + " cannot be created: " + existing + " is not writable");
            }
        }
        if (!mayHoldCheckpoints) {
            List<String> existing = checkpointsIn(dir);
            if (!existing.isEmpty()) {
                throw new OccupiedException(dir, existing);
            }
        }
    }

    /**
     * {@link #check}, then creates {@code dir} if needed, makes sure it is writable, and removes the
     * temporary files of checkpoint saves that were killed part way ({@link #STALE_TEMPORARY}). Call
     * it when a run starts, not while another process may be saving into the same directory.
     *
     * @return the names of the temporary files removed, sorted
     */
    public static List<String> prepare(Path dir, boolean mayHoldCheckpoints) throws IOException {
        check(dir, mayHoldCheckpoints);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            String type = e.getClass().getSimpleName();
            throw new IllegalArgumentException(dir + " cannot be created: "
                    + (e.getMessage() == null ? type : type + ": " + e.getMessage()), e);
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException(dir + " is not writable");
        }
        return removeStaleTemporaries(dir);
    }

    /** Deletes the files of {@code dir} named as {@link #STALE_TEMPORARY} says; returns their names, sorted. */
    static List<String> removeStaleTemporaries(Path dir) throws IOException {
        List<String> removed = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (STALE_TEMPORARY.matcher(name).matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f);
                    removed.add(name);
                }
            }
        }
        removed.sort(null);
        return removed;
    }

    /** A new run was pointed at a directory that holds another run's checkpoints. */
    public static final class OccupiedException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient Path directory;
        private final List<String> checkpoints;

        OccupiedException(Path directory, List<String> checkpoints) {
            super(directory + " already holds " + describe(checkpoints) + "; resume the run they belong to from "
                    + directory.resolve(LATEST) + ", let the new run write over them, or choose another directory");
            this.directory = directory;
            this.checkpoints = List.copyOf(checkpoints);
        }

        public Path directory() {
            return directory;
        }

        /** The checkpoint file names found, sorted. */
        public List<String> checkpoints() {
            return checkpoints;
        }

        /** {@code 4 checkpoints (latest.safetensors, step-000020-val-1.2345.safetensors, ...)}: at most three names. */
        public static String describe(List<String> checkpoints) {
            int n = checkpoints.size();
            return n + " checkpoint" + (n == 1 ? "" : "s") + " (" + String.join(", ", checkpoints.subList(0, Math.min(3, n)))
                    + (n > 3 ? ", ..." : "") + ")";
        }
    }
}
