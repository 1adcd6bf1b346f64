package io.unroll.reference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the committed reference fixtures; a missing one fails the test, naming its generator. */
public final class Fixtures {
    private Fixtures() {}

    /**
     * @param path      relative to the core module, e.g. {@code src/test/resources/golden/lstm_l1.safetensors}
     * @param generator the script that writes it, e.g. {@code tools/reference/make_golden.py}
     */
    public static Safetensors.Contents open(String path, String generator) throws IOException {
        Path file = Path.of(path);
        assertTrue(Files.isRegularFile(file), "missing fixture " + file.toAbsolutePath() + "; regenerate with " + generator);
        return Safetensors.read(file);
    }
}
