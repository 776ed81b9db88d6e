package dev.lavametrics.plugin.collect;

/** Identifies one player for bookkeeping between events; never exported as a label. */
public record PlayerKey(String sessionId, long guildId) {}
