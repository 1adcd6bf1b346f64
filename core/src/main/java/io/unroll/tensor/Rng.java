package io.unroll.tensor;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A seeded source of random numbers, in one of two modes.
 *
 * <ul>
 *   <li>{@code "numpy"} ({@link #numpy(long)}) reproduces NumPy's legacy global stream bit for bit:
 *       after {@code np.random.seed(s)}, {@link #nextDouble()} is {@code np.random.random_sample()},
 *       {@link #nextGaussian()} is {@code np.random.randn()}, {@link #nextUniform} is
 *       {@code np.random.uniform(lo, hi)} and {@link #nextInt(int)} is {@code np.random.randint(n)}, and
 *       {@code fillGaussian(w, 0, rows * cols, scale)} gives
 *       {@code (np.random.randn(rows, cols) * scale).astype(np.float32)}. This lets an experiment start
 *       from exactly the weights of a NumPy script.
 *   <li>{@code "default"} ({@link #seeded(long)}) is a fast SplitMix64 stream for everything else;
 *       every long is a valid seed. {@link #seeded(long, long)} gives numbered independent streams of
 *       one seed.
 * </ul>
 *
 * <p><b>numpy mode.</b> MT19937 (M. Matsumoto and T. Nishimura, "Mersenne Twister: a
 * 623-dimensionally equidistributed uniform pseudo-random number generator", ACM Transactions on
 * Modeling and Computer Simulation 8(1), 1998), seeded as {@code np.random.seed} seeds it
 * ({@code init_genrand}: {@code key[0] = s}, {@code key[i] = 1812433253 * (key[i-1] ^ (key[i-1] >>> 30)) + i}
 * mod 2<sup>32</sup>, so the seed must lie in [0, 2<sup>32</sup> - 1]). NumPy's legacy
 * {@code RandomState} (numpy/random/src/legacy/legacy-distributions.c) builds on it:
 * <pre>
 *   random_sample = ((a &gt;&gt;&gt; 5) * 67108864.0 + (b &gt;&gt;&gt; 6)) / 9007199254740992.0   (a, b two 32-bit outputs: 53 bits)
 *   randn: the polar method of Marsaglia and Bray (1964):
 *          repeat x1 = 2u1 - 1, x2 = 2u2 - 1, r2 = x1^2 + x2^2  until 0 &lt; r2 &lt; 1
 *          f = sqrt(-2 ln(r2) / r2); return f*x2 and keep f*x1 for the next call (has_gauss)
 *   uniform(lo, hi) = lo + (hi - lo) * random_sample
 *   randint(n)      = masked rejection: v = next32 &amp; mask until v &lt;= n - 1 (mask = 2^k - 1 &gt;= n - 1)
 * </pre>
 * Random samples, uniforms and randint agree exactly. Gaussians agree to the last bit wherever
 * {@link Math#log} and the C library's {@code log} round alike: 3996 of the 4000 values in the test
 * fixture (glibc 2.36, JDK 17 on x86-64); the other four differ by 5.6e-17. {@code Math.log} matches
 * glibc better than {@code StrictMath.log} (3880 of 4000); the price is that the JVM may round it
 * differently on another platform, so gaussians can differ in the last bit between platforms.
 *
 * <p><b>default mode.</b> SplitMix64 (G. L. Steele, D. Lea, C. H. Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014): the sequence of {@link #nextLong()} and
 * {@link #nextDouble()} equals that of {@code new java.util.SplittableRandom(seed)}; gaussians use
 * the same polar method as numpy mode.
 *
 * <p>{@link #saveState()} captures the whole state (for numpy mode the 624-word key, the position
 * and the cached gaussian), so {@link #restoreState(byte[])} continues the identical stream, for
 * example when a training run resumes from a checkpoint. An {@code Rng} is not thread-safe; give
 * each thread its own.
 */
public abstract class Rng {

    /** The valid values of {@code mode} for {@link #create(String, long)}. */
    public static final List<String> MODES = List.of("default", "numpy");

    private static final int MAGIC = 0x554e5247; // "UNRG"
    private static final byte VERSION = 1;

    /** The second value of the last polar pair, returned by the next {@link #nextGaussian()} (NumPy's has_gauss). */
    private boolean hasGauss;
    private double gauss;

    private Rng() {}

    /** NumPy's legacy stream after {@code np.random.seed(seed)}; {@code seed} must be in [0, 2^32 - 1]. */
    public static Rng numpy(long seed) {
        if (seed < 0 || seed > 0xffffffffL) {
            throw new IllegalArgumentException("numpy seed is " + seed
                    + ", expected an integer in [0, 4294967295] (np.random.seed accepts 32-bit unsigned seeds)");
        }
        return new MersenneTwister((int) seed);
    }

    /** The default fast stream (SplitMix64); every long is a valid seed. */
    public static Rng seeded(long seed) {
        return new SplitMix(seed);
    }

    /**
     * The default stream numbered {@code stream} of {@code seed}, for data that must be the same
     * whichever order it is asked for in (batch {@code stream} of a generated data set): SplitMix64
     * started at
     * <pre>
     *   mix(mix(seed) ^ (stream · 0x9e3779b97f4a7c15))     (mod 2^64)
     * </pre>
     * where {@code mix} is SplitMix64's output function (Stafford's variant 13, the one
     * {@link #nextLong()} applies). {@code mix} and the multiplication by an odd constant are both
     * one-to-one on 64-bit values, so for one seed distinct streams start at distinct states, and the
     * scrambling puts nearby numbers far apart: two streams of a million values each overlap with a
     * chance of the order of 10<sup>-13</sup>. Every pair of longs is valid.
     */
    public static Rng seeded(long seed, long stream) {
        return new SplitMix(SplitMix.mix(SplitMix.mix(seed) ^ (stream * SplitMix.GOLDEN_GAMMA)));
    }

    /** {@link #seeded} for mode {@code "default"}, {@link #numpy} for mode {@code "numpy"}. */
    public static Rng create(String mode, long seed) {
        if ("default".equals(mode)) {
            return seeded(seed);
        }
        if ("numpy".equals(mode)) {
            return numpy(seed);
        }
        throw new IllegalArgumentException("random stream mode is '" + mode + "', expected one of " + MODES);
    }

    /** {@code "default"} or {@code "numpy"}. */
    public abstract String mode();

    /** 64 random bits. */
    public abstract long nextLong();

    /** A uniform double in [0, 1) with 53 random bits ({@code np.random.random_sample()} in numpy mode). */
    public abstract double nextDouble();

    /** A uniform int in [0, bound) without bias ({@code np.random.randint(bound)} in numpy mode). */
    public abstract int nextInt(int bound);

    /** A standard normal value ({@code np.random.randn()} in numpy mode): polar method with a cached partner. */
    public final double nextGaussian() {
        if (hasGauss) {
            hasGauss = false;
            double cached = gauss;
            gauss = 0.0;
            return cached;
        }
        double x1;
        double x2;
        double r2;
        do {
            x1 = 2.0 * nextDouble() - 1.0;
            x2 = 2.0 * nextDouble() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        double f = Math.sqrt(-2.0 * Math.log(r2) / r2);
        gauss = f * x1;
        hasGauss = true;
        return f * x2;
    }

    /**
     * A uniform float in [0, 1) with 24 random bits, the float's whole precision:
     * {@code (nextLong() >>> 40) · 2^-24}, exact in float (so never rounded up to 1, which
     * {@code (float) nextDouble()} can be, once in 2^25 draws).
     */
    public final float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** A uniform double {@code lo + (hi - lo) * nextDouble()} ({@code np.random.uniform(lo, hi)} in numpy mode). */
    public final double nextUniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /**
     * Fills {@code dst[offset, offset + length)} with {@code (float) (nextGaussian() * scale)} in
     * index order, i.e. {@code (np.random.randn(rows, cols) * scale).astype(np.float32)} row-major.
     */
    public final void fillGaussian(float[] dst, int offset, int length, double scale) {
        checkRange(dst, offset, length);
        for (int i = offset; i < offset + length; i++) {
            dst[i] = (float) (nextGaussian() * scale);
        }
    }

    /** Fills {@code dst[offset, offset + length)} with {@code (float) nextUniform(lo, hi)} in index order. */
    public final void fillUniform(float[] dst, int offset, int length, double lo, double hi) {
        checkRange(dst, offset, length);
        for (int i = offset; i < offset + length; i++) {
            dst[i] = (float) nextUniform(lo, hi);
        }
    }

    private static void checkRange(float[] dst, int offset, int length) {
        if (dst == null) {
            throw new IllegalArgumentException("destination array is null");
        }
        if (offset < 0 || length < 0 || offset > dst.length - length) {
            throw new IllegalArgumentException("range [" + offset + ", " + ((long) offset + length)
                    + ") does not fit the destination array of length " + dst.length);
        }
    }

    static void checkBound(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound is " + bound + ", expected a positive number");
        }
    }

    /**
     * The complete state as bytes; {@link #restoreState(byte[])} returns an {@code Rng} that
     * continues with exactly the values this one would produce next.
     */
    public final byte[] saveState() {
        ByteBuffer out = ByteBuffer.allocate(stateBytes());
        out.putInt(MAGIC).put(VERSION).put((byte) (this instanceof MersenneTwister ? 1 : 0));
        out.put((byte) (hasGauss ? 1 : 0)).putDouble(gauss);
        putState(out);
        return out.array();
    }

    /** The {@code Rng} whose state {@link #saveState()} captured. */
    public static Rng restoreState(byte[] state) {
        if (state == null) {
            throw new IllegalArgumentException("saved random state is null");
        }
        ByteBuffer in = ByteBuffer.wrap(state);
        try {
            if (in.getInt() != MAGIC) {
                throw new IllegalArgumentException("saved random state does not start with the Rng marker; not a state"
                        + " written by Rng.saveState()");
            }
            byte version = in.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("saved random state has version " + version + ", expected " + VERSION);
            }
            byte mode = in.get();
            byte hasGauss = in.get();
            double gauss = in.getDouble();
            if (hasGauss != 0 && hasGauss != 1 || !Double.isFinite(gauss)) {
                throw new IllegalArgumentException("saved random state has a corrupt gaussian cache");
            }
            Rng rng;
            if (mode == 0) {
                rng = new SplitMix(in.getLong());
            } else if (mode == 1) {
                rng = MersenneTwister.restore(in);
            } else {
                throw new IllegalArgumentException("saved random state has mode byte " + mode + ", expected 0 (default)"
                        + " or 1 (numpy)");
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("saved random state has " + in.remaining() + " bytes too many for"
                        + " mode " + rng.mode());
            }
            rng.hasGauss = hasGauss == 1;
            rng.gauss = gauss;
            return rng;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("saved random state is " + state.length + " bytes, too short; truncated", e);
        }
    }

    private int stateBytes() {
        return 4 + 1 + 1 + 1 + 8 + modeStateBytes();
    }

    abstract int modeStateBytes();

    abstract void putState(ByteBuffer out);

    /** NumPy's legacy generator: MT19937 with {@code init_genrand} seeding. */
    private static final class MersenneTwister extends Rng {
        private static final int N = 624;
        private static final int M = 397;
        private static final int MATRIX_A = 0x9908b0df;
        private static final int UPPER = 0x80000000;
        private static final int LOWER = 0x7fffffff;

        private final int[] key = new int[N];
        private int pos;

        MersenneTwister(int seed) {
            key[0] = seed;
            for (int i = 1; i < N; i++) {
                key[i] = 1812433253 * (key[i - 1] ^ (key[i - 1] >>> 30)) + i;
            }
            pos = N;
        }

        private MersenneTwister() {}

        static MersenneTwister restore(ByteBuffer in) {
            MersenneTwister mt = new MersenneTwister();
            mt.pos = in.getInt();
            if (mt.pos < 0 || mt.pos > N) {
                throw new IllegalArgumentException("saved random state has MT19937 position " + mt.pos
                        + ", expected 0 .. " + N + "; corrupt state");
            }
            for (int i = 0; i < N; i++) {
                mt.key[i] = in.getInt();
            }
            return mt;
        }

        @Override
        public String mode() {
            return "numpy";
        }

        /** The next tempered 32-bit output (as an int holding the unsigned value). */
        private int next32() {
            if (pos == N) {
                twist();
            }
            int y = key[pos++];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            return y;
        }

        /** Regenerates all 624 words in place (the recurrence of the 1998 paper). */
        private void twist() {
            for (int i = 0; i < N; i++) {
                int y = (key[i] & UPPER) | (key[(i + 1) % N] & LOWER);
                key[i] = key[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
            }
            pos = 0;
        }

        @Override
        public long nextLong() {
            return ((long) next32() << 32) | (next32() & 0xffffffffL);
        }

        @Override
        public double nextDouble() {
            int a = next32() >>> 5;
            int b = next32() >>> 6;
            return (a * 67108864.0 + b) / 9007199254740992.0;
        }

        @Override
        public int nextInt(int bound) {
            checkBound(bound);
            int max = bound - 1;
            if (max == 0) {
                return 0; // NumPy draws nothing for a range of one value
            }
            int mask = max;
            mask |= mask >>> 1;
            mask |= mask >>> 2;
            mask |= mask >>> 4;
            mask |= mask >>> 8;
            mask |= mask >>> 16;
            int value;
            do {
                value = next32() & mask;
            } while (value > max); // both non-negative: mask < 2^31
            return value;
        }

        @Override
        int modeStateBytes() {
            return 4 + 4 * N;
        }

        @Override
        void putState(ByteBuffer out) {
            out.putInt(pos);
            for (int k : key) {
                out.putInt(k);
            }
        }
    }

    /** SplitMix64, the generator of {@link java.util.SplittableRandom}, with its state exposed for saving. */
    private static final class SplitMix extends Rng {
        static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

        private long seed;

        SplitMix(long seed) {
            this.seed = seed;
        }

        @Override
        public String mode() {
            return "default";
        }

        @Override
        public long nextLong() {
            return mix(seed += GOLDEN_GAMMA);
        }

        /** SplitMix64's output function: a one-to-one scrambling of 64 bits. */
        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }

        @Override
        public double nextDouble() {
            return (nextLong() >>> 11) * 0x1.0p-53;
        }

        @Override
        public int nextInt(int bound) {
            checkBound(bound);
            // 31 random bits, then java.util.Random's rejection of the incomplete last interval
            int r = (int) (nextLong() >>> 33);
            int m = bound - 1;
            if ((bound & m) == 0) {
                return (int) ((bound * (long) r) >> 31);
            }
            for (int u = r; u - (r = u % bound) + m < 0; u = (int) (nextLong() >>> 33)) {
                // rejected: u fell into the incomplete last interval
            }
            return r;
        }

        @Override
        int modeStateBytes() {
            return 8;
        }

        @Override
        void putState(ByteBuffer out) {
            out.putLong(seed);
        }
    }
}
