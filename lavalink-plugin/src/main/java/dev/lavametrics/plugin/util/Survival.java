package dev.lavametrics.plugin.util;

/**
 * The one rule for which throwables the plugin survives. Every guard that keeps a failure from
 * leaving the plugin (a hook in {@code socket}, {@code rest} or {@code frames}, a collector's
 * scrape, the endpoint's start and loop, reading the config at startup) catches {@link Throwable}
 * and passes it through {@link #survive}, so the decision is made here and not by each catch
 * clause. Narrower catches of an expected exception (a client that went away) stay where they
 * are; what they do not catch reaches such a guard. {@code SurvivalTest} fails on a catch clause
 * that names an {@link Error} type itself.
 *
 * <p>Why survive at all: hooks run on Lavalink's own threads (websocket, REST, audio, scrape), so
 * whatever escapes them fails a request, drops a message, kills a track's audio or stops the node
 * from starting. Metrics are never worth that: the failure is counted in
 * {@code lavametrics_collector_errors_total} (which the shipped alert pages on) and the node goes
 * on without that sample.
 *
 * <p>Survived (returned, for the caller to count):
 * <ul>
 *   <li>every {@link Exception}: a {@link RuntimeException} is a bug in our code or input it did
 *       not expect; a checked one can arrive undeclared, since Lavalink is written in Kotlin,
 *       which has no checked exceptions.</li>
 *   <li>{@link LinkageError} ({@link NoSuchMethodError}, {@link NoClassDefFoundError},
 *       {@link ExceptionInInitializerError}): the node runs a Lavalink or lavaplayer other than
 *       the one compiled against. The metric is lost; the node must not be.</li>
 *   <li>{@link StackOverflowError}: by the time it is caught the stack has unwound, and the
 *       recursion was ours (config binding of a deeply nested value, for one).</li>
 *   <li>any other {@link Error}, such as an {@link AssertionError}: a bug, like an exception.</li>
 * </ul>
 *
 * <p>Rethrown, unchanged:
 * <ul>
 *   <li>every other {@link VirtualMachineError} ({@link OutOfMemoryError}, {@link InternalError},
 *       {@link UnknownError}): the JVM itself is failing. Swallowing it would hide the cause and
 *       keep a sick node looking healthy; the node's own handling (its logs, an
 *       {@code -XX:+ExitOnOutOfMemoryError}) must see it.</li>
 *   <li>{@link ThreadDeath}: the thread's owner asked it to stop ({@code Thread.stop}, which works
 *       up to Java 19); swallowing that keeps it running.</li>
 * </ul>
 *
 * <p>An {@link InterruptedException} is survived, but the current thread's interrupt flag is set
 * again first: throwing it cleared the flag, and the interruption was meant for the thread's owner
 * (a Lavalink executor shutting down), not for the plugin.
 */
public final class Survival {
    private Survival() {}

    /**
     * Returns {@code caught} when the plugin may go on after it (count it, then degrade); throws it
     * when it must not be swallowed. See the class comment for the rule and its reasons.
     */
    public static Throwable survive(Throwable caught) {
        if (caught instanceof VirtualMachineError fatal && !(caught instanceof StackOverflowError)) {
            throw fatal;
        }
        if (caught instanceof ThreadDeath stopped) {
            throw stopped;
        }
        if (caught instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return caught;
    }
}
