package io.unroll.bench;

import io.unroll.kernel.Kernels;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.incubator.vector.FloatVector;

/**
 * Where the figures were measured: the machine, the JDK and the flags, since every figure depends
 * on all three.
 *
 * @param cpu           CPU model name ({@code /proc/cpuinfo}), or the architecture elsewhere
 * @param cores         processors available to the JVM
 * @param os            operating system name, version and architecture
 * @param javaVersion   {@code java.version}
 * @param javaVendor    {@code java.vendor}
 * @param vm            {@code java.vm.name} and {@code java.vm.version}
 * @param jvmFlags      the JVM's input arguments
 * @param vectorSpecies the Vector API's preferred float species
 * @param maxHeapBytes  the maximum heap
 * @param kernels       {@link Kernels#implementation()}: which kernels run, e.g. {@code simd (S_512_BIT, 16 floats)}
 * @param kernelThreads {@link Kernels#threads()}: threads a big GEMM is split over in this JVM
 */
public record MachineInfo(String cpu, int cores, String os, String javaVersion, String javaVendor, String vm,
                          List<String> jvmFlags, String vectorSpecies, long maxHeapBytes, String kernels,
                          int kernelThreads) {

    /** The machine this JVM runs on (initialises the kernels, which fixes their thread count). */
    public static MachineInfo current() {
        return new MachineInfo(cpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.version"), System.getProperty("java.vendor"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"),
                List.copyOf(ManagementFactory.getRuntimeMXBean().getInputArguments()),
                FloatVector.SPECIES_PREFERRED.toString(), Runtime.getRuntime().maxMemory(),
                Kernels.implementation(), Kernels.threads());
    }

    private static String cpuModel() {
        String model = cpuinfoField("model name");
        return model != null ? model : System.getProperty("os.arch");
    }

    /** The value of the first {@code /proc/cpuinfo} line starting with {@code name}, or null (not Linux, or no such line). */
    static String cpuinfoField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith(name)) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return null;
    }
}
