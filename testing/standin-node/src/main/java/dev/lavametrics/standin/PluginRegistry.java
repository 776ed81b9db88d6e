package dev.lavametrics.standin;

import java.util.List;

/** The plugins found at start-up (for {@code GET /v4/info}) and the class loader holding them. */
public class PluginRegistry {
    public record PluginInfo(String name, String path, String version, String jar) {}

    private final List<PluginInfo> plugins;
    private final ClassLoader classLoader;

    public PluginRegistry(List<PluginInfo> plugins, ClassLoader classLoader) {
        this.plugins = List.copyOf(plugins);
        this.classLoader = classLoader;
    }

    public List<PluginInfo> getPlugins() {
        return plugins;
    }

    public ClassLoader getClassLoader() {
        return classLoader;
    }
}
