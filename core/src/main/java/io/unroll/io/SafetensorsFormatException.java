package io.unroll.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file is not a well-formed safetensors file: its header length, JSON header, dtypes, shapes or
 * data offsets are inconsistent with each other or with the file's size. The message names the
 * file, says what was wrong, what was expected and, where it is known, the likely cause
 * (a truncated download, a file of another format).
 */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** @param file the file that was being read; {@code message} says what is wrong with it */
    public SafetensorsFormatException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /** @param cause the lower-level failure (for example the JSON parser's) */
    public SafetensorsFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The file that was being read. */
    public Path file() {
        return file;
    }
}
