package io.unroll.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The output files of the commands, checked before the work that produces them: a path that can
 * never be written (a directory, a file under a file, a directory that does not take new files)
 * is a one-line error at once, not after a long run.
 */
final class OutputFiles {
    private OutputFiles() {
    }

    /**
     * Checks that {@code file}, given as {@code option}, can be written atomically (a temporary file
     * beside it, renamed over it): it is not a directory, and its directory exists and takes new
     * files, or can be created under the nearest directory that exists. Creates nothing that stays.
     *
     * @throws IllegalArgumentException naming the option, the path and what is wrong
     */
    static void checkWritable(Path file, String option) {
        Path absolute = file.toAbsolutePath();
        String what = option + " " + file;
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(what + " is a directory, expected the path of a file to write");
        }
        if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
            throw new IllegalArgumentException(what + " exists and is not a regular file, expected the path of a file to write");
        }
        Path dir = absolute.getParent();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new IllegalArgumentException(what + " cannot be written: no directory on its path exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new IllegalArgumentException(what + " cannot be written: " + existing + " is a file, not a directory");
        }
        if (!existing.equals(dir)) {
            if (!Files.isWritable(existing)) {
                throw new IllegalArgumentException(what + " cannot be written: its directory " + dir + " does not exist and "
                        + existing + " is not writable");
            }
            return; // the directories are created when the file is written
        }
        try {
            // the one sure test that the directory takes new files (permissions, a read-only mount, ...)
            Files.delete(Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp"));
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " cannot be written: its directory " + dir + " does not take new files ("
                    + Main.describe(e) + ")");
        }
    }

    /**
     * Writes {@code text} to {@code file} atomically: a temporary file beside it, renamed over it,
     * so a reader (or a run killed halfway) sees the old file or the complete new one. Creates the
     * file's directory if needed.
     */
    static void writeAtomically(Path file, String text) throws IOException {
        Path absolute = file.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        // a name of its own, created with the usual permissions (a temporary file's are owner-only)
        Path temp = absolute.resolveSibling("." + absolute.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
