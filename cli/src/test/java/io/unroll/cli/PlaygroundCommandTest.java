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
import org.junit.jupiter.api.Test;

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
    void badOptionsAreOneLine() {
        CharModelCommandsTest.Outcome port = run("playground", "--port", "70000");
        assertEquals(2, port.exitCode());
        assertTrue(port.err().contains("--port is 70000, expected 0 to 65535"), port.err());
        CharModelCommandsTest.Outcome host = run("playground", "--host", "no-such-host.invalid");
        assertEquals(2, host.exitCode());
        assertTrue(host.err().contains("--host is 'no-such-host.invalid', which does not resolve to an address"), host.err());
    }
}
