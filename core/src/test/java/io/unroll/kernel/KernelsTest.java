package io.unroll.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The facade's choice of implementation: the {@code unroll.kernels} property, read once, and the
 * {@code unroll.threads} property, checked in fresh JVMs since this one has made its choice (and
 * runs with the thread count core/pom.xml sets for the tests).
 */
class KernelsTest {

    @Test
    void defaultIsSimdWithAllProcessorsInAFreshJvm() throws Exception {
        Result r = probe();
        assertEquals(0, r.exit, r.err);
        assertEquals("simd (" + SimdKernels.species() + ") " + Runtime.getRuntime().availableProcessors()
                + " [19.0, 22.0, 43.0, 50.0]", r.out.strip());
    }

    @Test
    void facadeForwardsToTheChosenImplementation() {
        int m = 5, n = 37, k = 19;
        float[] a = new float[m * k], b = new float[n * k];
        for (int i = 0; i < a.length; i++) a[i] = (float) Math.sin(i);
        for (int i = 0; i < b.length; i++) b[i] = (float) Math.cos(i);
        float[] viaFacade = new float[m * n], direct = new float[m * n];
        Kernels.gemmNN(viaFacade, 0, a, 0, b, 0, m, n, k);
        if (Kernels.implementation().equals("scalar")) {
            ScalarKernels.gemmNN(direct, 0, a, 0, b, 0, m, n, k);
        } else {
            SimdGemm.gemmNN(direct, 0, a, 0, b, 0, m, n, k);
        }
        assertTrue(Arrays.equals(direct, viaFacade));
    }

    @Test
    void propertyValues() {
        assertTrue(Kernels.simdFromProperty(null));
        assertTrue(Kernels.simdFromProperty("simd"));
        assertFalse(Kernels.simdFromProperty("scalar"));
        assertFalse(Kernels.simdFromProperty(" Scalar "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.simdFromProperty("avx512"));
        assertEquals("system property unroll.kernels is 'avx512', expected simd or scalar (unset means simd);"
                + " the likely cause is -Dunroll.kernels=avx512 among the JVM options", e.getMessage());
    }

    @Test
    void assertionsCatchOverlappingAndShortArguments() {
        float[] x = new float[10];
        AssertionError overlap = assertThrows(AssertionError.class, () -> Kernels.gemmNN(x, 0, x, 2, new float[4], 0, 2, 2, 2));
        assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
        AssertionError tooShort = assertThrows(AssertionError.class, () -> Kernels.scale(x, 4, 7, 2f));
        assertTrue(tooShort.getMessage().contains("do not fit an array of 10"), tooShort.getMessage());
    }

    @Test
    void scalarChosenInAFreshJvm() throws Exception {
        Result r = probe("-Dunroll.kernels=scalar");
        assertEquals(0, r.exit, r.err);
        assertEquals("scalar 1 [19.0, 22.0, 43.0, 50.0]", r.out.strip());
    }

    @Test
    void threadCountChosenInAFreshJvm() throws Exception {
        Result r = probe("-Dunroll.kernels=simd", "-Dunroll.threads=3");
        assertEquals(0, r.exit, r.err);
        assertEquals("simd (" + SimdKernels.species() + ") 3 [19.0, 22.0, 43.0, 50.0]", r.out.strip());
    }

    @Test
    void invalidChoiceFailsAtInitialisation() throws Exception {
        Result r = probe("-Dunroll.kernels=fast");
        assertNotEquals(0, r.exit);
        assertTrue(r.err.contains("ExceptionInInitializerError"), r.err);
        assertTrue(r.err.contains("IllegalArgumentException: system property unroll.kernels is 'fast', expected simd or scalar"), r.err);
    }

    @Test
    void invalidThreadCountFailsAtInitialisationNamingTheProperty() throws Exception {
        Result r = probe("-Dunroll.kernels=simd", "-Dunroll.threads=abc");
        assertNotEquals(0, r.exit);
        assertTrue(r.err.contains("ExceptionInInitializerError"), r.err);
        assertTrue(r.err.contains("IllegalArgumentException: system property unroll.threads is 'abc', expected a whole number >= 1"),
                r.err);
    }

    /** Prints the facade's choice and a 2 x 2 product; run in a fresh JVM by {@link #probe}. */
    public static final class Probe {
        public static void main(String[] args) {
            float[] c = new float[4];
            Kernels.gemmNN(c, 0, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8}, 0, 2, 2, 2);
            System.out.println(Kernels.implementation() + " " + Kernels.threads() + " " + Arrays.toString(c));
        }
    }

    private record Result(int exit, String out, String err) {}

    private static Result probe(String... properties) throws IOException, InterruptedException, URISyntaxException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.addAll(List.of(properties));
        command.add("-cp");
        command.add(location(Probe.class) + File.pathSeparator + location(Kernels.class));
        command.add(Probe.class.getName());
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private static String location(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
