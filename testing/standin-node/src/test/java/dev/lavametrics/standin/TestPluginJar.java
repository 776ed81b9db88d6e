package dev.lavametrics.standin;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Builds a tiny plugin jar from the sources under src/test/testplugin. They are compiled here,
 * not by Maven, so the classes exist only inside the jar and must be loaded through the node's
 * plugin class loader.
 */
public final class TestPluginJar {
    private TestPluginJar() {}

    public static Path build(Path workDir) throws IOException {
        Path src = Path.of("src/test/testplugin");
        Path classes = Files.createDirectories(workDir.resolve("testplugin-classes"));
        List<File> sources = new ArrayList<>();
        try (Stream<Path> s = Files.walk(src)) {
            s.filter(p -> p.toString().endsWith(".java")).forEach(p -> sources.add(p.toFile()));
        }
        Set<String> cp = new LinkedHashSet<>();
        for (Class<?> c : List.of(
                dev.arbjerg.lavalink.api.PluginEventHandler.class,
                org.springframework.stereotype.Component.class,
                org.springframework.beans.factory.annotation.Autowired.class,
                org.springframework.core.annotation.AliasFor.class,
                org.springframework.boot.context.properties.ConfigurationProperties.class,
                org.springframework.web.bind.annotation.GetMapping.class,
                org.springframework.web.servlet.HandlerMapping.class,
                jakarta.servlet.Filter.class,
                com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager.class)) {
            try {
                cp.add(Path.of(c.getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI())
                        .toString());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            List<String> options = List.of(
                    "-d",
                    classes.toString(),
                    "-classpath",
                    String.join(File.pathSeparator, cp),
                    "--release",
                    "17",
                    "-parameters",
                    "-proc:none");
            Boolean ok = javac.getTask(null, fm, null, options, null, fm.getJavaFileObjectsFromFiles(sources))
                    .call();
            if (!Boolean.TRUE.equals(ok)) {
                throw new IOException("compiling the test plugin failed");
            }
        }
        Path jar = workDir.resolve("plugins").resolve("testplugin-1.2.3.jar");
        Files.createDirectories(jar.getParent());
        try (OutputStream fos = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(fos)) {
            out.putNextEntry(new JarEntry("lavalink-plugins/"));
            out.closeEntry();
            out.putNextEntry(new JarEntry("lavalink-plugins/testplugin.properties"));
            out.write("name=testplugin\npath=dev.lavametrics.testplugin\nversion=1.2.3\n"
                    .getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            try (Stream<Path> s = Files.walk(classes)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String name = classes.relativize(p).toString().replace(File.separatorChar, '/');
                    if (name.isEmpty()) {
                        continue;
                    }
                    if (Files.isDirectory(p)) {
                        out.putNextEntry(new JarEntry(name + "/"));
                    } else {
                        out.putNextEntry(new JarEntry(name));
                        out.write(Files.readAllBytes(p));
                    }
                    out.closeEntry();
                }
            }
        }
        // An empty jar must be ignored, as Lavalink does.
        Files.createFile(workDir.resolve("plugins").resolve("empty.jar"));
        return jar;
    }
}
