package io.unroll.cli;

import static io.unroll.cli.CharModelCommandsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.web.Playground;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The playground's probe and {@code unroll flow --json} agree; its command's options are checked. */
class PlaygroundCommandTest {
    @Test
    void aProbeIsWhatUnrollFlowWritesForTheSameOptions() throws Exception {
        String[][] cases = {
            {"cell=gru&length=30&hidden=16&seed=5", "--cell", "gru", "--length", "30", "--hidden", "16", "--seed", "5"},
            {"cell=lstm&layers=2&length=12&hidden=6&forget-bias=1", "--cell", "lstm", "--layers", "2", "--length", "12", "--hidden",
                "6", "--forget-bias", "1"},
            {"activation=relu&init=identity&spectral-radius=0.8&length=20&hidden=8", "--activation", "relu", "--init", "identity",
                "--spectral-radius", "0.8", "--length", "20", "--hidden", "8"},
        };
        try (Playground playground = Playground.start("127.0.0.1", 0)) {
            for (String[] c : cases) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(playground.uri()
                        .resolve("/api/probe?" + c[0])).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                String[] flow = new String[c.length + 1];
                flow[0] = "flow";
                System.arraycopy(c, 1, flow, 1, c.length - 1);
                flow[c.length] = "--json";
                JsonNode expected = run(flow).json();
                assertEquals(expected, new ObjectMapper().readTree(r.body()), c[0]);
            }
        }
    }

    @Test
    void unrollFlowOpensThePlaygroundsWeightsAndItsOwnSavedOnes(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("saved.safetensors");
        JsonNode fresh = run("flow", "--cell", "lstm", "--hidden", "6", "--layers", "2", "--length", "10", "--save", saved.toString(),
                "--json").json();
        JsonNode reread = run("flow", "--weights", saved.toString(), "--length", "10", "--json").json();
        assertEquals("lstm", reread.get("cell").asText());
        assertEquals(2, reread.get("layers").asInt());
        assertEquals(6, reread.get("hidden").asInt());
        assertEquals(fresh.get("spectra"), reread.get("spectra"), "the same weights: the same spectra");

        try (Playground playground = Playground.start("127.0.0.1", 0)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(playground.uri().resolve("/api/train"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\": \"copy\", \"delay\": 3, \"cell\": \"gru\", \"hidden\": 12}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            String id = new ObjectMapper().readTree(created.body()).get("id").asText();
            Path downloaded = dir.resolve("playground.safetensors");
            HttpResponse<Path> weights = http.send(HttpRequest.newBuilder(playground.uri().resolve("/api/train/" + id + "/weights"))
                    .build(), HttpResponse.BodyHandlers.ofFile(downloaded));
            assertEquals(200, weights.statusCode());
            JsonNode probed = run("flow", "--weights", downloaded.toString(), "--length", "23", "--json").json();
            assertEquals("gru", probed.get("cell").asText());
            assertEquals(12, probed.get("hidden").asInt());
            assertEquals(10, probed.get("input").asInt(), "the copy task's ten one-hot symbols");
            assertEquals(23, probed.get("gradientNorms").size());
            JsonNode continued = run("lab", "copy", "--delay", "3", "--cell", "gru", "--hidden", "12", "--steps", "2", "--eval-every", "1",
                    "--held-out", "20", "--progress", "none", "--weights", downloaded.toString(), "--json").json();
            assertEquals(downloaded.toString(), continued.get("weights").asText(), "a lab run goes on from the download");
            assertEquals(2, continued.get("evaluations").size());
        }
    }

    @Test
    void badOptionsAreOneLine() {
        CharModelCommandsTest.Outcome port = run("playground", "--port", "70000");
        assertEquals(2, port.exitCode());
        assertTrue(port.err().contains("--port is 70000, expected 0 to 65535"), port.err());
        CharModelCommandsTest.Outcome host = run("playground", "--host", "no-such-host.invalid");
        assertEquals(2, host.exitCode());
        assertTrue(host.err().contains("--host is 'no-such-host.invalid', which does not resolve to an address"), host.err());
        CharModelCommandsTest.Outcome both = run("flow", "--weights", "w.safetensors", "--cell", "gru");
        assertEquals(2, both.exitCode());
        assertTrue(both.err().contains("--cell describes a fresh stack; --weights has its own"), both.err());
        CharModelCommandsTest.Outcome missing = run("flow", "--weights", "no-such.safetensors");
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("--weights no-such.safetensors does not exist"), missing.err());
    }
}
