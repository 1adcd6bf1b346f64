package io.unroll.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The finished runs of an {@code unroll lab grid}, kept in one JSON file so that a grid stopped by
 * Ctrl-C, a kill or a crash resumes where it stopped. The file is rewritten atomically after every
 * finished run (a temporary file beside it, then a rename), so it always holds every run finished
 * before the last complete write, and never half a document.
 *
 * <p>The file names its format and version; the grid's {@link Settings} say how every run was
 * trained, and a grid resumes only runs trained the way it would train them. Runs are keyed by
 * their configuration and length, so a grid with more configurations or lengths than the file
 * reuses the runs it holds and adds the others.
 */
final class GridFile {
    /** The {@code format} entry of every grid file. */
    static final String FORMAT = "unroll-lab-grid";
    /** The layout written here; a file of another version is refused, not guessed at. */
    static final int VERSION = 1;

    private static final ObjectMapper READER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /**
     * How every run of a grid is trained; two grids whose settings are equal train the same run the
     * same way, deterministically.
     */
    record Settings(String task, long steps, int hidden, int batch, Double lr, double clip, int evalEvery, int heldOut,
                    long seed, String rng) {}

    /**
     * One finished run.
     *
     * @param config     the configuration's id ({@code irnn})
     * @param length     the task's length (the delay, for the copy task)
     * @param finalLoss  the last held-out loss, in the task's unit (NaN if the run diverged before the first)
     * @param baseline   the task's memoryless baseline at that length
     * @param accuracy   the copy task's recall accuracy (NaN for the others)
     * @param solved     whether the last measurement solved the task
     * @param solvedAt   the step of the first measurement that solved it, -1 if none did
     * @param steps      the steps trained
     * @param seconds    the wall time
     * @param horizon    the median memory horizon over the run's telemetry samples, in steps
     * @param span       the longest horizon the window can show (T - 1)
     * @param diverged   the step at which the loss became non-finite, -1 if it did not
     * @param verdict    the gradient-flow verdict at the end, in words
     * @param evalSteps  the steps of the held-out measurements
     * @param evalLoss   their losses
     */
    record Run(String config, int length, double finalLoss, double baseline, double accuracy, boolean solved, long solvedAt,
               long steps, double seconds, int horizon, int span, long diverged, String verdict, long[] evalSteps,
               double[] evalLoss) {
        double ratio() {
            return finalLoss / baseline;
        }
    }

    /** The document as it is written. */
    private record Document(String format, int version, Settings settings, List<Run> runs) {}

    private final Path file;
    private final Settings settings;
    private final List<Run> runs = new ArrayList<>();

    private GridFile(Path file, Settings settings) {
        this.file = file;
        this.settings = settings;
    }

    /**
     * The grid kept in {@code file}: its finished runs if the file exists, none if it does not or
     * {@code restart} is set.
     *
     * @throws IllegalArgumentException if the file is not a grid of this version, or holds runs
     *                                  trained with other settings
     */
    static GridFile open(Path file, Settings settings, boolean restart) throws IOException {
        GridFile grid = new GridFile(file, settings);
        if (restart) {
            return grid;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return grid;
        }
        JsonNode tree;
        try {
            tree = READER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not an Unroll lab grid (not JSON: "
                    + e.getOriginalMessage() + "); give another --file, or --restart to overwrite it");
        }
        JsonNode format = tree.get("format");
        JsonNode version = tree.get("version");
        if (format == null || !FORMAT.equals(format.asText()) || version == null || !version.isInt()
                || version.intValue() != VERSION) {
            throw new IllegalArgumentException(String.format("%s is not an Unroll lab grid of version %d (its format is %s,"
                            + " version %s); give another --file, or --restart to overwrite it", file, VERSION,
                    format == null ? null : format.asText(), version == null ? null : version.asText()));
        }
        Document doc;
        try {
            doc = READER.treeToValue(tree, Document.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is a damaged lab grid (" + e.getOriginalMessage()
                    + "); give another --file, or --restart to overwrite it");
        }
        if (!settings.equals(doc.settings())) {
            Map<?, ?> theirs = READER.convertValue(doc.settings(), Map.class);
            Map<?, ?> ours = READER.convertValue(settings, Map.class);
            String differences = ours.keySet().stream().filter(k -> !Objects.equals(ours.get(k), theirs.get(k)))
                    .map(k -> k + " " + theirs.get(k) + " there, " + ours.get(k) + " here").collect(Collectors.joining("; "));
            throw new IllegalArgumentException(String.format("%s holds runs trained otherwise (%s); give another --file, the"
                    + " options it was made with, or --restart to overwrite it", file, differences));
        }
        grid.runs.addAll(doc.runs());
        return grid;
    }

    Path file() {
        return file;
    }

    /** The finished run of {@code config} at {@code length}, if there is one. */
    Optional<Run> find(String config, int length) {
        return runs.stream().filter(r -> r.config().equals(config) && r.length() == length).findFirst();
    }

    /** The finished runs the file holds. */
    int size() {
        return runs.size();
    }

    /** Adds a finished run and rewrites the file. */
    void add(Run run) throws IOException {
        runs.removeIf(r -> r.config().equals(run.config()) && r.length() == run.length());
        runs.add(run);
        save();
    }

    private void save() throws IOException {
        OutputFiles.writeAtomically(file, Json.toString(new Document(FORMAT, VERSION, settings, runs)) + "\n");
    }
}
