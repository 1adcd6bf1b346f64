package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting peers: a missing Python or PyTorch is a one-line error saying what to install; the
 * one-thread child JVM answers the protocol.
 */
class PeersTest {

    @Test
    void aMissingPythonIsOneLineSayingWhatToInstall() {
        PeerException e = assertThrows(PeerException.class, () -> PythonPeer.start("/nonexistent/python3", 2));
        assertEquals("--vs pytorch needs Python 3 with PyTorch, but '/nonexistent/python3' was not found; "
                + PythonPeer.INSTALL_HINT + ", or name another Python with --python", e.getMessage());
        PeerException onPath = assertThrows(PeerException.class, () -> PythonPeer.start("no-such-python-here", 2));
        assertTrue(onPath.getMessage().contains("was not found on the PATH"), onPath.getMessage());
    }

    @Test
    void aPythonWithoutTorchIsOneLineSayingWhatToInstall(@TempDir Path dir) throws Exception {
        // what pytorch_bench.py prints when `import torch` fails
        Path python = dir.resolve("python3");
        Files.writeString(python, "#!/bin/sh\necho \"pytorch_bench: cannot import torch: No module named 'torch'\" >&2\nexit 3\n");
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwx------"));
        PeerException e = assertThrows(PeerException.class, () -> PythonPeer.start(python.toString(), 2));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("--vs pytorch needs PyTorch for " + python), e.getMessage());
        assertTrue(e.getMessage().contains("No module named 'torch'"), e.getMessage());
        assertTrue(e.getMessage().endsWith(PythonPeer.INSTALL_HINT), e.getMessage());
    }

    @Test
    void aPeerThatDiesMidRunIsReportedWithItsExitCodeAndStderr(@TempDir Path dir) throws Exception {
        // answers the hello, then dies on the first measurement
        Path python = dir.resolve("python3");
        Files.writeString(python, "#!/bin/sh\nread line\necho '{\"ok\": true, \"op\": \"hello\", \"threads\": 2}'\n"
                + "read line\necho 'Segmentation fault' >&2\nexit 139\n");
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwx------"));
        PythonPeer.Started peer = PythonPeer.start(python.toString(), 2);
        try {
            assertEquals(2, peer.info().get("threads"));
            PeerException e = assertThrows(PeerException.class, () -> peer.process().measure(
                    PeerProtocol.Request.stream("gru", 8, 8, 1, Timing.quickStreaming())));
            assertEquals("the PyTorch peer exited while measuring stream gru H=8 with exit code 139: Segmentation fault",
                    e.getMessage());
        } finally {
            peer.process().close();
        }
    }

    @Test
    void thePyTorchPeerTimesThePlaygroundsProbeOfEveryCell() {
        PythonPeer.Started peer = PythonPeer.start(PythonPeer.defaultPython(), 1);
        try {
            Timing timing = new Timing(0, 0.2, 1, 2, 1, 0, 0, 2, 2);
            for (String cell : new String[] {"rnn_tanh", "lstm", "gru"}) {
                Measurement m = peer.process().measure(PeerProtocol.Request.probe(cell, 4, 5, 1, timing));
                assertEquals(2, m.samples().length, cell);
                assertTrue(m.medianNanos() > 0, cell);
            }
            PeerException e = assertThrows(PeerException.class, () -> peer.process().measure(
                    PeerProtocol.Request.probe("elman", 4, 5, 1, timing)));
            assertTrue(e.getMessage().contains("unknown cell 'elman'"), e.getMessage());
        } finally {
            peer.process().close();
        }
    }

    @Test
    void theOneThreadJvmMeasuresARowOverTheProtocol() {
        JvmPeer.Started jvm = JvmPeer.start(1);
        try {
            assertEquals("unroll", jvm.info().get("engine"));
            assertEquals("1", jvm.info().get("threadsProperty"));
            assertEquals(1, jvm.info().get("kernelThreads"));
            Timing timing = new Timing(0, 0.2, 1, 2, 1, 0, 0, 2, 2);
            Measurement m = jvm.process().measure(PeerProtocol.Request.train("gru", 8, 2, 3, 8, 4, 1, timing));
            assertEquals(2, m.samples().length);
            assertTrue(m.medianNanos() > 0);
            PeerException e = assertThrows(PeerException.class, () -> jvm.process().measure(
                    PeerProtocol.Request.stream("elman", 8, 8, 1, timing)));
            assertTrue(e.getMessage().contains("unknown cell 'elman'"), e.getMessage());
        } finally {
            jvm.process().close();
        }
    }
}
