package dev.lavametrics.plugin.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SurvivalTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the flag for the next test
    }

    @Test
    void bugsAndVersionMismatchesAreSurvived() {
        List<Throwable> survivable = List.of(
                new IllegalStateException("a bug in a hook"),
                new NullPointerException(),
                new IOException("checked, arriving undeclared from Kotlin"),
                new NoSuchMethodError("ISocketContext.getPlayers()"),
                new NoClassDefFoundError("com/sedmelluq/discord/lavaplayer/Gone"),
                new ExceptionInInitializerError(new IllegalStateException()),
                new StackOverflowError(),
                new AssertionError("a broken invariant"));
        for (Throwable caught : survivable) {
            assertSame(caught, Survival.survive(caught), caught.toString());
        }
        assertFalse(Thread.currentThread().isInterrupted(), "only an InterruptedException sets the flag");
    }

    @Test
    void theJvmsOwnFailuresAreRethrownUnchanged() {
        List<Throwable> fatal =
                List.of(new OutOfMemoryError("Java heap space"), new InternalError("a JVM fault"), new UnknownError());
        for (Throwable caught : fatal) {
            Throwable thrown = assertThrows(Throwable.class, () -> Survival.survive(caught), caught.toString());
            assertSame(caught, thrown);
        }
    }

    @Test
    @SuppressWarnings("deprecation") // ThreadDeath is deprecated for removal from Java 20 on, still thrown on 17
    void aStoppedThreadStaysStopped() {
        ThreadDeath death = new ThreadDeath();
        assertSame(death, assertThrows(ThreadDeath.class, () -> Survival.survive(death)));
    }

    @Test
    void anInterruptIsSurvivedButHandedBackToTheThread() {
        InterruptedException interrupted = new InterruptedException();
        assertFalse(Thread.currentThread().isInterrupted());
        assertSame(interrupted, Survival.survive(interrupted));
        assertTrue(Thread.interrupted(), "the interrupt flag is set again for the thread's owner");
    }

    /**
     * The rule lives in one place: no catch clause in the plugin names an {@link Error} type on its
     * own, and every {@code catch (Throwable ...)} hands what it caught to {@link Survival#survive}
     * first thing (within its first two statements).
     */
    @Test
    void noCatchClauseDecidesOnItsOwn() throws IOException {
        Path sources = Path.of("src/main/java"); // surefire runs in the module's directory
        assertTrue(Files.isDirectory(sources), sources.toAbsolutePath() + " not found");
        Pattern clause = Pattern.compile("catch\\s*\\(([^)]*)\\)\\s*\\{");
        List<String> offending = new ArrayList<>();
        int guarded = 0;
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(file);
                Matcher catches = clause.matcher(text);
                while (catches.find()) {
                    String types = catches.group(1);
                    boolean throwable = types.matches("\\s*Throwable\\s+\\w+\\s*");
                    if (throwable && firstStatements(text, catches.end(), 2).contains("Survival.survive(")) {
                        guarded++;
                    } else if (throwable || types.matches(".*\\b\\w*(Error|Throwable)\\b.*")) {
                        offending.add(sources.relativize(file) + ": catch (" + types.strip() + ")");
                    }
                }
            }
        }
        assertEquals(List.of(), offending);
        assertTrue(guarded >= 20, "the hooks' guards were not found (" + guarded + "): did the scan break?");
    }

    /** The text from {@code from} through its {@code count}th semicolon (or to the end). */
    private static String firstStatements(String text, int from, int count) {
        int end = from;
        for (int i = 0; i < count; i++) {
            int semicolon = text.indexOf(';', end);
            if (semicolon < 0) {
                return text.substring(from);
            }
            end = semicolon + 1;
        }
        return text.substring(from, end);
    }
}
