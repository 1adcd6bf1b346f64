package io.unroll.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.io.Safetensors;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RngTest {

    private static final long[] SEEDS = {0, 42, 7, 4294967295L};

    /** NumPy's values; written by tools/reference/make_numpy_reference.py. A missing file fails. */
    private static Safetensors.Contents numpy;

    @BeforeAll
    static void loadFixture() throws Exception {
        URL url = RngTest.class.getResource("/reference/numpy_rng.safetensors");
        assertNotNull(url, "missing fixture core/src/test/resources/reference/numpy_rng.safetensors;"
                + " regenerate it with /usr/bin/python3 tools/reference/make_numpy_reference.py");
        numpy = Safetensors.read(Path.of(url.toURI()));
    }

    // ------------------------------------------------------------------ agreement with NumPy

    @Test
    void randomSampleMatchesNumpyExactly() throws IOException {
        for (long seed : SEEDS) {
            double[] expected = numpy.doubles("seed_" + seed + ".random_sample");
            assertEquals(1000, expected.length);
            Rng rng = Rng.numpy(seed);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(rng.nextDouble()),
                        "seed " + seed + ", random_sample #" + i);
            }
        }
    }

    @Test
    void randnMatchesNumpy() throws IOException {
        int exact = 0;
        int total = 0;
        for (long seed : SEEDS) {
            double[] expected = numpy.doubles("seed_" + seed + ".randn");
            Rng rng = Rng.numpy(seed);
            for (int i = 0; i < expected.length; i++) {
                double actual = rng.nextGaussian();
                assertEquals(expected[i], actual, 1e-15, "seed " + seed + ", randn #" + i);
                exact += expected[i] == actual ? 1 : 0;
                total++;
            }
        }
        // the tolerance is for a last-bit difference of log; nearly all values must be identical
        assertTrue(exact >= total * 0.99, exact + " of " + total + " gaussians bit-identical");
    }

    @Test
    void interleavedGaussiansAndSamplesShareTheCachedPairLikeNumpy() throws IOException {
        long[] kinds = numpy.longs("interleaved_kind");
        assertTrue(countOf(kinds, 1) > 100 && countOf(kinds, 0) > 100, "the pattern mixes both calls");
        for (long seed : SEEDS) {
            double[] expected = numpy.doubles("seed_" + seed + ".interleaved");
            Rng rng = Rng.numpy(seed);
            for (int i = 0; i < expected.length; i++) {
                if (kinds[i] == 1) {
                    assertEquals(expected[i], rng.nextGaussian(), 1e-15, "seed " + seed + ", randn at #" + i);
                } else {
                    assertEquals(expected[i], rng.nextDouble(), 0.0, "seed " + seed + ", random_sample at #" + i);
                }
            }
        }
    }

    @Test
    void uniformRandintAndFloatMatricesMatchNumpy() throws IOException {
        for (long seed : SEEDS) {
            String p = "seed_" + seed + ".";
            Rng rng = Rng.numpy(seed);
            for (double u : numpy.doubles(p + "uniform_m2_3")) {
                assertEquals(u, rng.nextUniform(-2.0, 3.0), 0.0, "seed " + seed + " uniform");
            }
            for (String n : new String[] {"10", "1000"}) {
                long[] expected = numpy.longs(p + "randint_" + n);
                Rng r = Rng.numpy(seed);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], r.nextInt(Integer.parseInt(n)), "seed " + seed + " randint(" + n + ") #" + i);
                }
            }
            // (np.random.randn(8, 5) * 0.01).astype(np.float32), row-major
            String name = p + "randn_8x5_times_0.01_f32";
            assertArrayEquals(new int[] {8, 5}, numpy.shape(name));
            float[] expected = numpy.floats(name);
            float[] actual = new float[expected.length + 3];
            Rng m = Rng.numpy(seed);
            m.fillGaussian(actual, 2, expected.length, 0.01);
            assertEquals(0f, actual[0]);
            assertEquals(0f, actual[1]);
            assertEquals(0f, actual[actual.length - 1]);
            for (int i = 0; i < expected.length; i++) {
                assertTrue(Math.abs(expected[i] - actual[i + 2]) <= Math.ulp(expected[i]),
                        "seed " + seed + " matrix #" + i + ": " + expected[i] + " vs " + actual[i + 2]);
            }
        }
    }

    @Test
    void fixtureDescribesItsProcedure() {
        assertEquals("0,42,7,4294967295", numpy.metadata().get("seeds"));
        assertTrue(numpy.metadata().get("procedure").contains("np.random.seed"));
    }

    // ------------------------------------------------------------------ default mode

    @Test
    void defaultModeIsSplitMix64LikeSplittableRandom() {
        for (long seed : new long[] {0, 1, -1, Long.MIN_VALUE, 123456789L}) {
            SplittableRandom reference = new SplittableRandom(seed);
            Rng rng = Rng.seeded(seed);
            for (int i = 0; i < 100; i++) {
                assertEquals(reference.nextLong(), rng.nextLong());
                assertEquals(reference.nextDouble(), rng.nextDouble(), 0.0);
            }
        }
    }

    @Test
    void defaultModeDrawsHaveTheRightDistribution() {
        Rng rng = Rng.seeded(2024);
        int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            sum += g;
            sumSq += g * g;
        }
        assertEquals(0.0, sum / n, 0.01);
        assertEquals(1.0, sumSq / n - (sum / n) * (sum / n), 0.01);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) {
            counts[rng.nextInt(7)]++;
        }
        for (int c : counts) {
            assertEquals(10_000, c, 400);
        }
        for (int i = 0; i < 1000; i++) {
            double u = rng.nextUniform(-0.5, 0.25);
            assertTrue(u >= -0.5 && u < 0.25, "uniform " + u);
            assertTrue(rng.nextInt(1 << 20) < 1 << 20);
            assertEquals(0, rng.nextInt(1));
        }
    }

    @Test
    void numberedStreamsAreReproducibleAndDistinct() {
        long[] first = new long[1000];
        Rng stream = Rng.seeded(42, 7);
        for (int i = 0; i < first.length; i++) {
            first[i] = stream.nextLong();
        }
        Rng again = Rng.seeded(42, 7);
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i], again.nextLong(), "stream (42, 7) value #" + i);
        }
        // the documented start: SplitMix64 (= SplittableRandom) from mix(mix(seed) ^ stream * gamma)
        long gamma = 0x9e3779b97f4a7c15L;
        SplittableRandom reference = new SplittableRandom(mix(mix(42) ^ 7 * gamma));
        assertEquals(reference.nextLong(), Rng.seeded(42, 7).nextLong());
        // neighbouring streams, the same stream of a neighbouring seed and the plain seed share no value
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (long v : first) {
            seen.add(v);
        }
        for (Rng other : new Rng[] {Rng.seeded(42, 6), Rng.seeded(42, 8), Rng.seeded(43, 7), Rng.seeded(42)}) {
            for (int i = 0; i < first.length; i++) {
                long v = other.nextLong();
                assertTrue(!seen.contains(v), "value #" + i + " of another stream also appears in stream (42, 7)");
            }
        }
    }

    /** SplitMix64's output function, written out here so the test does not read it from Rng. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Test
    void nextFloatIsTheTop24BitsInBothModes() {
        for (Rng rng : new Rng[] {Rng.seeded(5), Rng.numpy(5)}) {
            Rng twin = Rng.restoreState(rng.saveState());
            int n = 100_000;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float f = rng.nextFloat();
                assertEquals((twin.nextLong() >>> 40) / 16777216.0, f, 0.0, rng.mode() + " float #" + i);
                assertTrue(f >= 0f && f < 1f, "float " + f);
                sum += f;
            }
            // the mean of n uniforms has standard error sqrt(1/12 / n) = 0.00091; 5 of them
            assertEquals(0.5, sum / n, 5 * Math.sqrt(1.0 / 12 / n), rng.mode() + " mean");
        }
    }

    @Test
    void createSelectsTheMode() {
        assertEquals("default", Rng.create("default", -5).mode());
        assertEquals("numpy", Rng.create("numpy", 42).mode());
        assertEquals(Rng.numpy(42).nextDouble(), Rng.create("numpy", 42).nextDouble(), 0.0);
        assertEquals(Rng.seeded(-5).nextDouble(), Rng.create("default", -5).nextDouble(), 0.0);
    }

    // ------------------------------------------------------------------ save / restore

    @Test
    void restoredStateContinuesTheIdenticalStreamInBothModes() {
        for (Rng rng : new Rng[] {Rng.numpy(42), Rng.seeded(42)}) {
            rng.nextGaussian(); // leaves the partner cached
            Rng restored = Rng.restoreState(rng.saveState());
            assertEquals(rng.mode(), restored.mode());
            assertSameStream(rng, restored, 5000); // crosses several MT19937 twists
        }
        Rng atTwist = Rng.numpy(7);
        for (int i = 0; i < 312; i++) {
            atTwist.nextDouble(); // exactly 624 outputs: the key is used up, the next call twists
        }
        assertSameStream(atTwist, Rng.restoreState(atTwist.saveState()), 1000);
        Rng fresh = Rng.numpy(4294967295L);
        assertSameStream(fresh, Rng.restoreState(fresh.saveState()), 1000);
    }

    @Test
    void restoredGaussianCacheIsExactlyTheSavedOne() {
        Rng a = Rng.numpy(0);
        a.nextGaussian();
        byte[] state = a.saveState();
        double cached = a.nextGaussian();
        assertEquals(cached, Rng.restoreState(state).nextGaussian(), 0.0);
    }

    private static void assertSameStream(Rng a, Rng b, int n) {
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0 -> assertEquals(a.nextGaussian(), b.nextGaussian(), 0.0, "gaussian " + i);
                case 1 -> assertEquals(a.nextDouble(), b.nextDouble(), 0.0, "double " + i);
                case 2 -> assertEquals(a.nextInt(1000), b.nextInt(1000), "int " + i);
                default -> assertEquals(a.nextLong(), b.nextLong(), "long " + i);
            }
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void rejectsInvalidSeedsAndModes() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> Rng.numpy(-1));
        assertContains(negative, "-1", "[0, 4294967295]");
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> Rng.numpy(1L << 32));
        assertContains(big, "4294967296", "[0, 4294967295]");
        assertThrows(IllegalArgumentException.class, () -> Rng.create("numpy", -3));
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class, () -> Rng.create("torch", 1));
        assertContains(mode, "'torch'", "default", "numpy");
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.create(null, 1)), "'null'", "default");
    }

    @Test
    void rejectsBadArguments() {
        Rng rng = Rng.seeded(1);
        assertContains(assertThrows(IllegalArgumentException.class, () -> rng.nextInt(0)), "bound is 0", "positive");
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.numpy(1).nextInt(-4)), "bound is -4");
        assertContains(assertThrows(IllegalArgumentException.class, () -> rng.fillGaussian(new float[4], 2, 3, 1.0)),
                "[2, 5)", "length 4");
        assertContains(assertThrows(IllegalArgumentException.class, () -> rng.fillUniform(new float[4], -1, 2, 0, 1)),
                "[-1, 1)");
        assertThrows(IllegalArgumentException.class, () -> rng.fillGaussian(null, 0, 0, 1.0));
    }

    @Test
    void rejectsCorruptSavedStates() {
        byte[] good = Rng.numpy(3).saveState();
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.restoreState(null)), "null");
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.restoreState(truncated)), "too short");
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 2);
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.restoreState(longer)), "2 bytes too many");
        byte[] magic = good.clone();
        magic[0] ^= 1;
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.restoreState(magic)), "Rng.saveState()");
        byte[] mode = good.clone();
        mode[5] = 9;
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.restoreState(mode)), "mode byte 9");
        byte[] pos = good.clone();
        pos[15] = 0x7f; // the MT19937 position's high byte
        assertContains(assertThrows(IllegalArgumentException.class, () -> Rng.restoreState(pos)), "position");
    }

    private static int countOf(long[] values, long v) {
        int n = 0;
        for (long x : values) {
            n += x == v ? 1 : 0;
        }
        return n;
    }

    private static void assertContains(Throwable e, String... keywords) {
        for (String k : keywords) {
            assertTrue(e.getMessage().contains(k), "message lacks \"" + k + "\": " + e.getMessage());
        }
    }
}
