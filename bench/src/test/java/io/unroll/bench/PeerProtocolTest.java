package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The line protocol: what a peer's answers parse to, and every way an answer can be wrong. */
class PeerProtocolTest {

    @Test
    void aRequestIsOneLineAndReadsBackEqual() {
        PeerProtocol.Request r = PeerProtocol.Request.train("lstm", 256, 32, 100, 256, 64, 1, Timing.training());
        String line = PeerProtocol.encode(r);
        assertFalse(line.contains("\n"));
        assertTrue(line.contains("\"op\":\"train\"") && line.contains("\"warmupMinSeconds\""), line);
        assertFalse(line.contains("threads"), "absent fields are left out: " + line);
        assertEquals(r, PeerProtocol.decodeRequest(line));
    }

    @Test
    void aLabRequestNamesItsDataFileAndReadsBackEqual() {
        PeerProtocol.Request r = PeerProtocol.Request.lab("gru", 128, 64, 40, 10, 10, 1, Timing.training(), "/tmp/lab.safetensors");
        String line = PeerProtocol.encode(r);
        assertTrue(line.contains("\"op\":\"lab\"") && line.contains("\"data\":\"/tmp/lab.safetensors\"")
                && line.contains("\"classes\":10") && line.contains("\"target\":\"class_every_step\""), line);
        assertFalse(line.contains("outputs"), line);
        assertEquals(r, PeerProtocol.decodeRequest(line));
        PeerProtocol.Request real = PeerProtocol.Request.labReal("lstm", 128, 64, 100, 2, 1, 1, Timing.training(), "/tmp/lab.safetensors");
        String realLine = PeerProtocol.encode(real);
        assertTrue(realLine.contains("\"input\":2") && realLine.contains("\"outputs\":1")
                && realLine.contains("\"target\":\"real_at_last_step\""), realLine);
        assertFalse(realLine.contains("classes"), "a real target has no classes: " + realLine);
        assertEquals(real, PeerProtocol.decodeRequest(realLine));
        assertFalse(PeerProtocol.encode(PeerProtocol.Request.train("lstm", 8, 2, 4, 8, 64, 1, Timing.training())).contains("data"),
                "the other requests name no file");
    }

    @Test
    void aMeasurementAnswerParsesToItsSamplesAndStatistics() {
        Measurement m = PeerProtocol.parseMeasurement("peer", "{\"ok\": true, \"op\": \"train\", \"samples\": [3e6, 1e6, 2e6],"
                + " \"iterationsPerRun\": 1, \"warmupIterations\": 12, \"warmupSeconds\": 1.5}");
        assertArrayEquals(new double[] {3e6, 1e6, 2e6}, m.samples());
        assertEquals(2e6, m.medianNanos());
        assertEquals(12, m.warmupIterations());
        assertEquals(1.5, m.warmupSeconds());
    }

    @Test
    void theJavaWorkersAnswerIsWhatTheParserReads() {
        Measurement m = new Measurement(new double[] {5, 4}, Stats.of(new double[] {5, 4}), 100, 7, 0.25);
        Measurement back = PeerProtocol.parseMeasurement("peer", PeerProtocol.encodeMeasurement("stream", m));
        assertArrayEquals(m.samples(), back.samples());
        assertEquals(100, back.iterationsPerRun());
        assertEquals(7, back.warmupIterations());
    }

    @Test
    void aFailedRequestCarriesThePeersError() {
        PeerException e = assertThrows(PeerException.class, () -> PeerProtocol.parseMeasurement("the PyTorch peer",
                "{\"ok\": false, \"error\": \"ValueError: unknown cell 'x'\"}"));
        assertEquals("the PyTorch peer failed: ValueError: unknown cell 'x'", e.getMessage());
    }

    @Test
    void malformedAnswersAreNamedWithTheLine() {
        assertTrue(assertThrows(PeerException.class, () -> PeerProtocol.parseMeasurement("p", "Traceback (most recent call last):"))
                .getMessage().contains("not JSON: Traceback"));
        assertTrue(assertThrows(PeerException.class, () -> PeerProtocol.parseMeasurement("p", "[1, 2]"))
                .getMessage().contains("not a JSON object"));
        assertTrue(assertThrows(PeerException.class, () -> PeerProtocol.parseMeasurement("p", "{\"ok\": true}"))
                .getMessage().contains("without samples"));
        assertTrue(assertThrows(PeerException.class, () -> PeerProtocol.parseMeasurement("p", "{\"ok\": true, \"samples\": [1, -2]}"))
                .getMessage().contains("not a positive number"));
        assertTrue(assertThrows(PeerException.class, () -> PeerProtocol.parseMeasurement("p", null))
                .getMessage().contains("closed its output"));
    }

    @Test
    void helloKeepsThePeersFieldsInOrder() {
        Map<String, Object> info = PeerProtocol.parseHello("p",
                "{\"ok\": true, \"op\": \"hello\", \"engine\": \"pytorch\", \"threads\": 2, \"blas\": \"libopenblasp\"}");
        assertEquals(Map.of("engine", "pytorch", "threads", 2, "blas", "libopenblasp"), info);
        assertEquals("engine", info.keySet().iterator().next());
    }
}
