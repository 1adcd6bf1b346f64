package io.unroll.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.unroll.cell.CellType;
import io.unroll.flow.FlowProbe;
import io.unroll.flow.FreshStack;
import io.unroll.init.InitScheme;
import io.unroll.tensor.Rng;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The playground's JSON API against a server on a free port of 127.0.0.1, as curl would use it. */
class PlaygroundApiTest {
    static Playground server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = Playground.start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(server.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(server.uri().resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return ApiJson.MAPPER.readTree(r.body());
    }

    @Test
    void aProbeAnswersTheFiguresOfTheSameFreshStack() throws Exception {
        HttpResponse<String> r = get("/api/probe?cell=gru&length=12&hidden=5&layers=2&init=orthogonal&scale=0.7&seed=3");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        FreshStack stack = new FreshStack(CellType.GRU, 1, 5, 2, 12, InitScheme.ORTHOGONAL, 0.7, null, null);
        FreshStack.Drawn d = stack.draw(Rng.create("default", 3));
        JsonNode expected = ApiJson.MAPPER.readTree(ApiJson.MAPPER.writeValueAsString(
                FlowProbe.of(d.stack(), d.input(), null).document(stack.describe("default", 3))));
        assertEquals(expected, json(r));
        assertEquals(12, json(r).get("gradientNorms").size());
        assertEquals(2, json(r).get("gradientNormsByLayer").size());
    }

    @Test
    void aProbeWithoutJacobiansIsTheSameDocumentWithoutTheirEntries() throws Exception {
        JsonNode full = json(get("/api/probe?cell=gru&length=20&hidden=8"));
        JsonNode quick = json(get("/api/probe?cell=gru&length=20&hidden=8&jacobians=false"));
        com.fasterxml.jackson.databind.node.ObjectNode rest = full.deepCopy();
        rest.remove(List.of("jacobianLayer", "jacobianNorms", "jacobianFrobeniusNorms", "jacobianIterations", "jacobianConverged",
                "jacobianDirection"));
        assertEquals(rest, quick);
        assertTrue(full.has("jacobianNorms"));
    }

    @Test
    void aWholePictureAfterItsFirstPictureIsTheSameAsAFreshOne() throws Exception {
        String q = "/api/probe?cell=lstm&length=15&hidden=6&layers=2&init=xavier&seed=21";
        assertEquals(200, get(q + "&jacobians=false").statusCode());
        JsonNode afterFirst = json(get(q));
        FreshStack stack = new FreshStack(CellType.LSTM, 1, 6, 2, 15, InitScheme.XAVIER, 1.0, null, null);
        FreshStack.Drawn d = stack.draw(Rng.create("default", 21));
        JsonNode fresh = ApiJson.MAPPER.readTree(ApiJson.MAPPER.writeValueAsString(
                FlowProbe.of(d.stack(), d.input(), null).document(stack.describe("default", 21))));
        assertEquals(fresh, afterFirst);
    }

    @Test
    void aFirstPictureIsKeptAndTheLeastRecentlyUsedDropped() {
        FirstPictures kept = new FirstPictures();
        ProbeRequest quick = ProbeRequest.parse(Map.of("cell", List.of("gru"), "length", List.of("9"), "hidden", List.of("4"),
                "seed", List.of("5"), "jacobians", List.of("false")));
        quick.answer(kept);
        assertTrue(kept.get(quick.stack(), 5) != null, "the answer keeps its first picture");
        assertEquals(null, kept.get(quick.stack(), 6), "another seed is another draw");

        FirstPictures lru = new FirstPictures();
        FreshStack stack = new FreshStack(CellType.RNN_TANH, 1, 4, 1, 5, InitScheme.GAUSSIAN, 0.9, null, null);
        for (long seed = 0; seed <= FirstPictures.CAPACITY; seed++) {
            if (seed == FirstPictures.CAPACITY) {
                assertTrue(lru.get(stack, 0) != null, "seed 0 is used again just before the capacity is passed");
            }
            FreshStack.Drawn d = stack.draw(Rng.create("default", seed));
            lru.put(stack, seed, FlowProbe.withoutJacobians(d.stack(), d.input(), null));
        }
        assertEquals(FirstPictures.CAPACITY, lru.size());
        assertTrue(lru.get(stack, 0) != null, "the most recently used stays");
        assertEquals(null, lru.get(stack, 1), "the least recently used is dropped");
        assertEquals(null, lru.get(new FreshStack(CellType.RNN_TANH, 1, 4, 1, 6, InitScheme.GAUSSIAN, 0.9, null, null), 2),
                "another length is another configuration");
    }

    @Test
    void aProbeWithoutParametersIsUnrollFlowsDefault() throws Exception {
        JsonNode figures = json(get("/api/probe"));
        assertEquals("rnn_tanh", figures.get("cell").asText());
        assertEquals(80, figures.get("length").asInt());
        assertEquals(64, figures.get("hidden").asInt());
        assertEquals(0.9, figures.get("scale").asDouble(), 0.0);
        assertEquals(7, figures.get("seed").asInt());
    }

    @Test
    void badProbesAreA400NamingTheField() throws Exception {
        String[][] cases = {
            {"hidden=999", "hidden", "hidden is 999, expected 1 to 256"},
            {"length=0", "length", "length is 0, expected 1 to 500"},
            {"length=501", "length", "length is 501, expected 1 to 500"},
            {"layers=4", "layers", "layers is 4, expected 1 to 3"},
            {"hidden=abc", "hidden", "hidden is 'abc', expected a whole number"},
            {"scale=NaN", "scale", "scale is 'NaN', expected a finite number"},
            {"scale=11", "scale", "scale is 11.0, expected a number in (0, 10]"},
            {"spectral-radius=0", "spectral-radius", "spectral radius is 0.0, expected a number in (0, 10]"},
            {"scale=1&spectral-radius=1", "spectral-radius", "scale and spectral-radius both set the size of W_hh"},
            {"cell=elman", "cell", "unknown cell"},
            {"cell=lstm&activation=relu", "activation", "activation relu does not apply to cell lstm"},
            {"init=he", "init", "unknown init 'he'"},
            {"forget-bias=1", "forget-bias", "forget bias is 1.0 for a rnn_tanh"},
            {"seed=x", "seed", "seed is 'x', expected a whole number"},
            {"hidden=2&hidden=3", "hidden", "hidden is given 2 times, expected once"},
            {"colour=red", "colour", "colour is not a field of a probe"},
            {"jacobians=maybe", "jacobians", "jacobians is 'maybe', expected true or false"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = get("/api/probe?" + c[0]);
            assertEquals(400, r.statusCode(), c[0] + ": " + r.body());
            JsonNode body = json(r);
            assertEquals(c[1], body.get("field").asText(), c[0] + ": " + r.body());
            assertTrue(body.get("error").asText().startsWith(c[2]), c[0] + ": " + r.body());
        }
    }

    @Test
    void whatIsNotTheApiIsA404AndABodyTooLargeA400() throws Exception {
        HttpResponse<String> missing = get("/api/nothing");
        assertEquals(404, missing.statusCode());
        assertEquals("GET /api/nothing is not part of the API (docs/playground.md)", json(missing).get("error").asText());
        HttpResponse<String> huge = post("/api/train", "{\"task\": \"" + "x".repeat(100_000) + "\"}");
        assertEquals(400, huge.statusCode(), huge.body());
        assertEquals("body", json(huge).get("field").asText(), huge.body());
        assertTrue(json(huge).get("error").asText().startsWith("the request body is larger than 16384 bytes"), huge.body());
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>Unroll playground"), page.body());
        assertEquals(200, get("/vendor/uPlot.js").statusCode());
        assertEquals(200, get("/vendor/uPlot.css").statusCode());
        assertTrue(get("/vendor/uPlot.LICENSE").body().contains("MIT"));
    }

    @Test
    void theTasksAreListedWithTheirSettings() throws Exception {
        JsonNode tasks = json(get("/api/tasks"));
        List<String> names = new ArrayList<>();
        tasks.forEach(t -> names.add(t.get("task").asText()));
        assertEquals(List.of("copy", "adding", "signal"), names);
        assertEquals(20, tasks.get(0).get("settings").get("delay").asInt());
    }

    @Test
    void badTrainingRequestsAreA400NamingTheField() throws Exception {
        String[][] cases = {
            {"not json", null, "the body is not JSON"},
            {"[1]", null, "the body must be a JSON object"},
            {"{}", "task", "task is missing"},
            {"{\"task\": \"sort\"}", "task", "task is 'sort', expected copy, adding or signal"},
            {"{\"task\": \"copy\", \"delay\": 0}", "delay", "delay is 0, expected 1 to 480"},
            {"{\"task\": \"adding\", \"length\": 501}", "length", "length is 501, expected 1 to 500"},
            {"{\"task\": \"adding\", \"delay\": 3}", "delay", "delay is not a setting of the adding task"},
            {"{\"task\": \"adding\", \"hidden\": 1.5}", "hidden", "hidden is 1.5, expected a whole number"},
            {"{\"task\": \"adding\", \"hidden\": 257}", "hidden", "hidden is 257, expected 1 to 256"},
            {"{\"task\": \"adding\", \"lr\": -1}", "lr", "lr is -1.0, expected a number in (0, 1]"},
            {"{\"task\": \"adding\", \"cell\": 3}", "cell", "cell is 3, expected a string"},
            {"{\"task\": \"adding\", \"steps\": 100001}", "steps", "steps is 100001, expected 1 to 100000"},
            {"{\"task\": \"adding\", \"batch\": 3}", "batch", "batch is not a field of a training session"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post("/api/train", c[0]);
            assertEquals(400, r.statusCode(), c[0] + ": " + r.body());
            JsonNode body = json(r);
            assertEquals(c[1], body.has("field") ? body.get("field").asText() : null, c[0] + ": " + r.body());
            assertTrue(body.get("error").asText().startsWith(c[2]), c[0] + ": " + r.body());
        }
        assertEquals(404, get("/api/train/999").statusCode());
        assertEquals("id", json(get("/api/train/999")).get("field").asText());
    }

    @Test
    void aSessionTrainsPausesResumesGivesItsWeightsAndStops() throws Exception {
        HttpResponse<String> created = post("/api/train", "{\"task\": \"adding\", \"cell\": \"gru\", \"length\": 10, \"hidden\": 8}");
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).get("id").asText();
        try {
            JsonNode now = waitFor(id, s -> s.get("step").asLong() >= 150 && s.get("heldOut").isObject());
            assertEquals("running", now.get("state").asText());
            assertEquals(1.0 / 6, now.get("baseline").asDouble(), 1e-15);
            assertEquals(10, now.get("gradientNorms").size(), "the newest sample covers the T = 10 steps");
            assertEquals(0, now.get("heldOut").get("step").asLong() % LiveSession.EVAL_EVERY);

            assertEquals("paused", json(post("/api/train/" + id + "/pause", "")).get("state").asText());
            long paused = waitFor(id, s -> s.get("state").asText().equals("paused")).get("step").asLong();
            Thread.sleep(300);
            long later = json(get("/api/train/" + id)).get("step").asLong();
            assertTrue(later <= paused + 1, "at most the step under way ends after a pause: " + paused + " then " + later);

            HttpResponse<byte[]> weights = HTTP.send(HttpRequest.newBuilder(server.uri().resolve("/api/train/" + id + "/weights"))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, weights.statusCode());
            JsonNode header = safetensorsHeader(weights.body());
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            assertEquals(List.of("__metadata__", "head.bias", "head.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0", "rnn.weight_hh_l0",
                    "rnn.weight_ih_l0"), names.stream().sorted().toList());
            assertEquals("[24,8]", header.get("rnn.weight_hh_l0").get("shape").toString());

            assertEquals("running", json(post("/api/train/" + id + "/resume", "")).get("state").asText());
            waitFor(id, s -> s.get("step").asLong() > later + 20);
        } finally {
            HttpResponse<String> stopped = post("/api/train/" + id + "/stop", "");
            assertEquals("stopped", json(stopped).get("state").asText(), stopped.body());
        }
        assertEquals(404, get("/api/train/" + id).statusCode(), "a stopped session is gone");
    }

    @Test
    void onlyTwoSessionsRunAtOnce() throws Exception {
        List<String> ids = new ArrayList<>();
        try {
            for (int k = 0; k < TrainingSessions.MAX_SESSIONS; k++) {
                HttpResponse<String> r = post("/api/train", "{\"task\": \"copy\", \"delay\": 2, \"hidden\": 4}");
                assertEquals(201, r.statusCode(), r.body());
                ids.add(json(r).get("id").asText());
            }
            HttpResponse<String> third = post("/api/train", "{\"task\": \"copy\", \"delay\": 2, \"hidden\": 4}");
            assertEquals(429, third.statusCode(), third.body());
            assertTrue(json(third).get("error").asText().startsWith("already 2 live training sessions"), third.body());
        } finally {
            for (String id : ids) {
                assertEquals(200, post("/api/train/" + id + "/stop", "").statusCode());
            }
        }
        HttpResponse<String> again = post("/api/train", "{\"task\": \"copy\", \"delay\": 2, \"hidden\": 4}");
        assertEquals(201, again.statusCode(), "a stopped session frees its place: " + again.body());
        post("/api/train/" + json(again).get("id").asText() + "/stop", "");
    }

    @Test
    void aSessionNobodyWatchesEndsAfterTheIdleTimeAndOneWithAStreamLivesOn() throws Exception {
        try (Playground quick = Playground.start("127.0.0.1", 0, 400)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest create = HttpRequest.newBuilder(quick.uri().resolve("/api/train"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\": \"copy\", \"delay\": 2, \"hidden\": 4}")).build();
            String unwatched = ApiJson.MAPPER.readTree(http.send(create, HttpResponse.BodyHandlers.ofString()).body()).get("id").asText();
            String watched = ApiJson.MAPPER.readTree(http.send(create, HttpResponse.BodyHandlers.ofString()).body()).get("id").asText();
            HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(quick.uri().resolve("/api/train/" + watched
                    + "/events")).header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
            java.io.BufferedReader events = new java.io.BufferedReader(new java.io.InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            int updates = 0;
            long quietUntil = System.nanoTime() + 1_500_000_000L; // the unwatched one untouched for 1.5 s, idle after 0.4 s
            while (System.nanoTime() < quietUntil) {
                String line = events.readLine();
                updates += line != null && line.equals("event: update") ? 1 : 0;
            }
            assertEquals(404, http.send(HttpRequest.newBuilder(quick.uri().resolve("/api/train/" + unwatched)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), "the unwatched session ended");
            assertTrue(updates > 0, "the watched one streamed updates meanwhile");
            assertEquals(200, http.send(HttpRequest.newBuilder(quick.uri().resolve("/api/train/" + watched)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), "the watched session lives on");
            stream.body().close();
        }
    }

    interface Check {
        boolean test(JsonNode s);
    }

    /** Polls a session until {@code done} holds of its snapshot; fails after 60 s. */
    static JsonNode waitFor(String id, Check done) throws Exception {
        long end = System.nanoTime() + 60_000_000_000L;
        JsonNode s;
        do {
            HttpResponse<String> r = get("/api/train/" + id);
            assertEquals(200, r.statusCode(), r.body());
            s = json(r);
            if (done.test(s)) {
                return s;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < end);
        throw new AssertionError("session " + id + " never reached the state waited for; last: " + s);
    }

    static JsonNode safetensorsHeader(byte[] file) throws IOException {
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return ApiJson.MAPPER.readTree(new String(file, 8, (int) n, StandardCharsets.UTF_8));
    }
}
