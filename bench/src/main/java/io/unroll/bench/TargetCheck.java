package io.unroll.bench;

/**
 * One performance target ({@link Targets}) checked against one figure.
 *
 * @param target     which target, e.g. {@code training-vs-pytorch}
 * @param subject    what it was checked on, e.g. {@code lstm H=256 B=32}
 * @param value      the measured value
 * @param comparison {@code >=} or {@code <=}
 * @param threshold  the target value
 * @param unit       the unit of value and threshold ({@code x}, {@code %}, {@code ns}, {@code B})
 * @param pass       whether the value meets the target
 */
public record TargetCheck(String target, String subject, double value, String comparison, double threshold,
                          String unit, boolean pass) {

    static TargetCheck atLeast(String target, String subject, double value, double threshold, String unit) {
        return new TargetCheck(target, subject, value, ">=", threshold, unit, value >= threshold);
    }

    static TargetCheck atMost(String target, String subject, double value, double threshold, String unit) {
        return new TargetCheck(target, subject, value, "<=", threshold, unit, value <= threshold);
    }

    /** The shortfall as a factor: how far the value is from the target (1 when met). */
    public double shortfall() {
        if (pass) {
            return 1;
        }
        return ">=".equals(comparison) ? threshold / value : value / threshold;
    }
}
