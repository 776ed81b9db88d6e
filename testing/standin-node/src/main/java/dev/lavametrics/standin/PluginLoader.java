package dev.lavametrics.standin;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.ClassPathBeanDefinitionScanner;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Loads plugin jars the way Lavalink v4 does: every non-empty {@code *.jar} in
 * {@code lavalink.pluginsDir} (default {@code ./plugins}) goes into one class loader whose parent
 * is the application's; each jar's {@code lavalink-plugins/*.properties} names a package
 * ({@code path}) that is component-scanned into the application context before it refreshes.
 *
 * <p>Because the scanned classes are ordinary bean definitions of the one context, Boot's
 * {@code @ConfigurationProperties} binding, servlet {@code Filter} registration, MVC controller
 * detection and {@code @Configuration}/{@code @Bean} processing apply to them as to the node's own
 * beans.
 */
public class PluginLoader implements ApplicationContextInitializer<ConfigurableApplicationContext> {
    private static final Logger log = LoggerFactory.getLogger(PluginLoader.class);
    static final String MANIFEST_DIR = "lavalink-plugins/";

    private final ClassLoader parent;

    public PluginLoader(ClassLoader parent) {
        this.parent = parent;
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        String dirName = env.getProperty("lavalink.pluginsDir", env.getProperty("lavalink.plugins-dir", "./plugins"));
        File dir = new File(dirName).getAbsoluteFile().toPath().normalize().toFile();
        List<PluginRegistry.PluginInfo> plugins = new ArrayList<>();
        List<URL> urls = new ArrayList<>();
        File[] jars = dir.isDirectory()
                ? dir.listFiles(f -> f.isFile() && f.getName().endsWith(".jar") && f.length() > 0)
                : new File[0];
        if (jars == null) {
            jars = new File[0];
        }
        Arrays.sort(jars, Comparator.comparing(File::getName));
        for (File jar : jars) {
            List<PluginRegistry.PluginInfo> found = readManifests(jar);
            if (found.isEmpty()) {
                log.warn(
                        "Plugin jar {} has no {}*.properties manifest; its classes are on the plugin class "
                                + "path but nothing is scanned",
                        jar,
                        MANIFEST_DIR);
            }
            plugins.addAll(found);
            try {
                urls.add(jar.toURI().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!dir.isDirectory()) {
            log.info("Plugin directory {} does not exist; no plugins loaded", dir);
        }

        ClassLoader loader = parent;
        if (!urls.isEmpty()) {
            loader = new URLClassLoader("lavalink-plugins", urls.toArray(new URL[0]), parent);
        }
        PluginRegistry registry = new PluginRegistry(plugins, loader);
        context.getBeanFactory().registerSingleton("standinPluginRegistry", registry);
        if (urls.isEmpty()) {
            return;
        }

        // Beans of plugin classes are loaded through this loader; so are Tomcat's web app loader
        // and the resources Spring scans.
        if (context instanceof DefaultResourceLoader drl) {
            drl.setClassLoader(loader);
        }
        context.getBeanFactory().setBeanClassLoader(loader);
        Thread.currentThread().setContextClassLoader(loader);

        BeanDefinitionRegistry beanRegistry = (BeanDefinitionRegistry) context.getBeanFactory();
        ClassPathBeanDefinitionScanner scanner = new ClassPathBeanDefinitionScanner(
                beanRegistry, true, env, new PathMatchingResourcePatternResolver(loader));
        for (PluginRegistry.PluginInfo p : plugins) {
            int n = scanner.scan(p.path());
            log.info("Loaded plugin {} {} (scanned {} components in {})", p.name(), p.version(), n, p.path());
        }
    }

    static List<PluginRegistry.PluginInfo> readManifests(File jar) {
        List<PluginRegistry.PluginInfo> out = new ArrayList<>();
        try (JarFile jf = new JarFile(jar)) {
            Enumeration<JarEntry> entries = jf.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                String n = e.getName();
                if (e.isDirectory()
                        || !n.startsWith(MANIFEST_DIR)
                        || !n.endsWith(".properties")
                        || n.indexOf('/', MANIFEST_DIR.length()) >= 0) {
                    continue;
                }
                Properties props = new Properties();
                try (InputStream in = jf.getInputStream(e)) {
                    props.load(in);
                }
                String name = props.getProperty("name");
                String path = props.getProperty("path");
                String version = props.getProperty("version");
                if (name == null || path == null || version == null) {
                    log.error("Ignoring plugin manifest {} in {}: it needs name, path and version", n, jar);
                    continue;
                }
                out.add(new PluginRegistry.PluginInfo(name.trim(), path.trim(), version.trim(), jar.getName()));
            }
        } catch (IOException ex) {
            log.error("Cannot read plugin jar {}", jar, ex);
        }
        return out;
    }
}
