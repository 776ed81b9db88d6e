/**
 * Hooks on the node's websocket side: the {@code PluginEventHandler} (session and player
 * lifecycle) and the v4 messages Lavalink sends to clients, read for track and voice facts,
 * with replays after a resume told apart so each message counts once. Counts only into
 * {@code collect}.
 */
package dev.lavametrics.plugin.socket;
