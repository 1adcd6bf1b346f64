package io.unroll.kernel;

/**
 * The system properties that choose the kernels, read once when {@link Kernels} and
 * {@link Parallel} initialise: {@value #KERNELS} ({@code simd}, the default, or {@code scalar}) and
 * {@value #THREADS} (a whole number of at least 1; unset, one per processor). The parsing lives
 * here, apart from those classes, so that a program can check a value, or set the property, without
 * initialising the kernels. A value the kernels cannot use is an {@link IllegalArgumentException}
 * that names the property, its value and what it takes.
 */
public final class KernelProperties {
    /** The property choosing the implementation. */
    public static final String KERNELS = "unroll.kernels";
    /** The property setting the threads a big kernel call is split over, the caller included. */
    public static final String THREADS = "unroll.threads";

    private KernelProperties() {}

    /**
     * Whether a {@value #KERNELS} value selects the SIMD kernels ({@code null}: unset, yes).
     *
     * @throws IllegalArgumentException for anything but simd or scalar (any case, spaces around)
     */
    public static boolean simd(String value) {
        String v = value == null ? "simd" : value.trim();
        if (v.equalsIgnoreCase("simd")) {
            return true;
        }
        if (v.equalsIgnoreCase("scalar")) {
            return false;
        }
        throw new IllegalArgumentException("system property " + KERNELS + " is '" + value + "', expected simd or scalar"
                + " (unset means simd); the likely cause is -D" + KERNELS + "=" + value + " among the JVM options");
    }

    /**
     * The thread count a {@value #THREADS} value asks for ({@code null}: unset, one per available processor).
     *
     * @throws IllegalArgumentException for anything but a whole number of at least 1
     */
    public static int threads(String value) {
        if (value == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted values
        }
        throw new IllegalArgumentException("system property " + THREADS + " is '" + value + "', expected a whole number >= 1"
                + " (the kernel threads, the caller included; unset means one per processor); the likely cause is -D"
                + THREADS + "=" + value + " among the JVM options");
    }
}
