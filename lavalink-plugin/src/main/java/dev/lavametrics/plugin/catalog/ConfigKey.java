package dev.lavametrics.plugin.catalog;

/**
 * One {@code plugins.lavametrics.*} setting.
 *
 * @param key          dotted camelCase path below {@code plugins.lavametrics}
 * @param type         catalog type: boolean, integer, string, number-list, cidr-list
 * @param defaultValue the default rendered as a string (lists comma-separated), or null
 * @param secret       true when the value must be masked wherever it is shown
 */
public record ConfigKey(String key, String type, String defaultValue, String help, boolean secret) {}
