package io.unroll.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.train.CheckpointDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint save killed between writing its temporary file and renaming it leaves that file
 * behind; the next run in the directory removes exactly such files. The leftovers here are made by
 * the safetensors writer itself (its file, kept as a kill before the rename keeps it), so the test
 * follows the writer's naming wherever it goes.
 */
class StaleCheckpointTemporaryTest {
    @TempDir
    Path dir;

    @Test
    void theNextRunRemovesWhatKilledSavesLeftAndNothingElse() throws IOException {
        List<String> stale = new ArrayList<>();
        stale.add(leftBySaveOf(CheckpointDirectory.LATEST));
        stale.add(leftBySaveOf(CheckpointDirectory.validationFileName(400, 1.8123)));
        stale.add(leftBySaveOf(CheckpointDirectory.validationFileName(1_234_567, Double.NaN)));
        List<String> kept = List.of(
                "latest.safetensors",                         // a checkpoint
                leftBySaveOf("model.safetensors"),            // another file's save, not a run's checkpoint
                ".notes.txt.3fa9.tmp",                        // some other temporary file
                ".latest.safetensors.3FA9.tmp",               // not the writer's lower-case hex
                ".latest.safetensors.3fa9.tmp.bak",
                "latest.safetensors.3fa9.tmp");               // not hidden
        for (String name : kept) {
            if (Files.notExists(dir.resolve(name))) {
                Files.write(dir.resolve(name), new byte[8]);
            }
        }
        Files.createDirectory(dir.resolve(".latest.safetensors.77.tmp")); // a directory, whatever its name

        assertEquals(stale.stream().sorted().toList(), CheckpointDirectory.prepare(dir, true));
        List<String> expected = new ArrayList<>(kept);
        expected.add(".latest.safetensors.77.tmp");
        assertEquals(expected.stream().sorted().toList(), listing());
        assertEquals(List.of(), CheckpointDirectory.prepare(dir, true), "nothing more to remove");
    }

    @Test
    void aDirectoryThatHoldsCheckpointsIsRefusedBeforeAnythingIsRemoved() throws IOException {
        String temp = leftBySaveOf(CheckpointDirectory.LATEST);
        Files.write(dir.resolve("step-000200.safetensors"), new byte[8]);
        assertThrows(CheckpointDirectory.OccupiedException.class, () -> CheckpointDirectory.prepare(dir, false));
        assertTrue(Files.exists(dir.resolve(temp)), "a refused run leaves the directory as it was");
    }

    /** Saves {@code name} with the real writer, stopped before its rename; returns the temporary file's name, which stays. */
    private String leftBySaveOf(String name) throws IOException {
        Path keep = dir.resolve("kept-by-the-test");
        String[] temp = new String[1];
        Safetensors.Writer writer = Safetensors.writer().putFloats("w", new int[] {2}, new float[] {1, 2});
        IOException killed = assertThrows(IOException.class, () -> writer.write(dir.resolve(name), () -> {
            try (Stream<Path> files = Files.list(dir)) {
                temp[0] = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp") && n.startsWith("." + name))
                        .findFirst().orElseThrow();
            }
            Files.copy(dir.resolve(temp[0]), keep);
            throw new IOException("killed before the rename");
        }));
        assertEquals("killed before the rename", killed.getMessage());
        Files.move(keep, dir.resolve(temp[0]));
        return temp[0];
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
